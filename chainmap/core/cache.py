"""Versions kept in the cache: per table (list counts) and the site's write version, under which
pages and API reads are kept per viewer until the next committed write anywhere."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from chainmap.core.actors import Actor

T = TypeVar("T")
logger = logging.getLogger(__name__)

TIMEOUT = 24 * 3600
_PREFIX = "chainmap:summary"


# --- list counts ---------------------------------------------------------------------------------
# A list page's "N results" over 200,000 enterprises is a COUNT that scans the matches. The count of
# each filtered list of enterprises or placements (the review queue) is kept in the cache under the
# version of the enterprise data, which every save or delete of an enterprise or a placement moves
# (at once, and again on commit, so a count filed in between is filed under a version that is gone
# once the change is visible). Lists of other models count as usual.

# By model label, so that this module imports no model.
COUNTED_MODELS: dict[str, str] = {"chainmap.enterprise": "enterprises", "chainmap.placement": "enterprises"}


def _version_key(table: str) -> str:
    return f"{_PREFIX}:version:{table}"


def _bump_table_now(table: str) -> None:
    try:
        cache.incr(_version_key(table))
    except ValueError:  # never set or evicted: start from a number no earlier version used
        cache.set(_version_key(table), time.time_ns(), None)


def once_per_transaction(key: Hashable) -> bool:
    """True the first time ``key`` is asked for in the current transaction (always outside one):
    what a 1,000-row import would otherwise do 1,000 times is done once.

    Remembered per list of pending on-commit callbacks, which Django replaces on commit, on
    rollback and on a savepoint's rollback (which may drop the callback registered for the key)."""
    if not connection.in_atomic_block:
        return True
    pending = connection.run_on_commit
    seen: tuple[object, set[Hashable]] | None = getattr(connection, "_chainmap_once", None)
    if seen is None or seen[0] is not pending:
        seen = (pending, set())
        connection._chainmap_once = seen  # type: ignore[attr-defined]
    if key in seen[1]:
        return False
    seen[1].add(key)
    return True


def bump_table(table: str) -> None:
    """Move a table's data version now (a read later in the same transaction files what it saw under
    the new version) and once more when the transaction commits: that callback is registered once
    per transaction, however many rows it changes."""
    _bump_table_now(table)
    if once_per_transaction(("bump", table)):
        transaction.on_commit(lambda: _bump_table_now(table), robust=True)


def bump_tables() -> None:
    """After a bulk load: every counted table and the site's write version."""
    for table in {*COUNTED_MODELS.values(), SITE}:
        bump_table(table)


# --- the site's write version ----------------------------------------------------------------------
# What a page shows per viewer from many tables at once (the dashboard's to-do and follow-up funnel,
# a round's candidates, the filter forms' choices) has no one row whose version it could follow. It
# is kept under the site's write version instead, which moves after every committed write:
# - any save or delete of a chainmap, projects or auth row (``chainmap.signals``), at once and
#   again on commit, as ``bump_table`` does;
# - every write request that succeeded, after its transaction committed
#   (``chainmap.core.middleware.AtomicWritesMiddleware``): that covers ``update()``, which fires no signal;
# - every job that ran, in a worker, on the background thread or in the caller (``task_postrun``);
# - bulk loads (``bump_all``).
# Entries also carry the day (Asia/Shanghai): leadership terms, deadlines and rounds turn with it.

SITE = "site"
SITE_APPS = frozenset({"chainmap", "projects", "auth"})


def site_version() -> int:
    return table_version(SITE)


def bump_site_now() -> None:
    """After a commit (a write request, a job): the site's write version moves now. Never raises:
    what was committed is done, and a cache that is down holds nothing to go stale."""
    try:
        _bump_table_now(SITE)
    except Exception:
        logger.exception("could not move the site's write version")


def viewer_key(user: Actor) -> str:
    """Who looks, for entries that differ per viewer: the user (anonymous viewers alike)."""
    return f"user-{user.pk}" if getattr(user, "is_authenticated", False) else "anonymous"


def viewer_cache_key(name: str, *, user: Actor, parts: Iterable[object] = ()) -> str:
    """The key of ``name`` for this viewer under the site's write version and today's date."""
    today = timezone.localdate().isoformat()
    detail = hashlib.sha256(repr([str(part) for part in parts]).encode()).hexdigest()[:32]
    return f"{_PREFIX}:viewer:{name}:{site_version()}:{today}:{viewer_key(user)}:{detail}"


def per_viewer(name: str, *, user: Actor, compute: Callable[[], T], parts: Iterable[object] = ()) -> T:
    """``compute()`` for this viewer, kept under the site's write version and today's date."""
    key = viewer_cache_key(name, user=user, parts=parts)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, TIMEOUT)
    return found


def table_version(table: str) -> int:
    version = cache.get(_version_key(table))
    if version is None:
        version = time.time_ns()
        cache.add(_version_key(table), version, None)
        version = cache.get(_version_key(table), version)
    return int(version)


def list_count(queryset: QuerySet[Any]) -> int:
    """``queryset.count()``, kept per data version for the counted models."""
    table = COUNTED_MODELS.get(queryset.model._meta.label_lower)
    if table is None:
        return queryset.count()
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # ``.none()``, or a filter no row can match: nothing to count
        return 0
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
    key = f"{_PREFIX}:count:{table}:{table_version(table)}:{digest}"
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, TIMEOUT)
    return int(count)


class CountedPaginator(Paginator):
    """A paginator whose total comes from ``list_count``."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return list_count(self.object_list)
        return super().count
