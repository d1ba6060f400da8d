"""Celery application. Without a broker the web process runs the jobs on a background thread and
every other process runs them in the caller (chainmap.core.background; settings.CHAINMAP_BACKGROUND)."""

import os

from celery import Celery

from chainmap.apps import TASK_AREAS
from chainmap.core.background import BackgroundTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chainmap", task_cls=BackgroundTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each area keeps its own tasks module (chainmap.apps.TASK_AREAS); the names are pinned with name=.
app.autodiscover_tasks(lambda: TASK_AREAS)
