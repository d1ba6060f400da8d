"""Personas and shared fixtures.

Personas: ``joint_office`` (联合办), ``bj_official`` / ``tj_official`` / ``he_official`` (region
officials), ``enterprise_member`` (a Tianjin enterprise's member), ``subscriber``, and anonymous.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from chainmap import models as m
from tests import factories as f

# The API tests' world (a chain, its map, enterprises, a proposal, a round, a project) and API clients,
# for the API tests of every area.
pytest_plugins = ["tests.api_fixtures"]

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip outside CI when a real dependency is missing; in CI a missing dependency is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    """Jobs run in the caller at once (not on chainmap.core.background's thread): tests see their effect
    right after the commit. tests/core/test_background.py switches the thread mode on."""
    from django.conf import settings

    settings.CHAINMAP_BACKGROUND = "eager"


@pytest.fixture(autouse=True)
def _eager_tasks_and_clean_cache():
    """Tasks run in process unless a test starts a real worker; no cache state leaks between tests."""
    from django.core.cache import cache

    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    cache.clear()
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def regions(db) -> dict[str, m.Region]:
    return {code: f.region(code) for code in ("BJ", "TJ", "HE")}


@pytest.fixture
def joint_office(regions):
    return f.member("alice", m.Role.JOINT_OFFICE)


@pytest.fixture
def bj_official(regions):
    return f.member("bj_official", m.Role.REGION_OFFICIAL, region_code="BJ")


@pytest.fixture
def tj_official(regions):
    return f.member("tj_official", m.Role.REGION_OFFICIAL, region_code="TJ")


@pytest.fixture
def he_official(regions):
    return f.member("he_official", m.Role.REGION_OFFICIAL, region_code="HE")


@pytest.fixture
def member_enterprise(regions) -> m.Enterprise:
    return f.EnterpriseFactory(name="天津示例氢能科技有限公司", region=regions["TJ"])


@pytest.fixture
def enterprise_member(member_enterprise):
    return f.member("ent_member", m.Role.ENTERPRISE_MEMBER, enterprise=member_enterprise)


@pytest.fixture
def subscriber(regions):
    return f.member("subscriber", m.Role.SUBSCRIBER)


@pytest.fixture
def client_for():
    """``client_for(user)`` → a Django test client logged in as that user (None: anonymous)."""

    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
