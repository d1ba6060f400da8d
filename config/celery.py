"""Celery application. Without a broker the tasks run eagerly (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chainmap")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
