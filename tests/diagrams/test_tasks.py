"""A real Celery worker process, against Redis and the PostgreSQL test database, picks up the
diagram render after a node edit commits; a burst of 20 edits gives one render."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import override_settings

from chainmap import models as m
from chainmap.diagrams import services as diagrams
from chainmap.diagrams.services import fonts
from tests import factories as f
from tests.conftest import require

BASE_DIR = Path(settings.BASE_DIR)
DEBOUNCE = 2


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


def redis_reachable() -> bool:
    try:
        cache.set("chainmap:test:ping", "1", 5)
        return cache.get("chainmap:test:ping") == "1"
    except Exception:
        return False


@pytest.fixture
def worker(tmp_path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A Celery worker started for this test (solo pool), stopped at the end whatever happens."""
    require(connection.vendor == "postgresql", "the worker test needs PostgreSQL: set DATABASE_URL=postgres://...")
    require(bool(settings.REDIS_URL), "the worker test needs Redis: set REDIS_URL=redis://...")
    require(redis_reachable(), f"Redis at {settings.REDIS_URL} does not answer")
    require(fonts.system_dot() is not None, "the system Graphviz `dot` is not installed (apt-get install graphviz)")
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app._pool = None
    app.amqp._producer_pool = None
    app.control.purge()  # nothing left over from earlier runs reaches this worker
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CHAINMAP_DIAGRAM_DEBOUNCE": str(DEBOUNCE),
        "CHAINMAP_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-P",
        "solo",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "info",
        "-n",
        f"diagram-test-{os.getpid()}@%h",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 40
        while "ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield proc, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(predicate, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text(errors='replace')[-4000:]}")


def renders(chain: m.Chain) -> int:
    return (
        m.Diagram.objects.filter(chain=chain, kind=m.DiagramKind.CURRENT).values_list("renders", flat=True).first() or 0
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_after_commit_and_debounces_a_burst(worker, regions):
    proc, log = worker
    with override_settings(CHAINMAP_DIAGRAMS={**settings.CHAINMAP_DIAGRAMS, "AUTO_RENDER": False}):
        chain = f.ChainFactory(code="H2W", slug="hydrogen-worker", name="氢能")
        system = f.NodeFactory(chain=chain, code="H2W-MID-01", name="燃料电池系统", segment=m.Segment.MIDSTREAM)
        mea = f.NodeFactory(chain=chain, code="H2W-MID-02", name="膜电极", segment=m.Segment.MIDSTREAM, parent=system)
        f.EdgeFactory(chain=chain, source=mea, target=system)
        m.NodeAssessment.objects.create(node=mea, region=regions["TJ"], level="strong")
    assert diagrams.diagram_render_chain(chain_id=chain.pk) == diagrams.RENDERED
    assert renders(chain) == 1

    with override_settings(
        CELERY_TASK_ALWAYS_EAGER=False,
        CHAINMAP_DIAGRAMS={**settings.CHAINMAP_DIAGRAMS, "DEBOUNCE": DEBOUNCE},
    ):
        # One committed edit: the worker (not this process) draws the new diagram.
        mea.name = "膜电极组件"
        mea.save()
        assert m.Diagram.objects.get(chain=chain).pending
        wait_for(lambda: renders(chain) == 2, timeout=30, what="the render after one edit", log=log)
        diagram = m.Diagram.objects.get(chain=chain)
        assert "膜电极组件" in diagram.svg and not diagram.pending
        assert diagram.png_size > 0 and diagram.pdf_size > 0

        # A burst of twenty committed edits: one render, showing the last one.
        for index in range(20):
            mea.name = f"膜电极第{index + 1}版"
            mea.save()
        wait_for(lambda: renders(chain) >= 3, timeout=30, what="the render after the burst", log=log)
        time.sleep(DEBOUNCE + 2)  # room for a second render, if the burst had produced one
    diagram = m.Diagram.objects.get(chain=chain)
    assert diagram.renders == 3, log.read_text(errors="replace")[-4000:]
    assert "膜电极第20版" in diagram.svg and not diagram.pending
    assert proc.poll() is None, "the worker died"
    succeeded = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if "render_chain_diagram" in line and "succeeded" in line
    ]
    assert succeeded and all("'rendered'" in line or "'unchanged'" in line for line in succeeded)
