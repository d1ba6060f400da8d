"""Authentication of API requests: a session (browser, with CSRF) OR a token (machine clients), never both.

A request that carries an ``Authorization`` header is authenticated by that header alone: its session
cookie is ignored. So a script whose token is wrong or revoked gets 401 even when it runs in a browser
that is logged in, and a page's session can never lend its rights to a forged token request.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


class SessionUnlessAuthorizationAuthentication(SessionAuthentication):
    """Django's session login with DRF's CSRF check, skipped when an ``Authorization`` header is present."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        if request.META.get("HTTP_AUTHORIZATION"):
            return None
        return super().authenticate(request)
