"""Admin mixins shared by every area's admin."""

from __future__ import annotations

from typing import Any, ClassVar


class ReadOnlyTimestamps:
    readonly_fields: ClassVar[list[str] | tuple[str, ...]] = ("created_at", "updated_at")


class ThroughServicesOnly:
    """Chain data changes only through the pages, API and imports, which ask for a reason, check the
    version and the chain leader's rights; the admin shows these rows and their history, read-only."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
