"""Request helpers shared by the pages of every area."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chainmap.core.exceptions import validation_message


def is_htmx_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment; a history restore wants the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def refused(request: HttpRequest, error: ValidationError, *, back: str = "") -> HttpResponse:
    """A page action the service refused: its reason with status 400, as the API answers the same case,
    and a link back."""
    return render(request, "errors/refused.html", {"message": validation_message(error), "back": back}, status=400)
