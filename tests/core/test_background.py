"""Jobs without a broker (chainmap.core.background): the web process runs them on one background thread,
after the request has answered and the transaction has committed.

The rest of the suite runs jobs eagerly (tests/conftest.py); these tests switch the thread mode on. They
wait on events and on the worker's queue, never on the clock: TIMEOUT is only an upper bound.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import transaction

from chainmap import models as m
from chainmap.core import background
from chainmap.diagrams.services import service
from chainmap.diagrams.services.render import RenderError
from config.celery import app
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0
ran_jobs: list[tuple[str, str]] = []  # (value, thread name) of each _record job that ran


@app.task(name="tests.background.record")
def _record(value: str) -> None:
    ran_jobs.append((value, threading.current_thread().name))


@app.task(name="tests.background.fail")
def _fail(message: str) -> None:
    raise RuntimeError(message)


@pytest.fixture
def thread_mode(settings, monkeypatch):
    """The embedded default's mode, in a process that has not served a request yet. Yields the worker;
    afterwards every job has run, so none leaks into the next test (or holds a connection at flush)."""
    settings.CHAINMAP_BACKGROUND = background.THREAD
    settings.CHAINMAP_DIAGRAMS = {**settings.CHAINMAP_DIAGRAMS, "DEBOUNCE": 0}
    monkeypatch.setattr(background.state, "serving", False)
    ran_jobs.clear()
    yield background.worker
    assert background.worker.wait_idle(TIMEOUT, hurry=True), "background jobs still running after the test"


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def edit(client, name: str):
    return client.post(
        "/nodes/H2-UP-01/edit/",
        {"code": "H2-UP-01", "name": name, "segment": m.Segment.UPSTREAM, "reason": "后台任务测试"},
    )


def test_it_answers_a_node_save_before_the_diagram_is_drawn(
    chain_map, joint_office, client_for, thread_mode, monkeypatch
):
    started, release = threading.Event(), threading.Event()
    drawn_by: list[str] = []
    real_render = service.render_dot

    def held_render(*args, **kwargs):
        drawn_by.append(threading.current_thread().name)
        started.set()
        if not release.wait(TIMEOUT):
            raise RenderError("the test never released the render")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(service, "render_dot", held_render)
    client = client_for(joint_office)

    response = edit(client, "电解水制氢后台")

    assert response.status_code == 302
    # The save has answered while the render it asked for cannot have finished: it is held.
    assert started.wait(TIMEOUT), "the render never started"
    assert drawn_by == ["chainmap-background"]
    diagram = m.Diagram.objects.get(chain=chain_map.chain, kind=m.DiagramKind.CURRENT)
    assert diagram.pending and "电解水制氢后台" not in diagram.svg
    # Meanwhile the chain page says so and polls for the new drawing.
    page = client.get("/chains/hydrogen/").content.decode()
    assert "data-refresh-url=" in page

    release.set()
    assert thread_mode.wait_idle(TIMEOUT)
    diagram.refresh_from_db()
    assert not diagram.pending and "电解水制氢后台" in diagram.svg
    assert "data-refresh-url=" not in client.get("/chains/hydrogen/").content.decode()


def test_a_process_runs_jobs_in_the_caller_until_it_serves_a_request(regions, client_for, thread_mode):
    _record.delay("command")  # manage.py commands and the shell: the job has run when delay() returns
    assert ran_jobs == [("command", threading.current_thread().name)]

    client_for(None).get("/healthz")
    _record.delay("served")

    assert thread_mode.wait_idle(TIMEOUT)
    assert ran_jobs[1] == ("served", "chainmap-background")


def test_a_failing_job_is_logged_and_the_thread_runs_the_next_one(regions, thread_mode, monkeypatch, caplog):
    monkeypatch.setattr(background.state, "serving", True)
    failed_before = thread_mode.stats()["failed"]

    _fail.delay("no such chain")
    _record.delay("after the failure")

    assert thread_mode.wait_idle(TIMEOUT)
    assert ran_jobs == [("after the failure", "chainmap-background")]
    assert thread_mode.stats()["failed"] == failed_before + 1
    logged = [
        r for r in caplog.records if r.name == "chainmap.core.background" and "tests.background.fail" in r.message
    ]
    assert logged and logged[0].exc_info and "no such chain" in str(logged[0].exc_info[1])


def test_jobs_enqueued_in_a_transaction_that_rolls_back_never_run(chain_map, thread_mode, monkeypatch):
    monkeypatch.setattr(background.state, "serving", True)
    diagram = m.Diagram.objects.get(chain=chain_map.chain, kind=m.DiagramKind.CURRENT)

    with pytest.raises(RuntimeError), transaction.atomic():
        transaction.on_commit(lambda: _record.delay("rolled back"))
        chain_map.up.name = "回滚的名称"
        chain_map.up.save()  # would ask for a render on commit
        raise RuntimeError("rolled back")
    with transaction.atomic():
        transaction.on_commit(lambda: _record.delay("committed"))

    assert thread_mode.wait_idle(TIMEOUT)
    assert [value for value, _thread in ran_jobs] == ["committed"]
    assert m.Diagram.objects.get(pk=diagram.pk).requested == diagram.requested


def test_a_delayed_job_waits_for_its_time_and_is_run_at_exit(regions, thread_mode, monkeypatch):
    monkeypatch.setattr(background.state, "serving", True)

    _record.apply_async(("later",), countdown=3600)
    _record.delay("now")

    wait_for(lambda: ran_jobs, "the job due now")
    assert ran_jobs == [("now", "chainmap-background")]
    assert thread_mode.stats()["queued"] == 1
    thread_mode.drain()  # what the process does at a normal exit
    assert [value for value, _thread in ran_jobs] == ["now", "later"]


def test_healthz_names_the_mode_that_runs_the_jobs(regions, client, settings, thread_mode):
    assert client.get("/healthz").json()["checks"]["worker"]["mode"] == "thread"
    settings.CHAINMAP_BACKGROUND = background.EAGER
    assert client.get("/healthz").json()["checks"]["worker"] == {"ok": True, "mode": "eager"}


# The embedded default itself, in a fresh process on an SQLite file (the suite's own SQLite database lives in
# memory, shared between threads in a way the real file is not): a save made while a job holds the write
# lock waits for it instead of failing with "database is locked", and a save during a render is drawn next.
EMBEDDED_SCRIPT = r"""
import json, threading
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)

from django.conf import settings
from django.db import transaction
from django.test import Client
from chainmap import models as m
from chainmap.core import background
from chainmap.diagrams.services import service
from config.celery import app
from tests import factories as f

assert settings.CHAINMAP_BACKGROUND == "thread" and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
for code in ("BJ", "TJ", "HE"):
    f.region(code)
office = f.member("alice", m.Role.JOINT_OFFICE)
chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢", segment=m.Segment.UPSTREAM)
holding, release = threading.Event(), threading.Event()

@app.task(name="embedded.hold")
def hold():
    with transaction.atomic():  # IMMEDIATE: the write lock is taken at BEGIN and kept until commit
        m.Chain.objects.filter(pk=chain.pk).update(description="held by a job")
        holding.set()
        release.wait(60)

def edit(client, name):
    data = {"code": "H2-UP-01", "name": name, "segment": "up", "reason": "embedded"}
    return client.post("/nodes/H2-UP-01/edit/", data).status_code

client = Client()
client.force_login(office)
client.get("/healthz")  # this process now serves requests
background.worker.wait_idle(60)
hold.delay()
assert holding.wait(60)
threading.Timer(1.0, release.set).start()
first = edit(client, "第一次保存")
waited = release.is_set()  # the save could only commit once the job had

rendering, go_on = threading.Event(), threading.Event()
real_render = service.render_dot
def held_render(*args, **kwargs):
    rendering.set()
    go_on.wait(60)
    return real_render(*args, **kwargs)
service.render_dot = held_render
background.worker.wait_idle(60)  # the first save's render
rendering.clear()
second = edit(client, "渲染前保存")
assert rendering.wait(60)
third = edit(client, "渲染中保存")  # saved while the second save's render runs
go_on.set()
idle = background.worker.wait_idle(120)
diagram = m.Diagram.objects.get(chain=chain, kind="current")
print("RESULT " + json.dumps({
    "statuses": [first, second, third], "waited": waited, "idle": idle, "failed": background.worker.failed,
    "description": m.Chain.objects.get(pk=chain.pk).description, "drawn": "渲染中保存" in diagram.svg,
    "pending": diagram.pending,
}))
"""


@pytest.mark.slow
def test_the_embedded_default_saves_while_a_job_writes_and_a_render_runs(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CHAINMAP_VAR_DIR": str(tmp_path),
            "CHAINMAP_DIAGRAM_DEBOUNCE": "0",
            "CHAINMAP_BACKGROUND": "thread",
            "LOG_LEVEL": "WARNING",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", EMBEDDED_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "database is locked" not in done.stderr
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result == {
        "statuses": [302, 302, 302],
        "waited": True,
        "idle": True,
        "failed": 0,
        "description": "held by a job",
        "drawn": True,
        "pending": False,
    }
