"""Enqueueing jobs by their pinned names, so that services never import task modules.

The direction is one way: an area's ``tasks`` module imports its services and calls them; a service
that wants work done later names the job (``name=`` of its ``@shared_task``, stable across moves) and
sends it here. The task object is looked up in the Celery app's registry, so eager mode, the
background thread (``chainmap.core.background``) and a real worker all run it as before.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Task, current_app
from django.db import transaction

_imported = threading.Lock()
_ready = False


def job(name: str) -> Task:
    """The registered task of that name. Task modules are imported on the first call in a process
    that has not imported them yet (a web process imports no task module by itself)."""
    global _ready
    app = current_app
    if name not in app.tasks and not _ready:
        with _imported:
            if not _ready:
                app.loader.import_default_modules()
                _ready = True
    return app.tasks[name]


def send(name: str, /, *, countdown: int | None = None, **kwargs: Any) -> Any:
    """Send the job now (``delay``, or ``apply_async`` with a countdown). Raises what the broker raises."""
    task = job(name)
    if countdown is None:
        return task.delay(**kwargs)
    return task.apply_async(kwargs=kwargs, countdown=countdown)


def send_on_commit(name: str, /, **kwargs: Any) -> None:
    """Send the job once the current transaction commits (at once outside a transaction); a rollback
    sends nothing."""
    transaction.on_commit(lambda: send(name, **kwargs))
