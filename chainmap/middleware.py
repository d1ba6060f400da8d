"""Request middleware: deny by default (every page needs a login unless its view is marked
``login_not_required``), and the product's language rule."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
