"""One JSON shape for every API error, whatever raised it.

```
{"error": {"code": "invalid", "message": "...", "fields": {"name": ["..."]}}}
```

``code`` is stable and machine-readable; ``message`` is human-readable (translated); ``fields`` maps
each offending input field to its messages and is present only on validation errors: nested input is
named by a path with indexed list items (``items[0].operation``, ``offers[1].node``, ``nodes[2]``),
the whole body by ``non_field_errors``. A conflict (412) also carries ``current_version`` so a client
can re-read and retry.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from chainmap.core.exceptions import ConflictError

logger = logging.getLogger(__name__)


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = gettext_lazy("An If-Match header with the object's ETag is required to change it.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("The object has changed since you read it; fetch it again and retry.")
    default_code = "precondition_failed"


# HTTP status → the ``code`` of errors that carry no more specific one.
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    415: "unsupported_media_type",
    428: "precondition_required",
    429: "throttled",
}


_INDEX = re.compile(r"\.(\d+)(?=\.|\[|$)")


def field_path(name: str) -> str:
    """One spelling for nested input: ``items.0.operation`` (as some services name it) → ``items[0].operation``."""
    return _INDEX.sub(r"[\1]", name)


def _join(prefix: str, key: Any) -> str:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{prefix}[{key}]" if prefix else f"[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → ``{"a[0].b": ["msg", ...]}`` (list items and ListField children indexed)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_flatten(value, _join(prefix, key)))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_flatten(item, _join(prefix, index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return {field_path(name): messages for name, messages in out.items()}


def _django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else field_path(key)): [str(m) for m in msgs]
            for key, msgs in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return {"error": body}


def _first_code(exc: exceptions.APIException, default: str) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return default


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every error, including Django's and the services', in one shape."""
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, ConflictError):
        status_code, code = 412, "conflict"
        message = _("The object has changed since you read it; fetch it again and retry.")
        extra["current_version"] = getattr(exc.current, "version", None)
        fields = None
    elif isinstance(exc, DjangoValidationError):
        status_code, code = 400, "invalid"
        fields = _django_validation_fields(exc)
        message = _("Some fields are not valid.")
    elif isinstance(exc, IntegrityError):
        # A constraint the services did not check first (a race between two writers): never a 500.
        logger.warning("integrity error answered 409: %s", exc)
        status_code, code, fields = 409, "conflict", None
        message = _("The change conflicts with existing data.")
    elif isinstance(exc, DataError):
        status_code, code, fields = 400, "invalid", None
        message = _("A value is out of range or too long.")
    elif isinstance(exc, Http404):
        status_code, code, fields = 404, "not_found", None
        message = _("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        status_code, code, fields = 403, "permission_denied", None
        message = str(exc) or _("You do not have permission to perform this action.")
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        if isinstance(exc, exceptions.ValidationError):
            code = "invalid"
            fields = _flatten(exc.detail)
            message = _("Some fields are not valid.")
        else:
            code = _first_code(exc, STATUS_CODES.get(status_code, "error"))
            fields = None
            message = str(exc.detail)
        if isinstance(exc, exceptions.Throttled):
            # Set by Throttled.__init__ (whole seconds or None); djangorestframework-stubs omit the attribute.
            wait: float | None = getattr(exc, "wait", None)
            if wait is not None:
                headers["Retry-After"] = str(int(wait))
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
    else:
        return None
    if status_code == 401 and "WWW-Authenticate" not in headers:
        request = context.get("request")
        view = context.get("view")
        if request is not None and view is not None:
            header = view.get_authenticate_header(request)
            if header:
                headers["WWW-Authenticate"] = header
    # No rollback here: AtomicWritesMiddleware rolls back every write answered 400 or above.
    return Response(error_body(code, message, fields, **extra), status=status_code, headers=headers)


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer the JSON error, not the HTML 404 page."""
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid, not_found, conflict.")
    message = serializers.CharField(help_text="Human-readable explanation (translated).")
    # The API's key is "fields"; SerializerMetaclass pops declared fields off the class, so this does not
    # shadow Serializer.fields at run time (the stubs only see the class attribute).
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by input field (nested input: `items[0].operation`).",
    )
    current_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="On a version conflict: the object's current version."
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorDetailSerializer()
