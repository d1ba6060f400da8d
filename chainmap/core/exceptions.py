"""Errors services raise on purpose; pages and the API turn each into a clear answer (never a 500)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """Someone else changed the object since the caller read it (optimistic lock on ``version``).

    ``current`` is the object as it is now; ``changes`` describes what the other change did, newest
    first, as dicts ``{"user", "at", "reason", "fields": [(field, old, new), ...]}``. Pages show a
    conflict page with them, the API answers 412.
    """

    def __init__(self, *, current: Any, expected_version: int, changes: list[dict[str, Any]] | None = None) -> None:
        self.current = current
        self.expected_version = expected_version
        self.changes = changes or []
        super().__init__(
            f"{type(current).__name__} {current.pk} is at version {current.version}, not {expected_version}"
        )


def validation_message(exc: ValidationError) -> str:
    """A service's ValidationError as one line for a page message (every field's messages, in order)."""
    if hasattr(exc, "error_dict"):
        return " ".join(str(message) for messages in exc.message_dict.values() for message in messages)
    return " ".join(str(message) for message in exc.messages)
