"""Accounts and security baseline: brute-force lockout, passwords, sessions, deactivation, the
production settings check and the Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient, APIRequestFactory

from chainmap.accounts import services as accounts
from tests import factories as f
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
NEW_PASSWORD = "Lantern-river-4417"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_9AM = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
PERSONAS = ["joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber"]


def login(client: Client, username: str, password: str, **extra: str):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- brute force (django-axes) ------------------------------------------------------------------


def fail_until_locked(client: Client, username: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, username, "wrong-password")


def test_wrong_passwords_below_the_limit_answer_the_login_form(bj_official) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "bj_official", "wrong-password")
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
    assert login(client, "bj_official", PASSWORD).status_code == 302


def test_it_locks_out_after_the_failure_limit_even_with_the_right_password(bj_official) -> None:
    client = Client()
    fail_until_locked(client, "bj_official")
    response = login(client, "bj_official", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "30" in response.content.decode()  # the wait, in minutes
    assert not logged_in(client)


def test_lockout_page_is_chinese_by_default_and_english_on_request(bj_official) -> None:
    client = Client()
    fail_until_locked(client, "bj_official")
    assert '<html lang="zh-Hans">' in login(client, "bj_official", PASSWORD).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Too many failed login attempts" in login(client, "bj_official", PASSWORD).content.decode()


def test_lockout_is_per_username_and_address(bj_official, tj_official) -> None:
    client = Client()
    fail_until_locked(client, "bj_official")
    assert login(Client(), "tj_official", PASSWORD).status_code == 302
    assert login(Client(REMOTE_ADDR="10.1.2.3"), "bj_official", PASSWORD).status_code == 302
    assert login(Client(), "bj_official", PASSWORD).status_code == 429


def test_forged_forwarded_for_header_does_not_escape_the_lockout(bj_official) -> None:
    client = Client()
    fail_until_locked(client, "bj_official")
    assert login(client, "bj_official", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429


def test_lockout_ends_after_the_cool_off(bj_official) -> None:
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        client = Client()
        fail_until_locked(client, "bj_official")
        traveller.shift(dt.timedelta(minutes=29))
        assert login(client, "bj_official", PASSWORD).status_code == 429
        # A try during the lockout restarts the cool-off.
        traveller.shift(dt.timedelta(minutes=31))
        assert login(client, "bj_official", PASSWORD).status_code == 302
        assert logged_in(client)


def test_a_successful_login_resets_the_failure_count(bj_official) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "bj_official", "wrong-password")
    assert login(client, "bj_official", PASSWORD).status_code == 302
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "bj_official", "wrong-password")
    assert login(client, "bj_official", PASSWORD).status_code == 302


# --- passwords ----------------------------------------------------------------------------------


def test_a_new_password_is_hashed_with_argon2(db) -> None:
    user = f.UserFactory()
    user.set_password(NEW_PASSWORD)
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password(NEW_PASSWORD)


def test_validators_are_strong() -> None:
    names = {v["NAME"].rsplit(".", 1)[1]: v.get("OPTIONS", {}) for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    } <= set(names)
    assert names["MinimumLengthValidator"]["min_length"] >= 10


def test_password_page_needs_a_login(db) -> None:
    response = Client().get("/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_user_bar_links_to_the_password_page(client_for, tj_official) -> None:
    assert 'href="/password/"' in client_for(tj_official).get("/").content.decode()


@pytest.mark.parametrize(
    "weak",
    ["Ab3$xyz", "password123", "12345678901234", "tj_official1"],
    ids=["short", "common", "numeric", "like-username"],
)
def test_weak_password_is_refused_with_a_field_error(client_for, tj_official, weak: str) -> None:
    client = client_for(tj_official)
    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    tj_official.refresh_from_db()
    assert tj_official.check_password(PASSWORD)


def test_wrong_current_password_is_refused(client_for, tj_official) -> None:
    response = client_for(tj_official).post(
        "/password/", {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]


def test_password_change_works_and_the_old_password_stops_working(tj_official) -> None:
    client = Client()
    assert login(client, "tj_official", PASSWORD).status_code == 302
    other_session = Client()
    other_session.force_login(tj_official)

    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/password/done/"
    assert client.get("/password/done/").status_code == 200
    assert client.get("/").status_code == 200  # this session stays logged in
    assert other_session.get("/").status_code == 302  # every other session ends

    assert login(Client(), "tj_official", PASSWORD).status_code == 200
    assert login(Client(), "tj_official", NEW_PASSWORD).status_code == 302
    tj_official.refresh_from_db()
    assert tj_official.password.startswith("argon2$")


# --- sessions -----------------------------------------------------------------------------------


def test_session_cookie_age_is_a_working_day_and_ends_with_the_browser() -> None:
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def test_session_expires_after_the_cookie_age(bj_official, settings) -> None:
    # Sessions are read through the cache (cached_db), whose entry lives exactly as long as the
    # session. Redis keeps real time, which the clock travel below cannot move: a cache of this
    # process's clock stands in for it, and the database row's expiry is checked as before.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        client = Client()
        assert login(client, "bj_official", PASSWORD).status_code == 302
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(seconds=120))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


# --- deactivation -------------------------------------------------------------------------------


def sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk))


def test_deactivated_users_session_and_token_die_at_once(joint_office, bj_official, tj_official) -> None:
    victim_a, victim_b, bystander = Client(), Client(), Client()
    victim_a.force_login(bj_official)
    victim_b.force_login(bj_official)
    bystander.force_login(tj_official)
    token = Token.objects.create(user=bj_official)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert victim_a.get("/").status_code == 200
    assert api.get("/api/regions/").status_code == 200

    ended = accounts.user_deactivate(user_id=bj_official.pk, by=joint_office, reason="离职")

    assert ended == 2
    bj_official.refresh_from_db()
    assert bj_official.is_active is False
    assert sessions_of(bj_official) == 0
    for client in (victim_a, victim_b):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert bystander.get("/").status_code == 200
    assert not Token.objects.filter(user=bj_official).exists()
    assert api.get("/api/regions/").status_code == 401
    request = APIRequestFactory().get("/api/", HTTP_AUTHORIZATION=f"Token {token.key}")
    with pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate(request)
    assert login(Client(), "bj_official", PASSWORD).status_code == 200  # no new login either


def test_reactivated_user_can_log_in_again(joint_office, bj_official) -> None:
    accounts.user_deactivate(user_id=bj_official.pk, by=joint_office, reason="调岗")
    accounts.user_activate(user_id=bj_official.pk, by=joint_office, reason="复岗")
    assert login(Client(), "bj_official", PASSWORD).status_code == 302


def test_deactivation_is_recorded_with_who_and_why(joint_office, bj_official) -> None:
    from django.contrib.admin.models import LogEntry

    accounts.user_deactivate(user_id=bj_official.pk, by=joint_office, reason="离职")
    entry = LogEntry.objects.get(object_id=str(bj_official.pk))
    assert entry.user == joint_office
    assert "离职" in entry.change_message


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "joint_office"])
def test_only_the_joint_office_may_deactivate(request, persona: str, bj_official, joint_office) -> None:
    user = request.getfixturevalue(persona)
    target = joint_office if persona == "bj_official" else bj_official
    with pytest.raises(PermissionDenied):
        accounts.user_deactivate(user_id=target.pk, by=user, reason="x")
    target.refresh_from_db()
    assert target.is_active


def test_nobody_deactivates_themselves(joint_office) -> None:
    with pytest.raises(ValidationError) as error:
        accounts.user_deactivate(user_id=joint_office.pk, by=joint_office, reason="x")
    assert "user_id" in error.value.message_dict
    joint_office.refresh_from_db()
    assert joint_office.is_active


def test_a_reason_is_required(joint_office, bj_official) -> None:
    with pytest.raises(ValidationError) as error:
        accounts.user_deactivate(user_id=bj_official.pk, by=joint_office, reason="  ")
    assert "reason" in error.value.message_dict
    bj_official.refresh_from_db()
    assert bj_official.is_active


def test_only_a_superuser_deactivates_a_superuser(joint_office) -> None:
    root = f.UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied):
        accounts.user_deactivate(user_id=root.pk, by=joint_office, reason="x")
    other_root = f.UserFactory(username="root2", is_superuser=True, is_staff=True)
    assert accounts.user_deactivate(user_id=root.pk, by=other_root, reason="x") == 0


# --- the users page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("joint_office", 200), *((p, 403) for p in PERSONAS if p != "joint_office"), (None, 302)],
)
def test_users_page_permissions(request, client_for, bj_official, persona: str | None, expected: int) -> None:
    user = request.getfixturevalue(persona) if persona else None
    client = client_for(user)
    assert client.get("/users/").status_code == expected
    response = client.post(f"/users/{bj_official.pk}/deactivate/", {"reason": "x"})
    assert response.status_code == (302 if persona == "joint_office" else expected)
    if persona != "joint_office":
        bj_official.refresh_from_db()
        assert bj_official.is_active
    nav = client.get("/").content.decode()
    assert ('href="/users/"' in nav) is (persona == "joint_office")


def test_users_page_lists_users_and_buttons(client_for, joint_office, bj_official, enterprise_member) -> None:
    response = client_for(joint_office).get("/users/")
    body = response.content.decode()
    assert "bj_official" in body and "ent_member" in body and "天津示例氢能科技有限公司" in body
    assert f"/users/{bj_official.pk}/deactivate/" in body
    assert f"/users/{joint_office.pk}/deactivate/" not in body  # never oneself


def test_deactivate_from_the_page_ends_the_session(client_for, joint_office, bj_official) -> None:
    victim = client_for(bj_official)
    office = client_for(joint_office)
    response = office.post(f"/users/{bj_official.pk}/deactivate/?page=1", {"reason": "离职"})
    assert response.status_code == 302
    assert response["Location"] == "/users/?page=1"
    assert victim.get("/").status_code == 302
    body = office.get("/users/").content.decode()
    assert f"/users/{bj_official.pk}/activate/" in body
    assert office.post(f"/users/{bj_official.pk}/activate/", {"reason": "复岗"}).status_code == 302
    bj_official.refresh_from_db()
    assert bj_official.is_active


def test_missing_reason_answers_400_naming_the_field(client_for, joint_office, bj_official) -> None:
    client = client_for(joint_office)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(f"/users/{bj_official.pk}/deactivate/", {"reason": ""})
    assert response.status_code == 400
    assert "Reason:" in response.content.decode()
    bj_official.refresh_from_db()
    assert bj_official.is_active


def test_unknown_user_answers_400(client_for, joint_office) -> None:
    assert client_for(joint_office).post("/users/999999/deactivate/", {"reason": "x"}).status_code == 400


def test_users_page_query_budget(client_for, joint_office, regions, member_enterprise) -> None:
    client = client_for(joint_office)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/users/").status_code == 200
        return len(queries)

    f.member("extra0", "region_official", region_code="BJ")
    f.member("extra1", "enterprise_member", enterprise=member_enterprise)
    few = count()
    for n in range(2, 20):
        f.member(
            f"extra{n}",
            "region_official" if n % 2 else "enterprise_member",
            region_code="HE" if n % 2 else None,
            enterprise=None if n % 2 else member_enterprise,
        )
    assert count() == few


def test_admin_action_deactivates_with_a_reason(joint_office, bj_official) -> None:
    joint_office.is_staff = joint_office.is_superuser = True
    joint_office.save()
    admin, victim = Client(), Client()
    admin.force_login(joint_office)
    victim.force_login(bj_official)
    response = admin.post(
        "/admin/auth/user/",
        {"action": "deactivate_users", "_selected_action": [bj_official.pk], "reason": "离职", "index": 0},
    )
    assert response.status_code == 302
    bj_official.refresh_from_db()
    assert bj_official.is_active is False
    assert victim.get("/").status_code == 302


def test_admin_action_without_reason_changes_nothing(joint_office, bj_official) -> None:
    joint_office.is_staff = joint_office.is_superuser = True
    joint_office.save()
    admin = Client()
    admin.force_login(joint_office)
    admin.post("/admin/auth/user/", {"action": "deactivate_users", "_selected_action": [bj_official.pk], "index": 0})
    bj_official.refresh_from_db()
    assert bj_official.is_active


# --- production settings ------------------------------------------------------------------------


def test_production_settings_pass_check_deploy() -> None:
    environ = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "chainmap.example.gov.cn",
            "DATABASE_URL": "postgres://chainmap@127.0.0.1:5432/chainmap",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "EMAIL_URL": "smtp://127.0.0.1:25",
            "CHAINMAP_VAR_DIR": "/tmp/chainmap-deploy-check",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "no issues" in output


# --- Content-Security-Policy --------------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_dashboard_sends_a_strict_policy(client_for, joint_office) -> None:
    response = client_for(joint_office).get("/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_login_page_sends_the_policy(db) -> None:
    response = Client().get("/login/")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
# An inline script is allowed only with the request's CSP nonce (the policy then names that nonce).
UNNONCED_SCRIPT = re.compile(
    r"<script\b(?![^>]*(?:\bsrc\s*=|\bnonce=\"\{\{ request\.csp_nonce \}\}\"))[^>]*>", re.IGNORECASE
)
STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
EVAL_ATTRIBUTE = re.compile(r"\shx-on[:-]|\shx-vars\s*=|javascript:", re.IGNORECASE)


# Documents rendered to a string for mail or PDF, never served under our CSP: they must carry their
# own CSS (mail clients and WeasyPrint do not fetch /static/), but still no script.
STANDALONE_DOCUMENTS = ("emails/", "chainmap/reports/report.html")


def test_templates_have_no_inline_script_style_or_handler() -> None:
    offences = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT / "templates").as_posix()
        checks = [
            ("inline <script> without the CSP nonce", UNNONCED_SCRIPT),
            ("on* handler", HANDLER),
            ("eval-based htmx attribute or javascript: URL", EVAL_ATTRIBUTE),
        ]
        if not name.startswith(STANDALONE_DOCUMENTS):
            checks.append(("inline style", STYLE))
        for label, pattern in checks:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offences.append(f"{path.relative_to(ROOT)}:{line}: {label}: {match.group(0)[:60]}")
    assert offences == []


def inline_scripts(html: str) -> list[str]:
    return [tag for tag in INLINE_SCRIPT.findall(html) if "application/json" not in tag]


def test_admin_pages_work_under_the_policy(joint_office) -> None:
    joint_office.is_staff = joint_office.is_superuser = True
    joint_office.save()
    client = Client()
    client.force_login(joint_office)
    for url in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{joint_office.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert inline_scripts(response.content.decode()) == [], url


def test_api_docs_work_under_the_policy(client_for, joint_office) -> None:
    try:
        resolve("/api/docs/")
        routed = True
    except Resolver404:
        routed = False
    require(routed, "/api/docs/ is not routed yet")
    response = client_for(joint_office).get("/api/docs/")
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    script_src = directives(header)["script-src"]
    assert "'unsafe-inline'" not in script_src
    html = response.content.decode()
    for tag in inline_scripts(html):
        nonce = re.search(r'nonce="([^"]+)"', tag)
        assert nonce and f"'nonce-{nonce.group(1)}'" in script_src, tag
    for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html):
        assert src.startswith("/"), src  # served by us, never a CDN


def test_only_the_redoc_page_allows_inline_styles_and_no_page_allows_inline_scripts(client_for, bj_official):
    client = client_for(bj_official)
    redoc = client.get("/api/redoc/")
    dashboard = client.get("/")
    assert redoc.status_code == dashboard.status_code == 200
    redoc_policy = dict(
        part.strip().split(" ", 1) for part in redoc["Content-Security-Policy"].split(";") if part.strip()
    )
    assert "'unsafe-inline'" in redoc_policy["style-src"]
    assert "'unsafe-inline'" not in redoc_policy["script-src"]
    assert "'unsafe-inline'" not in dashboard["Content-Security-Policy"]
