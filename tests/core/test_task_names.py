"""Every job's name is written down, not derived from where its function lives: beat rows, queued
messages and retries name jobs by these strings, so moving a module must not rename a job."""

from __future__ import annotations

import ast
from pathlib import Path

from chainmap.core.schedules import JOBS
from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


# The names beat rows and queued messages already hold: they stay, wherever the functions live.
PINNED = {
    "chainmap.tasks.render_all_diagrams",
    "chainmap.tasks.render_chain_diagram",
    "chainmap.tasks.render_cluster_diagram",
    "chainmap.tasks.render_diff_diagram",
    "chainmap.tasks_imports.import_apply",
    "chainmap.tasks_imports.import_validate",
    "chainmap.tasks_leadership.rotate_chain",
    "chainmap.tasks_leadership.rotate_leadership",
    "chainmap.tasks_leadership.send_handover",
    "chainmap.tasks_reports.build_report",
    "chainmap.tasks_reports.monthly_chain_round",
    "chainmap.tasks_reports.monthly_round",
    "chainmap.tasks_reports.quarterly_cluster_round",
    "chainmap.tasks_reports.send_delivery",
    "chainmap.tasks_reports.sweep_deliveries",
    "chainmap.tasks_rounds.match_round",
}


def pinned_names() -> dict[str, str]:
    """``area.function`` → the ``name=`` of its ``@shared_task``, for every area's tasks module."""
    found = {}
    for path in sorted((ROOT / "chainmap").glob("*/tasks.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                if getattr(target, "id", None) != "shared_task":
                    continue
                names = [kw.value.value for kw in (call.keywords if call else []) if kw.arg == "name"]
                found[f"{path.parent.name}.{node.name}"] = names[0] if names else ""
    return found


def test_every_task_has_its_name_pinned():
    names = pinned_names()
    assert len(names) >= 16
    assert {where: name for where, name in names.items() if name not in PINNED} == {}
    assert set(names.values()) == PINNED


def test_every_pinned_name_is_registered_under_that_name():
    app.loader.import_default_modules()
    assert set(app.tasks) >= PINNED


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    assert {job.task for job in JOBS} <= set(app.tasks)
    assert set(pinned_names().values()) <= set(app.tasks)
