"""Deny by default: every page needs a login unless its view is marked ``login_not_required``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseBase


class DenyByDefaultMiddleware(LoginRequiredMiddleware):
    """Django's login-required middleware, except for the API, which answers 401/403 itself
    (token clients authenticate inside DRF, after this middleware has run)."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
