"""Report mail through the outbox: one delivery per subscriber, claimed before sending, retried with
backoff and marked failed, resent by hand; the scheduled job twice mails once; a real SMTP server
and a real Celery worker."""

from __future__ import annotations

import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation

from chainmap import models as m
from chainmap.reports import tasks as tasks_reports
from chainmap.reports.services import deliveries, runs
from tests import factories as f
from tests.conftest import require
from tests.diagrams.test_tasks import database_url, redis_reachable

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "MAIL_MAX_RETRIES": 2, "MAIL_BACKOFF_SECONDS": 1}


def subscribe(username: str, *, chains=(), clusters=(), language="zh-hans", active=True) -> m.Subscription:
    user = f.member(username, m.Role.SUBSCRIBER)
    subscription = m.Subscription.objects.create(user=user, language=language, is_active=active)
    subscription.chains.set(chains)
    subscription.clusters.set(clusters)
    return subscription


@pytest.fixture
def chain_world(regions):
    """A chain with the November 2026 calendar entry, one matchable bottleneck and candidate, and
    subscribers: two that should get its report, two that should not."""
    chain = f.ChainFactory(code="H2D", slug="h2-deliveries", name="氢能")
    other = f.ChainFactory(code="OTH", slug="other-chain", name="其他链")
    node = f.NodeFactory(chain=chain, code="H2D-MID-01", name="膜电极")
    bottleneck = f.BottleneckFactory(chain=chain, title="膜电极国产化", status="published", tokens=["膜电极"])
    bottleneck.nodes.add(node)
    enterprise = f.EnterpriseFactory(name="北京膜电极科技有限公司", region=regions["BJ"])
    f.PlacementFactory(enterprise=enterprise, node=node)
    f.ProfileFactory(enterprise=enterprise, tokens=["膜电极", "催化剂"])
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 11, 1), chain=chain)
    subscribers = [subscribe("sub_chain", chains=[chain]), subscribe("sub_all", language="en")]
    subscribe("sub_other", chains=[other])
    subscribe("sub_inactive", chains=[chain], active=False)
    return {"chain": chain, "subscribers": subscribers}


def built_report(world) -> m.Report:
    run = runs.report_round_run(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 11, 1), send=False)
    assert run.report is not None and run.report.status == m.Report.Status.READY, run.report and run.report.error
    return run.report


def test_enqueue_creates_one_row_per_matching_subscriber_and_never_duplicates(
    chain_world, django_capture_on_commit_callbacks
):
    report = built_report(chain_world)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries.deliveries_enqueue(report_id=report.pk) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries.deliveries_enqueue(report_id=report.pk) == 0
    rows = m.Delivery.objects.filter(report=report).order_by("email")
    assert [(d.email, d.status, d.language) for d in rows] == [
        ("sub_all@example.cn", "sent", "en"),
        ("sub_chain@example.cn", "sent", "zh-hans"),
    ]
    assert sorted(message.to[0] for message in mail.outbox) == ["sub_all@example.cn", "sub_chain@example.cn"]
    english = next(message for message in mail.outbox if message.to == ["sub_all@example.cn"])
    assert english.subject.startswith("[chainmap] Matching report 2026-11")
    chinese = next(message for message in mail.outbox if message.to == ["sub_chain@example.cn"])
    assert "氢能" in chinese.subject
    assert [name for name, _content, _type in chinese.attachments] == [
        "chainmap-2026-11-氢能-一月一链.pdf",
        "chainmap-2026-11-氢能-一月一链.xlsx",
    ]
    assert chinese.alternatives[0][1] == "text/html"


def test_a_second_task_for_the_same_row_sends_nothing(chain_world):
    report = built_report(chain_world)
    delivery = m.Delivery.objects.create(report=report, email="x@example.cn")
    assert deliveries.delivery_send(delivery_id=delivery.pk) == deliveries.SENT
    assert deliveries.delivery_send(delivery_id=delivery.pk) == deliveries.SKIPPED
    assert len(mail.outbox) == 1


def test_a_stale_sending_claim_is_taken_over_but_a_live_one_is_not(chain_world):
    report = built_report(chain_world)
    live = m.Delivery.objects.create(
        report=report, email="live@example.cn", status="sending", sending_since=timezone.now()
    )
    stale = m.Delivery.objects.create(
        report=report, email="stale@example.cn", status="sending", sending_since=timezone.now() - dt.timedelta(hours=1)
    )
    assert deliveries.delivery_send(delivery_id=live.pk) == deliveries.SKIPPED
    assert deliveries.delivery_send(delivery_id=stale.pk) == deliveries.SENT
    assert [message.to for message in mail.outbox] == [["stale@example.cn"]]


LEASE = dt.timedelta(seconds=300)


def aged(delivery: m.Delivery, *, by: dt.timedelta, **fields) -> m.Delivery:
    """Set fields and ``updated_at`` in the past (auto_now would reset it on save)."""
    m.Delivery.objects.filter(pk=delivery.pk).update(updated_at=timezone.now() - by, **fields)
    delivery.refresh_from_db()
    return delivery


def test_it_takes_a_dead_workers_claim_back_and_sends_it_once(chain_world, settings):
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "SENDING_TIMEOUT_SECONDS": 300}
    report = built_report(chain_world)
    now = timezone.now()
    dead = m.Delivery.objects.create(report=report, email="dead@example.cn")
    aged(dead, by=LEASE * 2, status="sending", sending_since=now - LEASE - dt.timedelta(seconds=1), attempts=1)
    live = m.Delivery.objects.create(report=report, email="live@example.cn")
    aged(live, by=dt.timedelta(0), status="sending", sending_since=now - LEASE + dt.timedelta(seconds=30), attempts=1)

    sweep = deliveries.deliveries_sweep()  # eager: the queued send runs at once
    assert sweep.stalled == [dead.pk] and sweep.lost == []
    assert [message.to for message in mail.outbox] == [["dead@example.cn"]]
    dead.refresh_from_db()
    assert dead.status == "sent" and dead.attempts == 2 and dead.last_error == ""
    assert m.Delivery.objects.get(pk=live.pk).status == "sending"
    assert deliveries.deliveries_sweep().queued == 0
    assert len(mail.outbox) == 1


def test_it_queues_again_a_pending_row_whose_task_was_lost_but_not_one_waiting_for_its_retry(chain_world, settings):
    settings.CHAINMAP_REPORTS = {
        **settings.CHAINMAP_REPORTS,
        "SENDING_TIMEOUT_SECONDS": 300,
        "MAIL_BACKOFF_SECONDS": 600,
    }
    report = built_report(chain_world)
    lost = aged(m.Delivery.objects.create(report=report, email="lost@example.cn"), by=LEASE * 2)
    fresh = m.Delivery.objects.create(report=report, email="fresh@example.cn")
    waiting = aged(  # third try due 1200 s after the second failed
        m.Delivery.objects.create(report=report, email="waiting@example.cn"),
        by=LEASE * 3,
        attempts=2,
        last_error="SMTPServerDisconnected: gone",
    )
    overdue = aged(
        m.Delivery.objects.create(report=report, email="overdue@example.cn"),
        by=dt.timedelta(hours=1),
        attempts=2,
        last_error="SMTPServerDisconnected: gone",
    )

    sweep = deliveries.deliveries_sweep()
    assert sorted(sweep.lost) == sorted([lost.pk, overdue.pk]) and sweep.stalled == []
    assert sorted(message.to[0] for message in mail.outbox) == ["lost@example.cn", "overdue@example.cn"]
    assert m.Delivery.objects.get(pk=fresh.pk).status == "pending"
    assert m.Delivery.objects.get(pk=waiting.pk).status == "pending"


def test_it_sweeps_a_pending_row_only_once_per_lease(chain_world, settings, monkeypatch):
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "SENDING_TIMEOUT_SECONDS": 300}
    report = built_report(chain_world)
    lost = aged(m.Delivery.objects.create(report=report, email="lost@example.cn"), by=LEASE * 2)
    queued: list[int] = []
    monkeypatch.setattr(tasks_reports.send_delivery, "delay", lambda *, delivery_id: queued.append(delivery_id))
    assert deliveries.deliveries_sweep().lost == [lost.pk]
    assert deliveries.deliveries_sweep().queued == 0  # the row was touched: the queued task gets a lease
    assert queued == [lost.pk]


def test_a_broker_down_after_commit_loses_no_delivery(
    chain_world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerDown

    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "SENDING_TIMEOUT_SECONDS": 300}
    report = built_report(chain_world)

    def down(**kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(tasks_reports.send_delivery, "delay", down)
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries.deliveries_enqueue(report_id=report.pk) == 2  # no exception after commit
    assert list(m.Delivery.objects.values_list("status", flat=True)) == ["pending", "pending"]
    assert mail.outbox == []
    m.Delivery.objects.update(updated_at=timezone.now() - LEASE * 2)
    assert len(deliveries.deliveries_sweep().lost) == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["sub_all@example.cn", "sub_chain@example.cn"]


def test_it_resends_a_stalled_delivery_but_refuses_a_live_claim(
    chain_world, joint_office, settings, django_capture_on_commit_callbacks
):
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "SENDING_TIMEOUT_SECONDS": 300}
    report = built_report(chain_world)
    now = timezone.now()
    live = m.Delivery.objects.create(report=report, email="live@example.cn", status="sending", sending_since=now)
    with translation.override("en"), pytest.raises(ValidationError, match=r"being sent right now.*5 minutes"):
        deliveries.delivery_resend(delivery_id=live.pk, user=joint_office)
    stalled = m.Delivery.objects.create(
        report=report, email="stalled@example.cn", status="sending", sending_since=now - LEASE * 2, attempts=1
    )
    assert deliveries.delivery_can_be_resent(delivery=stalled) and not deliveries.delivery_can_be_resent(delivery=live)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_resend(delivery_id=stalled.pk, user=joint_office)
    stalled.refresh_from_db()
    assert stalled.status == "sent" and stalled.attempts == 2
    assert [message.to for message in mail.outbox] == [["stalled@example.cn"]]


def test_the_round_page_shows_a_stalled_delivery_with_a_resend_button(chain_world, joint_office, client_for, settings):
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "SENDING_TIMEOUT_SECONDS": 300}
    report = built_report(chain_world)
    stalled = m.Delivery.objects.create(
        report=report, email="stalled@example.cn", status="sending", sending_since=timezone.now() - LEASE * 2
    )
    live = m.Delivery.objects.create(
        report=report, email="live@example.cn", status="sending", sending_since=timezone.now()
    )
    page = client_for(joint_office).get(f"/rounds/{report.round_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/deliveries/{stalled.pk}/resend/" in html and f"/deliveries/{live.pk}/resend/" not in html
    assert html.count("起停滞：发送进程已停止") == 1


def test_every_attempt_of_a_delivery_carries_the_same_message_id(
    chain_world, joint_office, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "chainmap <noreply@chainmap.example.gov.cn>"
    report = built_report(chain_world)
    delivery = m.Delivery.objects.create(report=report, email="x@example.cn")
    assert deliveries.delivery_send(delivery_id=delivery.pk) == deliveries.SENT
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_resend(delivery_id=delivery.pk, user=joint_office)
    expected = f"<chainmap.report-{report.pk}.delivery-{delivery.pk}@chainmap.example.gov.cn>"
    assert [message.message()["Message-ID"] for message in mail.outbox] == [expected, expected]


def test_a_live_send_is_stopped_before_its_claim_could_be_taken_over(settings):
    lease = settings.CHAINMAP_REPORTS["SENDING_TIMEOUT_SECONDS"]
    task = tasks_reports.send_delivery
    assert task.soft_time_limit < task.time_limit < lease
    assert task.time_limit > settings.EMAIL_TIMEOUT
    assert lease <= 600  # a dead worker's mail is recovered within minutes
    assert deliveries.retry_countdown(30) <= settings.CELERY_VISIBILITY_TIMEOUT // 2


def test_setup_schedules_adds_the_delivery_sweeper_every_minute(db):
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules")
    call_command("setup_schedules")
    sweeper = PeriodicTask.objects.get(task="chainmap.tasks_reports.sweep_deliveries")
    assert (sweeper.crontab.minute, sweeper.crontab.hour, sweeper.crontab.day_of_month) == ("*", "*", "*")
    assert sweeper.expire_seconds and sweeper.expire_seconds < 60 and sweeper.enabled
    assert tasks_reports.sweep_deliveries.delay().get() == 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_smtp_down_retries_then_fails_and_a_resend_sends_once(
    chain_world, joint_office, settings, django_capture_on_commit_callbacks
):
    report = built_report(chain_world)
    delivery = m.Delivery.objects.create(report=report, email="down@example.cn")
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    tasks_reports.send_delivery.delay(delivery_id=delivery.pk)  # eager: the retries run at once
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 3  # first try + MAIL_MAX_RETRIES
    assert "ConnectionRefusedError" in delivery.last_error and delivery.sent_at is None

    settings.EMAIL_BACKEND = LOCMEM_BACKEND  # the server is back
    with pytest.raises(PermissionDenied):
        deliveries.delivery_resend(delivery_id=delivery.pk, user=f.member("sub_x", m.Role.SUBSCRIBER))
    with django_capture_on_commit_callbacks(execute=True):
        deliveries.delivery_resend(delivery_id=delivery.pk, user=joint_office)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 4 and delivery.last_error == ""
    assert [message.to for message in mail.outbox] == [["down@example.cn"]]
    m.Delivery.objects.filter(pk=delivery.pk).update(status="pending")
    with pytest.raises(ValidationError):
        deliveries.delivery_resend(delivery_id=delivery.pk, user=joint_office)


def test_resend_from_the_page_needs_the_permission(
    chain_world, joint_office, subscriber, enterprise_member, client_for
):
    report = built_report(chain_world)
    delivery = m.Delivery.objects.create(report=report, email="p@example.cn", status="failed")
    url = f"/deliveries/{delivery.pk}/resend/"
    assert client_for(enterprise_member).post(url).status_code == 404
    assert client_for(subscriber).post(url).status_code == 403
    assert client_for(None).post(url).status_code == 302
    assert m.Delivery.objects.get(pk=delivery.pk).status == "failed"
    assert client_for(joint_office).post(url).status_code == 302
    assert m.Delivery.objects.get(pk=delivery.pk).status in ("pending", "sent")


def test_the_first_working_day():
    assert tasks_reports.first_working_day(2026, 11) == dt.date(2026, 11, 2)  # 1 November 2026 is a Sunday
    assert tasks_reports.period_due(kind=m.RoundKind.CHAIN_MONTH, today=dt.date(2026, 11, 2)) == dt.date(2026, 11, 1)
    assert tasks_reports.period_due(kind=m.RoundKind.CHAIN_MONTH, today=dt.date(2026, 11, 3)) is None
    assert tasks_reports.period_due(kind=m.RoundKind.CLUSTER_QUARTER, today=dt.date(2026, 11, 2)) is None
    assert tasks_reports.period_due(kind=m.RoundKind.CLUSTER_QUARTER, today=dt.date(2026, 10, 1)) == dt.date(
        2026, 10, 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_beat_job_run_twice_mails_each_subscriber_exactly_once(chain_world):
    with time_machine.travel(dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI), tick=True):
        tasks_reports.monthly_chain_round.delay()  # the 3rd is not the first working day
    assert not m.MatchingRound.objects.exists() and mail.outbox == []

    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=True):
        tasks_reports.monthly_chain_round.delay()
        tasks_reports.monthly_chain_round.delay()
    matching_round = m.MatchingRound.objects.get()
    assert matching_round.status == m.RoundStatus.MATCHED and matching_round.matches.exists()
    assert sorted(message.to[0] for message in mail.outbox) == ["sub_all@example.cn", "sub_chain@example.cn"]
    assert m.Delivery.objects.filter(status="sent").count() == 2


def test_run_round_command(chain_world, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_round", "2026-11", "--send")
    out = capsys.readouterr().out
    assert "2026-11 氢能" in out and "PDF:" in out and "XLSX:" in out and "sent in this process" in out
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_round", "2026-11", "--send")  # nothing new to mail
    assert len(mail.outbox) == 2
    with pytest.raises(CommandError):
        call_command("run_round", "2026-13")
    with pytest.raises(CommandError):
        call_command("run_round", "2026-11", "--kind", "cluster_quarter")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_a_real_smtp_server_receives_the_report_with_both_attachments(chain_world, smtp_server, settings):
    controller, inbox = smtp_server
    report = built_report(chain_world)
    delivery = m.Delivery.objects.create(report=report, email="real@example.cn", language="zh-hans")
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    assert tasks_reports.send_delivery.delay(delivery_id=delivery.pk).get() == "sent"
    assert len(inbox.messages) == 1
    message = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    assert message["To"] == "real@example.cn"
    assert "氢能" in message["Subject"] and "2026-11" in message["Subject"]
    assert message.get_body(("plain",)).get_content().strip() and "<html>" in message.get_body(("html",)).get_content()
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"chainmap-2026-11-氢能-一月一链.pdf", "chainmap-2026-11-氢能-一月一链.xlsx"}
    assert attachments["chainmap-2026-11-氢能-一月一链.pdf"].get_content().startswith(b"%PDF")
    assert attachments["chainmap-2026-11-氢能-一月一链.xlsx"].get_content().startswith(b"PK")
    assert m.Delivery.objects.get(pk=delivery.pk).status == "sent"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_delivery_once_when_enqueued_twice(chain_world, smtp_server, tmp_path, settings):
    require(connection.vendor == "postgresql", "the worker test needs PostgreSQL: set DATABASE_URL=postgres://...")
    require(bool(settings.REDIS_URL), "the worker test needs Redis: set REDIS_URL=redis://...")
    require(redis_reachable(), f"Redis at {settings.REDIS_URL} does not answer")
    controller, inbox = smtp_server
    port = controller.port
    report = built_report(chain_world)
    delivery = m.Delivery.objects.create(report=report, email="worker@example.cn")
    from config.celery import app

    broker = settings.CELERY_BROKER_URL or settings.REDIS_URL
    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    app._pool = None
    app.amqp._producer_pool = None
    app.control.purge()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        # Celery reads the broker from this variable (through settings) in the worker process.
        "CELERY_BROKER_URL": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "CHAINMAP_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "--without-heartbeat",
               "--without-gossip", "--without-mingle", "-l", "info", "-n", f"report-test-{os.getpid()}@%h"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=Path(settings.BASE_DIR), env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        tasks_reports.send_delivery.delay(delivery_id=delivery.pk)
        tasks_reports.send_delivery.delay(delivery_id=delivery.pk)
        deadline = time.monotonic() + 60
        while log.read_text(errors="replace").count("succeeded") < 2 and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        app.conf.task_always_eager = True
        app._pool = None
        app.amqp._producer_pool = None
    text = log.read_text(errors="replace")
    assert len(inbox.messages) == 1, text[-4000:]
    assert "'sent'" in text and "'skipped'" in text, text[-4000:]
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1
