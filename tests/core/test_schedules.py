"""Periodic jobs are seeded once, in Beijing time, and admin edits survive a re-run."""

from django_celery_beat.models import PeriodicTask

from chainmap.core.schedules import JOBS, schedules_setup


def test_it_creates_every_job_in_beijing_time(db) -> None:
    assert schedules_setup() == [job.name for job in JOBS]
    task = PeriodicTask.objects.get(name="render-all-diagrams-daily")
    assert task.task == "chainmap.tasks.render_all_diagrams"
    assert str(task.crontab.timezone) == "Asia/Shanghai"
    assert (task.crontab.hour, task.crontab.minute) == ("0", "20")


def test_it_leaves_admin_edits_alone(db) -> None:
    schedules_setup()
    PeriodicTask.objects.filter(name="render-all-diagrams-daily").update(enabled=False)
    assert schedules_setup() == []
    assert PeriodicTask.objects.get(name="render-all-diagrams-daily").enabled is False


def test_every_job_names_a_registered_task() -> None:
    from config.celery import app

    app.loader.import_default_modules()
    assert {job.task for job in JOBS} <= set(app.tasks)
