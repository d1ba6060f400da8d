"""Jobs without a broker: one background thread in the web process (the embedded default, ``bin/run``).

``settings.CHAINMAP_BACKGROUND`` says how an enqueued job (``task.delay()``, ``apply_async``) runs:

- ``"celery"``: a broker is configured; the message goes to the Celery workers (Celery's own path).
- ``"thread"``: no broker, the default. Once this process serves a request (Django's
  ``request_started``), every enqueue puts the job on one process-wide queue and returns at once,
  so a save never waits for the diagram it changes. One daemon thread runs the jobs one at a time,
  in the order they are due: ``countdown`` / ``eta`` are honoured (the diagram debounce). A job
  enqueued by a running job (a match queuing its report) goes on the same queue, after it.
  Processes that serve no request (``manage.py`` commands, the shell) run jobs in the caller, as
  before, so a command prints finished work.
- ``"eager"``: every job runs in the caller at once (Celery's ``task_always_eager``). The test
  suite sets it (tests/conftest.py); tests of this module switch to ``"thread"``.

How a job runs on the thread: ``task.apply()``, Celery's eager code path, so the tasks keep their
no-broker behaviour (``request.is_eager``): a render waits for the chain's lock instead of
re-enqueueing, a failed mail is tried again at once, retries run at once. The services enqueue
on ``transaction.on_commit``, so a job never sees uncommitted data and a rolled-back transaction
enqueues nothing. Arguments go through the task serializer (JSON), as they would to a broker.
After each job the thread closes its database connections: with SQLite nothing holds the file
between jobs, and the settings' busy timeout (20 s) with IMMEDIATE transactions make a request's
write and a job's write wait for each other instead of failing with "database is locked". An
exception is logged with its traceback (logger ``chainmap.core.background``) and the thread goes on
with the next job.

Nothing is persisted: jobs still queued when the process dies are lost. At a normal exit (Ctrl-C,
the autoreloader's restart) the queue is drained first, for at most ``DRAIN_SECONDS``. Every job is
idempotent, and what they keep up to date catches up at the next change or ``manage.py
render_diagrams`` (``bin/run`` runs it at start). There is no beat without a broker: ``bin/run``
opens today's leadership terms once at start; the monthly rounds and the mail sweep need a worker
and ``celery beat`` (docker-compose.yml), or ``manage.py run_round``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from celery import Task
from django.core.signals import request_started
from kombu.serialization import dumps, loads

logger = logging.getLogger(__name__)

CELERY, THREAD, EAGER = "celery", "thread", "eager"
DRAIN_SECONDS = 30.0


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    name: str = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    kwargs: dict[str, Any] = field(compare=False)
    task_id: str = field(compare=False)


class Worker:
    """A queue of jobs ordered by due time, and the one daemon thread that runs them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._running: _Job | None = None
        self._hurry = False  # drain: run delayed jobs now
        self._exit_hook = False
        self.done = 0
        self.failed = 0

    def submit(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], *, task_id: str, delay: float) -> None:
        job = _Job(time.monotonic() + max(0.0, delay), next(self._seq), name, args, kwargs, task_id)
        with self._cond:
            heapq.heappush(self._heap, job)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="chainmap-background", daemon=True)
                self._thread.start()
                if not self._exit_hook:
                    atexit.register(self.drain)
                    self._exit_hook = True
            self._cond.notify_all()

    def _next(self) -> _Job:
        with self._cond:
            while True:
                if self._heap:
                    wait = self._heap[0].due - time.monotonic()
                    if wait <= 0 or self._hurry:
                        self._running = heapq.heappop(self._heap)
                        return self._running
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _loop(self) -> None:
        while True:
            job = self._next()
            try:
                ok = _run(job)
            finally:
                with self._cond:
                    self._running = None
                    self.done += 1
                    self._cond.notify_all()
            if not ok:
                with self._cond:
                    self.failed += 1

    def wait_idle(self, timeout: float, *, hurry: bool = False) -> bool:
        """Wait until no job is queued or running (``hurry``: delayed jobs run now). Whether it got there."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if hurry:
                self._hurry = True
                self._cond.notify_all()
            try:
                while self._heap or self._running is not None:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._thread is None or not self._thread.is_alive():
                        return False
                    self._cond.wait(min(left, 0.5))
                return True
            finally:
                if hurry:
                    self._hurry = False

    def drain(self) -> None:
        """At exit: run what is still queued, for at most DRAIN_SECONDS."""
        with self._cond:
            pending = len(self._heap) + (self._running is not None)
        if not pending:
            return
        logger.info("finishing %s background job(s) before exit", pending)
        if not self.wait_idle(DRAIN_SECONDS, hurry=True):
            with self._cond:
                left = [job.name for job in self._heap]
            logger.warning("exit with background jobs not run (they are idempotent; rerun them): %s", left)

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "alive": self._thread is not None and self._thread.is_alive(),
                "started": self._thread is not None,
                "queued": len(self._heap),
                "running": self._running.name if self._running is not None else None,
                "done": self.done,
                "failed": self.failed,
            }


def _run(job: _Job) -> bool:
    from django.db import connections

    from config.celery import app

    try:
        app.tasks[job.name].apply(args=job.args, kwargs=job.kwargs, task_id=job.task_id, throw=True)
    except Exception:
        logger.exception("background job %s[%s] failed", job.name, job.task_id)
        return False
    finally:
        connections.close_all()  # this thread's connections only
    return True


worker = Worker()


class _State:
    serving = False  # set by the first request this process serves


state = _State()


def _request_started(**kwargs: Any) -> None:
    state.serving = True


request_started.connect(_request_started, dispatch_uid="chainmap_background_serving")


def mode() -> str:
    """How a job enqueued now runs: "celery", "thread" or "eager"."""
    from django.conf import settings

    from config.celery import app

    configured = getattr(settings, "CHAINMAP_BACKGROUND", CELERY)
    if configured == THREAD:
        return THREAD if state.serving else EAGER
    return EAGER if app.conf.task_always_eager else CELERY


def _delay(options: dict[str, Any]) -> float:
    countdown, eta = options.get("countdown"), options.get("eta")
    if eta is not None:
        if isinstance(eta, str):
            eta = dt.datetime.fromisoformat(eta)
        now = dt.datetime.now(eta.tzinfo) if eta.tzinfo else dt.datetime.now()
        return (eta - now).total_seconds()
    return float(countdown or 0)


class BackgroundTask(Task):
    """The task class of the chainmap Celery app: in thread mode an enqueue goes to ``worker``."""

    def apply_async(
        self,
        args: Any = None,
        kwargs: Any = None,
        task_id: str | None = None,
        producer: Any = None,
        link: Any = None,
        link_error: Any = None,
        shadow: Any = None,
        **options: Any,
    ) -> Any:
        if mode() != THREAD:
            return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow, **options)
        from celery.utils import uuid

        serializer = options.get("serializer") or self.serializer or self.app.conf.task_serializer
        content_type, encoding, data = dumps((tuple(args or ()), dict(kwargs or {})), serializer=serializer)
        args, kwargs = loads(data, content_type, encoding, accept=[content_type])
        task_id = task_id or uuid()
        worker.submit(self.name, tuple(args), kwargs, task_id=task_id, delay=_delay(options))
        return self.AsyncResult(task_id)
