"""The API's JSON parser: DRF's, with limits checked before anything recurses into the body.

Python's json module recurses once per nesting level, so a body of a few thousand ``[`` ends in a
RecursionError (a 500). The body is therefore read up to ``CHAINMAP_API_JSON_MAX_BYTES`` (default
1 MiB) and its nesting depth counted on the raw text, brackets inside strings left out, before
``json.loads``: deeper than ``CHAINMAP_API_JSON_MAX_DEPTH`` (default 32) or larger answers 400
(``too_deep`` / ``too_large``) in the API's error shape. No endpoint needs more than a few levels.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_BYTES = 1024 * 1024

# A JSON string (escapes included); DOTALL so an escaped newline never ends the match early.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def max_depth() -> int:
    return int(getattr(settings, "CHAINMAP_API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def max_bytes() -> int:
    return int(getattr(settings, "CHAINMAP_API_JSON_MAX_BYTES", DEFAULT_MAX_BYTES))


def json_depth(text: str, *, limit: int | None = None) -> int:
    """How deep ``[`` / ``{`` nest in ``text``, outside strings. With ``limit``, counting stops at
    ``limit + 1`` (enough to refuse; a hostile body is not walked to its end)."""
    depth = deepest = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    """``application/json`` with a size and a depth limit (see the module docstring)."""

    def parse(
        self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)  # type: ignore[attr-defined]  # DRF >= 3.15; not in the stubs
        size_limit, depth_limit = max_bytes(), max_depth()
        raw = stream.read(size_limit + 1) if stream is not None else b""
        if len(raw) > size_limit:
            raise ParseError(
                _("The request body is larger than %(limit)d bytes.") % {"limit": size_limit}, code="too_large"
            )
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeError, LookupError) as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        if json_depth(text, limit=depth_limit) > depth_limit:
            raise ParseError(
                _("The JSON body is nested deeper than %(limit)d levels.") % {"limit": depth_limit}, code="too_deep"
            )
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
