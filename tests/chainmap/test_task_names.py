"""Every job's name is written down, not derived from where its function lives: beat rows, queued
messages and retries name jobs by these strings, so moving a module must not rename a job."""

from __future__ import annotations

import ast
from pathlib import Path

from chainmap.services.schedules import JOBS
from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def pinned_names() -> dict[str, str]:
    """function → the ``name=`` of its ``@shared_task``, for every task module of the product."""
    found = {}
    for path in sorted((ROOT / "chainmap").glob("tasks*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                if getattr(target, "id", None) != "shared_task":
                    continue
                names = [kw.value.value for kw in (call.keywords if call else []) if kw.arg == "name"]
                found[f"{path.stem}.{node.name}"] = names[0] if names else ""
    return found


def test_every_task_has_its_name_pinned():
    names = pinned_names()
    assert len(names) >= 16
    assert {where: name for where, name in names.items() if name != f"chainmap.{where}"} == {}


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    assert {job.task for job in JOBS} <= set(app.tasks)
    assert set(pinned_names().values()) <= set(app.tasks)
