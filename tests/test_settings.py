"""Settings come only from the environment and fail loudly, naming the variable, on malformed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"


def load_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with exactly these variables (plus PATH/HOME)."""
    environ = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "CHAINMAP_VAR_DIR": "/tmp/chainmap-settings-test"})
    environ.update(overrides)
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, settings.DEBUG)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_nothing_set_gives_sqlite_eager_debug() -> None:
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "True"]


def test_database_url_switches_to_postgres_and_broker_disables_eager() -> None:
    result = load_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False", "True"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x@y/z"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("EMAIL_URL", "smtp://host:notaport"),
        ("SESSION_COOKIE_AGE", "ten"),
        ("DJANGO_ENV", "staging"),
        ("CHAINMAP_TERM_MONTHS", "0"),
        ("CHAINMAP_ROTATION_ORDER", "BJ,TJ"),
        ("ALLOWED_HOSTS", "a,,b"),
    ],
)
def test_malformed_value_stops_startup_naming_the_variable(variable: str, value: str) -> None:
    result = load_settings(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_production_requires_its_secrets() -> None:
    result = load_settings(DJANGO_ENV="production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_debug() -> None:
    result = load_settings(DJANGO_ENV="production", DJANGO_DEBUG="true", DJANGO_SECRET_KEY=GOOD_SECRET)
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_production_refuses_a_cache_of_its_own_per_process() -> None:
    result = load_settings(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="chainmap.example.cn",
        DATABASE_URL="postgres://u@db:5432/chainmap",
        CELERY_BROKER_URL="redis://redis:6379/1",
        EMAIL_URL="smtp://mail:1025",
    )
    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr


def test_production_with_everything_set_starts() -> None:
    result = load_settings(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="chainmap.example.cn",
        DATABASE_URL="postgres://u@db:5432/chainmap",
        REDIS_URL="redis://redis:6379/0",
        EMAIL_URL="smtp://mail:1025",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False", "False"]


class TestEnvReaders:
    def test_bool_accepts_the_usual_spellings(self) -> None:
        env = Env({"A": "Yes", "B": "off", "C": " 1 "})
        assert (env.bool("A", False), env.bool("B", True), env.bool("C", False)) == (True, False, True)

    def test_bool_default_when_unset_or_blank(self) -> None:
        assert Env({"A": "  "}).bool("A", True) is True

    def test_int_bounds(self) -> None:
        with pytest.raises(ImproperlyConfigured, match="X must be at most 5"):
            Env({"X": "6"}).int("X", 1, maximum=5)

    def test_list_splits_and_strips(self) -> None:
        assert Env({"L": "a, b ,c"}).list("L", []) == ["a", "b", "c"]

    def test_required_string_missing(self) -> None:
        with pytest.raises(ImproperlyConfigured, match="S must be set"):
            Env({}).str("S", required=True)
