"""Browser journeys: Playwright (Python) driving the system Chromium against a live server on the demo data.

- The browser is Debian's ``chromium`` (``CHAINMAP_CHROMIUM`` overrides ``/usr/bin/chromium``); Playwright
  never downloads one. Without it (or without the ``playwright`` package) these tests skip with the reason,
  and fail under ``CI=true``.
- The demo data (``services.demo.demo_load``) is loaded and committed once for this package, served by one
  live server, and flushed after the package, so the rest of the suite starts from an empty database again.
  Journeys change different objects, so they do not depend on their order.
- Personas log in once through the real login form; each test gets fresh browser contexts from their
  saved cookies. Every page opened through ``Browser.open`` records console errors and page errors.
- The last screen of each journey is saved to ``var/e2e-screenshots/<test name>.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls next to a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.conftest import require

CHROMIUM = os.environ.get("CHAINMAP_CHROMIUM", "/usr/bin/chromium")
LOCALE = "zh-CN"  # the product's default language; the language journey switches to English
TIMEOUT_MS = 15_000
HISTORY_AGE_DAYS = 30  # the demo's history is dated back, so as-of and diff pages have a past to show

# Demo logins (chainmap.demo.users) of the crawl's and journeys' personas.
PERSONAS = {
    "joint_office": "lianhe",
    "bj_official": "bj_official",
    "tj_official": "tj_official",
    "he_official": "he_official",
    "enterprise_member": "ent_tj",
    "subscriber": "subscriber",
}


def screenshot_dir() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "e2e-screenshots"


def _playwright_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (uv sync installs the dev group)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHAINMAP_CHROMIUM)"
    return None


@pytest.fixture(scope="package")
def playwright_browser() -> Iterator[Any]:
    missing = _playwright_missing()
    require(missing is None, missing or "")
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # root: no user namespace
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


@dataclass(frozen=True)
class DemoWorld:
    """What the tests need to know about the loaded demo data."""

    usernames: dict[str, str]
    password: str


def _backdate_history(*, days: int) -> None:
    """Move every history record of the freshly loaded demo ``days`` back, as if loaded a month ago."""
    from datetime import timedelta

    from django.apps import apps
    from django.db.models import F

    for model in apps.get_models():
        if model.__name__.startswith("Historical") and any(f.name == "history_date" for f in model._meta.fields):
            model.objects.update(history_date=F("history_date") - timedelta(days=days))


@pytest.fixture(scope="package")
def e2e_data(request: Any, django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoWorld]:
    """The demo data, committed for the package's tests and flushed after them.

    The database stays unblocked for the package: the live server's threads and the tests' own ORM
    assertions run in autocommit, outside any test transaction (no ``db`` fixture, whose transaction
    would hold back the on-commit diagram renders)."""
    from django.core.management import call_command
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    from chainmap.demo.loading import demo_load
    from chainmap.demo.users import DEMO_PASSWORD
    from config.celery import app

    # pytest-django creates the test database only when some collected test asks for ``db``; when only
    # these tests run, nothing did, so create it here (and drop it afterwards).
    own_db = None
    if "default" not in _get_databases_for_setup(request.session.items)[0]:
        with django_db_blocker.unblock():
            own_db = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    with django_db_blocker.unblock():
        demo_load()
        _backdate_history(days=HISTORY_AGE_DAYS)
        yield DemoWorld(usernames=PERSONAS, password=DEMO_PASSWORD)
        call_command("flush", interactive=False, verbosity=0)
        if own_db is not None:
            teardown_databases(own_db, verbosity=0)
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def _jobs_mode() -> str:
    """The embedded default's mode: jobs on the server process's background thread, after the response
    (chainmap.core.background), so the pages must poll for their results as they do for real. Not on the
    suite's in-memory SQLite, whose threads share one cache and fail at once on a lock instead of waiting
    the busy timeout like the real file (tests/core/test_background.py covers that file)."""
    from django.db import connection

    from chainmap.core import background

    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
    return background.EAGER if in_memory else background.THREAD


@pytest.fixture(scope="package")
def e2e_server(e2e_data: DemoWorld) -> Iterator[Any]:
    """A live server thread (pytest-django's helper, without the function-scoped flush of ``live_server``)."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    from chainmap.core import background

    jobs = override_settings(CHAINMAP_BACKGROUND=_jobs_mode())
    jobs.enable()
    server = LiveServer("localhost")
    server._live_server_modified_settings.enable()
    yield server
    # Before the flush: no job may still run (or hold a connection) against the demo data.
    background.worker.wait_idle(120, hurry=True)
    server._live_server_modified_settings.disable()
    server.stop()
    jobs.disable()


@pytest.fixture(scope="package")
def storage_states(playwright_browser: Any, e2e_server: Any, e2e_data: DemoWorld) -> dict[str, Any]:
    """Each persona logs in once through the real login form; tests reuse the session cookie."""
    states = {}
    for persona, username in e2e_data.usernames.items():
        context = playwright_browser.new_context(base_url=e2e_server.url, locale=LOCALE)
        page = context.new_page()
        page.goto("/login/")
        form = page.locator("form:has(input[name=password])")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(e2e_data.password)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{e2e_server.url}/")
        states[persona] = context.storage_state()
        context.close()
    return states


_screenshots_taken: list[Path] = []


@pytest.fixture(scope="package", autouse=True)
def _fresh_screenshot_dir() -> None:
    if _playwright_missing() is None:
        shutil.rmtree(screenshot_dir(), ignore_errors=True)
        screenshot_dir().mkdir(parents=True, exist_ok=True)


@dataclass
class Session:
    """One persona's browser context and page, with the console errors seen on it."""

    persona: str
    context: Any
    page: Any
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"{page.url}: {msg.text}"))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: uncaught {exc}"))


class Browser:
    """``browser.open("tj_official")`` → a Session logged in as that persona on the live server."""

    def __init__(self, playwright_browser: Any, server: Any, states: dict[str, Any], test_name: str) -> None:
        self._browser = playwright_browser
        self.url = server.url
        self._states = states
        self._test_name = test_name
        self.sessions: list[Session] = []

    def open(self, persona: str | None) -> Session:
        state = self._states[persona] if persona else None
        context = self._browser.new_context(
            base_url=self.url, locale=LOCALE, storage_state=state, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        session = Session(persona=persona or "anonymous", context=context, page=context.new_page())
        session.watch(session.page)
        self.sessions.append(session)
        return session

    def screenshot(self, session: Session, suffix: str = "") -> Path:
        name = re.sub(r"[^\w.-]+", "_", self._test_name + (f"-{suffix}" if suffix else ""))
        path = screenshot_dir() / f"{name}.png"
        session.page.screenshot(path=str(path), full_page=True)
        _screenshots_taken.append(path)
        return path

    def console_errors(self, *, allow: tuple[str, ...] = ()) -> list[str]:
        return [e for s in self.sessions for e in s.errors if not any(pattern in e for pattern in allow)]

    def close(self) -> None:
        for session in self.sessions:
            session.context.close()


@pytest.fixture
def browser(
    playwright_browser: Any, e2e_server: Any, storage_states: dict[str, Any], request: Any
) -> Iterator[Browser]:
    opened = Browser(playwright_browser, e2e_server, storage_states, request.node.name)
    yield opened
    opened.close()


@pytest.fixture
def world(e2e_data: DemoWorld) -> DemoWorld:
    return e2e_data


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _screenshots_taken:
        terminalreporter.write_line(f"e2e screenshots ({len(_screenshots_taken)}): {_screenshots_taken[0].parent}")
