"""Celery tasks of one area (imported by chainmap.tasks so the worker registers them)."""
