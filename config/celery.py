"""Celery application. Without a broker the web process runs the jobs on a background thread and
every other process runs them in the caller (chainmap.background; settings.CHAINMAP_BACKGROUND)."""

import os

from celery import Celery

from chainmap.background import BackgroundTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chainmap", task_cls=BackgroundTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
