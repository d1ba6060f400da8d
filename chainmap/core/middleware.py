"""Request middleware: deny by default (every page needs a login unless its view is marked
``login_not_required``), the product's language rule, and one transaction per write request."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation

from chainmap.core import cache as summaries


class DenyByDefaultMiddleware(LoginRequiredMiddleware):
    """Django's login-required middleware, except for the API, which answers 401/403 itself
    (token clients authenticate inside DRF, after this middleware has run)."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class ProductLanguageMiddleware(LocaleMiddleware):
    """Pages speak Simplified Chinese unless the user chose English with the language switch (its
    cookie remembers the choice). A browser's Accept-Language is not a choice: officials' machines
    often ship with English system locales. API clients may still ask with Accept-Language."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith("/api/"):
            super().process_request(request)
            return
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            with contextlib.suppress(LookupError):  # an unknown code in the cookie: the default
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class AtomicWritesMiddleware:
    """Every write request (POST, PUT, PATCH, DELETE) is one transaction, and one that does not
    succeed writes nothing: an exception or any answer of 400 and above rolls it back, so a form or
    an API call that fails half-way leaves the database as it was. Tasks are enqueued with
    ``transaction.on_commit``, so they run only after the commit.

    Reads stay outside a transaction (Django's ``ATOMIC_REQUESTS`` would open one for every page
    view: two more round trips on PostgreSQL and, on SQLite, the write lock for each read). A view
    that must commit before it finishes (the login page, whose failed attempts must count) is
    marked with ``transaction.non_atomic_requests``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or not self._wrapped(request):
            return self.get_response(request)
        with transaction.atomic():
            # An exception in the view is already an error page here (Django converts it inside).
            response = self.get_response(request)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        if response.status_code < 400:
            # Committed: what is kept under the site's write version is older now, including what an
            # ``update()`` changed without a signal (chainmap.summaries).
            summaries.bump_site_now()
        return response

    @staticmethod
    def _wrapped(request: HttpRequest) -> bool:
        try:
            view = resolve(request.path_info).func
        except Resolver404:
            return False
        return DEFAULT_DB_ALIAS not in getattr(view, "_non_atomic_requests", set())
