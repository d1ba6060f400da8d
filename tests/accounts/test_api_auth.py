"""Session (with CSRF) for the browser, token for machine clients, never both on one request."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def test_token_client_is_authenticated(world, token_client) -> None:
    assert token_client.get("/api/chains/").status_code == 200


def test_session_with_an_invalid_token_header_is_401(world, bj_official) -> None:
    client = APIClient()
    client.force_login(bj_official)
    assert client.get("/api/chains/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/chains/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_session_with_another_authorization_scheme_is_401(world, bj_official) -> None:
    client = APIClient()
    client.force_login(bj_official)
    client.credentials(HTTP_AUTHORIZATION="Bearer something")
    assert client.get("/api/chains/").status_code == 401


def test_token_request_acts_as_the_token_user_not_the_session_user(world, enterprise_member, joint_office) -> None:
    token, _ = Token.objects.create(user=enterprise_member), None
    client = APIClient()
    client.force_login(joint_office)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    # The member sees only their own enterprise, whatever the session says.
    assert client.get("/api/enterprises/").json()["count"] == 1


def test_session_write_needs_the_csrf_token(world, joint_office) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(joint_office)
    body = {"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "up", "reason": "r"}
    response = client.post("/api/nodes/", body, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_token_write_needs_no_csrf_token(world, bj_official) -> None:
    token = Token.objects.create(user=bj_official)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "up", "reason": "r"}
    assert client.post("/api/nodes/", body, format="json").status_code == 201


def test_inactive_users_token_is_refused(world, bj_official) -> None:
    token = Token.objects.create(user=bj_official)
    bj_official.is_active = False
    bj_official.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/chains/").status_code == 401
