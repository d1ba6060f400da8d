"""The production shape in docker-compose.yml is consistent with the code (no Docker engine here to run it)."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_it_has_the_production_services() -> None:
    assert {"db", "redis", "web", "worker", "beat", "mailcatcher"} <= set(SERVICES)


def test_exactly_one_beat() -> None:
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    beats = [name for name, svc in SERVICES.items() if "beat" in (svc.get("command") or [])]
    assert beats == ["beat"]


def test_redis_never_evicts_queued_tasks() -> None:
    command = SERVICES["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_web_runs_gunicorn_on_the_wsgi_app() -> None:
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert callable(getattr(import_module(module), attribute))


def test_worker_and_beat_use_the_celery_app() -> None:
    from config.celery import app

    for name in ("worker", "beat"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["celery", "-A", "config"]
        assert import_module(command[2]).celery_app is app


def test_every_variable_the_app_reads_is_documented() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read = set(re.findall(r'env\.\w+\("([A-Z_]+)"', (ROOT / "config" / "settings.py").read_text()))
    assert read - documented == set()


def test_compose_sets_only_documented_variables() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    web_env = set(SERVICES["web"]["environment"])
    assert web_env - documented == set()
