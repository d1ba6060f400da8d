"""OpenAPI generation: every operation documents the shared error response, versioned objects their
``ETag`` response header and the ``If-Match`` request header."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction, OpenApiParameter

from chainmap.core.api.errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": (
        "Bad input: `error.fields` names each offending field (nested input by path, e.g. `offers[1].node`); "
        "nothing was written. A body that is not JSON answers `parse_error`, one too large or nested too deep "
        "`too_large` / `too_deep`."
    ),
    "401": "Not authenticated (no session, or a missing/invalid `Authorization: Token` header).",
    "403": "Authenticated, allowed to see the object, but not to do this.",
    "404": "No such object, or one you may not see.",
    "406": "The Accept header asks for a format the API does not produce.",
    "409": "The change clashes with existing data (e.g. a duplicate natural key written concurrently).",
    "412": "If-Match does not match the current ETag: someone changed the object; re-read it and retry.",
    "415": "The request body is not JSON.",
    "428": "PUT/PATCH without If-Match: send the ETag you read.",
    "429": "Too many requests: see Retry-After.",
}
SAFE_ERRORS = ("400", "401", "403", "404", "406", "429")
WRITE_ERRORS = ("400", "401", "403", "404", "406", "409", "412", "415", "429")

ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "description": 'Version tag of the object, `"<id>-<version>"`; send it back in If-Match to change it.',
    }
}


class ChainmapAutoSchema(AutoSchema):
    def _versioned(self) -> bool:
        return bool(getattr(self.view, "etag_field", None)) and not self._is_list_view()

    def _requires_if_match(self) -> bool:
        return self._versioned() and self.method in ("PUT", "PATCH")

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self._versioned() and self.method in ("PUT", "PATCH", "DELETE"):
            required = self.method != "DELETE"
            params.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=required,
                    description=(
                        'The ETag read from the object (strong tag, e.g. `"12-3"`). '
                        + ("Required: 428 without it, 412 when it is stale." if required else "412 when it is stale.")
                    ),
                )
            )
        return params

    def _get_response_headers_for_code(self, status_code: str, direction: Direction = "response") -> dict[str, Any]:
        headers = dict(super()._get_response_headers_for_code(status_code, direction))
        if self._versioned() and status_code in ("200", "201") and self.method != "DELETE":
            headers.update(ETAG_HEADER)
        return headers

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = SAFE_ERRORS if self.method in ("GET", "HEAD", "OPTIONS") else WRITE_ERRORS
        if self._requires_if_match():
            codes = (*codes, "428")
        for code in codes:
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = body
        # A 4xx a view declares with a description only still has the one error shape.
        for code, declared in list(responses.items()):
            if str(code).startswith("4") and "content" not in declared:
                body = self._get_response_for_code(ErrorSerializer, str(code), direction=direction)
                body["description"] = declared.get("description") or ERROR_DESCRIPTIONS.get(str(code), "")
                responses[code] = body
        return responses


class SessionUnlessAuthorizationScheme(SessionScheme):
    """Document our session authentication like DRF's (cookie ``sessionid`` + CSRF)."""

    target_class = "chainmap.core.api.authentication.SessionUnlessAuthorizationAuthentication"
