"""Fault drills for report mail, with real processes: a Celery worker (prefork, the production
pool), a Redis started here on a free loopback port (append-only, fsync on every write), an SMTP
server (aiosmtpd) and the PostgreSQL test database, committed so the worker sees it.

* a worker SIGKILLed mid-send, then a new one: every recipient gets the report exactly once;
* Redis SIGKILLed and restarted with jobs queued: none is lost, none is sent twice;
* SMTP down: retries, failed rows shown on the round page, resent from there: exactly once in all;
* two beat ticks on the round's day: one round, one report, one mail per recipient.

The test process plays beat: it sends the delivery sweeper's task every second, as the
``sweep-deliveries`` entry does every minute (the lease is six seconds here, five minutes in
production).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from chainmap import models as m
from chainmap.reports import tasks as tasks_reports
from chainmap.reports.services import deliveries
from tests.conftest import require
from tests.diagrams.test_tasks import database_url
from tests.reports.test_services_deliveries import built_report, chain_world, closed_port, subscribe  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
LEASE_SECONDS = 6  # the send task's hard time limit is 4 s, its soft one 3 s
REDIS_SERVER = "/usr/bin/redis-server"


def redis_binary() -> str | None:
    from shutil import which

    return which("redis-server") or (REDIS_SERVER if os.path.exists(REDIS_SERVER) else None)


class RedisServer:
    """A redis-server of this test only: 127.0.0.1, a free port, its data in a tmp dir, AOF on."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = closed_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = redis_binary()
        assert binary is not None
        command = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                   "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes",
                   "--daemonize", "no", "--logfile", str(self.directory / "redis.log")]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"redis-server did not start:\n{log}")
            time.sleep(0.05)

    def kill(self) -> None:
        """A crash, not a shutdown: no final save, only what the append-only file already holds."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def queued(self) -> int:
        """Jobs waiting in the queue, not yet handed to any worker."""
        return int(redis.Redis.from_url(self.url, socket_timeout=2).llen("celery"))

    def held(self) -> int:
        """Every job the broker still holds: waiting, or handed to a worker and not yet acknowledged
        (kombu keeps those in its ``unacked`` hash until the ack, and puts them back if the worker dies)."""
        client = redis.Redis.from_url(self.url, socket_timeout=2)
        return int(client.llen("celery")) + int(client.hlen("unacked"))


class Mailbox:
    """The SMTP server's side. With ``hold`` set, every session waits at RCPT: the client is mid-send
    and the server has accepted nothing (no DATA yet)."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.waiting = 0
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold.is_set():
            self.waiting += 1
            while self.hold.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"

    def recipients(self) -> Counter[str]:
        return Counter(str(message["To"]) for message in self.messages)


class SmtpServer:
    def __init__(self) -> None:
        self.port = closed_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Worker:
    """``celery worker`` in its own process group (prefork, two children, like docker-compose)."""

    def __init__(self, *, directory: Path, env: dict[str, str], name: str, prelude: str = "") -> None:
        self.directory, self.env, self.name, self.prelude = directory, env, name, prelude
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / f"{name}.log"

    def start(self) -> None:
        argv = ["celery", "-A", "config", "worker", "-P", "prefork", "-c", "2", "--without-heartbeat",
                "--without-gossip", "--without-mingle", "-l", "info",
                "-n", f"{self.name}-{os.getpid()}@%h"]  # fmt: skip
        code = f"{self.prelude}\nimport sys\nfrom celery.__main__ import main\nsys.argv = {argv!r}\nmain()\n"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 40
        while "ready." not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{self.text()[-3000:]}")
            time.sleep(0.1)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """The whole group, main process and pool children: nothing gets to acknowledge or clean up."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def stop(self) -> None:
        """End of the drill: nothing is left to finish, and a warm shutdown costs seconds."""
        self.kill()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # pool children left behind, if any


class Drill:
    """Redis, SMTP and workers of one drill; the test process sends its tasks to that Redis."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.redis = RedisServer(directory)
        self.smtp = SmtpServer()
        self.workers: list[Worker] = []

    @property
    def mailbox(self) -> Mailbox:
        return self.smtp.mailbox

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DB_CONN_MAX_AGE": "0",
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "EMAIL_TIMEOUT": "2",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CHAINMAP_VAR_DIR": str(self.directory / "var"),
            "CHAINMAP_MAIL_SENDING_TIMEOUT": str(LEASE_SECONDS),
            "CHAINMAP_MAIL_MAX_RETRIES": "2",
            "CHAINMAP_MAIL_BACKOFF": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def worker(self, name: str, *, prelude: str = "") -> Worker:
        worker = Worker(directory=self.directory, env=self.env(), name=name, prelude=prelude)
        self.workers.append(worker)
        worker.start()
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.text()[-3000:]}" for w in self.workers)

    def beat(self) -> None:
        tasks_reports.sweep_deliveries.delay()

    def wait_for(self, predicate: Callable[[], bool], *, what: str, timeout: float = 30, sweep: bool = True) -> None:
        deadline = time.monotonic() + timeout
        next_tick = 0.0
        while not predicate():
            if time.monotonic() > deadline:
                rows = list(m.Delivery.objects.values_list("email", "status", "attempts", "last_error"))
                pytest.fail(f"timed out waiting for {what}; deliveries {rows}\n{self.logs()}")
            if sweep and time.monotonic() >= next_tick:
                self.beat()
                next_tick = time.monotonic() + 1
            time.sleep(0.1)

    def quiet(self, seconds: float) -> None:
        """Room for a late duplicate (a redelivery, a second sweep) to show up, beat still ticking."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.beat()
            time.sleep(1)


@pytest.fixture
def drill(tmp_path, settings, monkeypatch) -> Iterator[Drill]:
    require(connection.vendor == "postgresql", "the fault drills need PostgreSQL: set DATABASE_URL=postgres://...")
    require(redis_binary() is not None, "the fault drills need redis-server (apt-get install redis-server)")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "SENDING_TIMEOUT_SECONDS": LEASE_SECONDS}
    from config.celery import app

    drill = Drill(tmp_path)
    saved = app.conf.broker_url
    try:
        drill.redis.start()
        # Celery reads this variable before its own settings.
        monkeypatch.setenv("CELERY_BROKER_URL", drill.redis.url)
        app.conf.broker_url = drill.redis.url
        app._pool = None
        app.amqp._producer_pool = None
        yield drill
    finally:
        for worker in drill.workers:
            worker.stop()
        drill.smtp.stop()
        drill.redis.kill()
        app.conf.broker_url = saved
        app.conf.task_always_eager = True
        app._pool = None
        app.amqp._producer_pool = None


def live(drill: Drill) -> None:
    """From here on this process queues tasks for the drill's worker instead of running them."""
    from config.celery import app

    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None


def statuses() -> Counter[str]:
    return Counter(m.Delivery.objects.values_list("status", flat=True))


def assert_each_once(drill: Drill, emails: list[str]) -> None:
    """One mail per recipient, each with its delivery's own Message-ID, and every row sent."""
    assert drill.mailbox.recipients() == Counter(emails), drill.logs()
    expected = {d.email: deliveries.message_id(delivery=d) for d in m.Delivery.objects.filter(email__in=emails)}
    assert {str(message["To"]): str(message["Message-ID"]) for message in drill.mailbox.messages} == expected
    assert statuses() == Counter({"sent": len(emails)})


def test_a_worker_killed_mid_send_then_restarted_mails_everyone_exactly_once(chain_world, drill):  # noqa: F811
    subscribe("sub_third", chains=[chain_world["chain"]])
    report = built_report(chain_world)
    drill.mailbox.hold.set()
    drill.smtp.start()
    first = drill.worker("killed")
    live(drill)
    assert deliveries.deliveries_enqueue(report_id=report.pk) == 3

    # Two sends in flight (one per pool child, SMTP sessions open, nothing accepted), one queued.
    drill.wait_for(lambda: drill.mailbox.waiting == 2, what="two sends in flight", sweep=False)
    assert statuses() == Counter({"sending": 2, "pending": 1})
    first.kill()
    drill.mailbox.hold.clear()
    assert drill.mailbox.messages == []

    drill.worker("restarted")
    emails = ["sub_all@example.cn", "sub_chain@example.cn", "sub_third@example.cn"]
    drill.wait_for(lambda: len(drill.mailbox.messages) == 3, what="every recipient's mail", timeout=40)
    drill.quiet(2)
    assert_each_once(drill, emails)
    recovered = m.Delivery.objects.filter(attempts=2)
    assert recovered.count() == 2 and all(not d.last_error for d in recovered)


def test_redis_killed_and_restarted_with_jobs_queued_loses_none(chain_world, drill):  # noqa: F811
    subscribe("sub_third", chains=[chain_world["chain"]])
    subscribe("sub_fourth", chains=[chain_world["chain"]])
    report = built_report(chain_world)
    drill.mailbox.hold.set()
    drill.smtp.start()
    drill.worker("worker")
    live(drill)
    assert deliveries.deliveries_enqueue(report_id=report.pk) == 4
    drill.wait_for(lambda: drill.mailbox.waiting == 2, what="two sends in flight", sweep=False)
    assert drill.redis.queued() == 2
    assert drill.redis.held() == 4  # two waiting, two in flight and unacknowledged (acks_late)

    drill.redis.kill()
    # A subscriber added while Redis is down: the row is committed, its task cannot be queued.
    subscribe("sub_late", chains=[chain_world["chain"]])
    assert deliveries.deliveries_enqueue(report_id=report.pk) == 1
    drill.redis.start()  # same port, same directory: the append-only file is replayed
    # The append-only file replays all four: the two waiting and the two unacknowledged. The worker,
    # reconnecting, may already have taken the waiting two (into the unacknowledged hash) or put its
    # in-flight two back in the queue; either way the broker still holds every one, and the claims
    # below keep any copy from sending twice.
    assert drill.redis.held() >= 4, "the queued jobs did not survive the restart"
    drill.mailbox.hold.clear()

    emails = ["sub_all@example.cn", "sub_chain@example.cn", "sub_fourth@example.cn", "sub_late@example.cn",
              "sub_third@example.cn"]  # fmt: skip
    drill.wait_for(lambda: len(drill.mailbox.messages) == 5, what="every recipient's mail", timeout=40)
    drill.quiet(2)
    assert_each_once(drill, emails)


def test_smtp_down_retries_shows_failed_rows_and_their_resend_mails_once(
    chain_world,  # noqa: F811
    drill,
    joint_office,
    client_for,
):
    report = built_report(chain_world)
    drill.worker("worker")  # SMTP is not started: connections are refused
    live(drill)
    assert deliveries.deliveries_enqueue(report_id=report.pk) == 2
    drill.wait_for(lambda: statuses() == Counter({"failed": 2}), what="both rows failed")
    drill.quiet(2)  # the sweeper leaves failed rows alone
    rows = list(m.Delivery.objects.order_by("email"))
    assert [(d.status, d.attempts) for d in rows] == [("failed", 3), ("failed", 3)]  # first try + 2 retries
    assert all("ConnectionRefusedError" in d.last_error for d in rows)

    official = client_for(joint_office)
    page = official.get(f"/rounds/{report.round_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for delivery in rows:
        assert f'action="/deliveries/{delivery.pk}/resend/"' in page
    assert page.count("ConnectionRefusedError") == 2

    drill.smtp.start()  # the server is back
    for delivery in rows:
        assert official.post(f"/deliveries/{delivery.pk}/resend/").status_code == 302
    drill.wait_for(lambda: len(drill.mailbox.messages) == 2, what="the resent mail")
    drill.quiet(2)
    assert_each_once(drill, ["sub_all@example.cn", "sub_chain@example.cn"])
    page = official.get(f"/rounds/{report.round_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ConnectionRefusedError" not in page


# The worker's clock: 09:00 Beijing time on 2 November 2026, the month's first working day.
ROUND_DAY = (
    "import datetime, time_machine\n"
    "time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.timezone("
    "datetime.timedelta(hours=8))), tick=True).start()"
)


def test_two_beat_ticks_make_one_round_and_one_mail_each(chain_world, drill):  # noqa: F811
    drill.smtp.start()
    drill.worker("worker", prelude=ROUND_DAY)
    live(drill)
    tasks_reports.monthly_chain_round.delay()
    tasks_reports.monthly_chain_round.delay()
    drill.wait_for(lambda: len(drill.mailbox.messages) >= 2, what="the round's mail", timeout=60)
    drill.quiet(2)
    assert m.MatchingRound.objects.count() == 1
    assert m.Report.objects.count() == 1 and m.Report.objects.get().status == m.Report.Status.READY
    assert m.MatchingRound.objects.get().period == dt.date(2026, 11, 1)
    assert_each_once(drill, ["sub_all@example.cn", "sub_chain@example.cn"])
