"""Optimistic locking shared by the services of versioned objects (the API's ETag / If-Match).

A service locks the row first (``select_for_update``), then calls ``version_check`` with the version
the caller read: a stale one raises ``ConflictError`` before anything is written, so of two writers
holding the same version exactly one wins. ``expected_version=None`` (page forms that name the values
they want) skips the check; every accepted change still moves the version.
"""

from __future__ import annotations

from typing import Any

from chainmap.core.exceptions import ConflictError


def version_check(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise ConflictError(current=obj, expected_version=expected_version)
