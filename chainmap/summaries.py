"""Maintained summaries: a chain's counts and its map page's data, computed once per data version.

Every change to a chain's nodes, edges, assessments, placements or bottlenecks moves
``Chain.data_version`` in the same transaction as the change (``bump_chain_data``, called by the
model signals in ``chainmap.signals`` and by the bulk writers that fire none). Readers file what
they compute under ``(chain, data_version)``:

- a version another connection can see was committed together with its data, so an entry is never
  older than the version it is filed under;
- a transaction that reads after its own first change and then changes more moves the version
  again with each change, so what it filed is under a version nobody will read once it commits.

So nothing is invalidated by hand and no page recomputes an aggregate while its chain is unchanged.
Entries expire after a day so versions left behind do not pile up in the cache. Everything cached
here is the same for every viewer: counts are over all rows, and the map's nodes are visible to
every role (``NodeQuerySet.visible_to``); what differs per user is read live by the selectors.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from chainmap.models import (
    COVERED_BOTTLENECK_STATUSES,
    OPEN_BOTTLENECK_STATUSES,
    Bottleneck,
    Chain,
    Enterprise,
    Node,
    NodeAssessment,
    Placement,
    Region,
)

T = TypeVar("T")
logger = logging.getLogger(__name__)

TIMEOUT = 24 * 3600
_PREFIX = "chainmap:summary"


def bump_chain_data(chain_ids: Iterable[int | None] | None = None) -> None:
    """Move the data version of these chains (all chains when ``None``), in the caller's transaction."""
    chains = Chain.objects.all()
    if chain_ids is not None:
        ids = {chain_id for chain_id in chain_ids if chain_id is not None}
        if not ids:
            return
        chains = chains.filter(pk__in=ids)
    chains.update(data_version=F("data_version") + 1)


def _key(kind: str, chain: Chain) -> str:
    return f"{_PREFIX}:{kind}:{chain.pk}:{chain.data_version}"


# --- counts (dashboard, chain list, bottleneck coverage) ---------------------------------------


@dataclass(frozen=True)
class ChainCounts:
    node_count: int = 0
    enterprise_count: int = 0  # distinct enterprises with a non-rejected placement on the chain
    open_bottleneck_count: int = 0
    bottleneck_total: int = 0
    bottleneck_covered: int = 0


def _count_subquery(queryset: QuerySet[Any], *, group_by: str, count: str, distinct: bool = False) -> Coalesce:
    """``COUNT`` of a correlated subquery, 0 when it has no row: counts from several tables on one
    row without the cross product that several ``Count`` joins would give."""
    counted = queryset.order_by().values(group_by).annotate(n=Count(count, distinct=distinct)).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _compute_counts(chain_ids: list[int]) -> dict[int, ChainCounts]:
    """The counts of these chains: one query."""
    placements = Placement.objects.filter(node__chain=OuterRef("pk")).exclude(status=Placement.Status.REJECTED)
    bottlenecks = Bottleneck.objects.filter(chain=OuterRef("pk"))
    rows = (
        Chain.objects.filter(pk__in=chain_ids)
        .annotate(
            n_nodes=_count_subquery(Node.objects.filter(chain=OuterRef("pk")), group_by="chain", count="pk"),
            n_enterprises=_count_subquery(placements, group_by="node__chain", count="enterprise", distinct=True),
            n_open=_count_subquery(
                bottlenecks.filter(status__in=OPEN_BOTTLENECK_STATUSES), group_by="chain", count="pk"
            ),
            n_bottlenecks=_count_subquery(bottlenecks, group_by="chain", count="pk"),
            n_covered=_count_subquery(
                bottlenecks.filter(status__in=COVERED_BOTTLENECK_STATUSES), group_by="chain", count="pk"
            ),
        )
        .values_list("pk", "n_nodes", "n_enterprises", "n_open", "n_bottlenecks", "n_covered")
    )
    return {pk: ChainCounts(*numbers) for pk, *numbers in rows}


def chain_counts(chains: Iterable[Chain]) -> dict[int, ChainCounts]:
    """Counts per chain id: one cache read, plus one query for the chains whose version is not cached."""
    chains = list(chains)
    keys = {_key("counts", chain): chain for chain in chains}
    found = cache.get_many(list(keys))
    result = {keys[key].pk: counts for key, counts in found.items()}
    missing = [chain for key, chain in keys.items() if key not in found]
    if missing:
        computed = _compute_counts([chain.pk for chain in missing])
        fresh = {_key("counts", chain): computed.get(chain.pk, ChainCounts()) for chain in missing}
        cache.set_many(fresh, TIMEOUT)
        result.update({keys[key].pk: counts for key, counts in fresh.items()})
    return result


# --- the chain page's map data -------------------------------------------------------------------


@dataclass(frozen=True)
class ChainMapData:
    """What the chain page shows of the map, the same for every viewer: the nodes (with their open
    bottleneck count), each region's assessed level per node, and how many distinct enterprises of
    each region have a non-rejected placement per node."""

    nodes: list[Node]
    levels: dict[int, dict[str, str]] = field(default_factory=dict)  # node id → region code → level
    enterprises: dict[int, dict[str, int]] = field(default_factory=dict)  # node id → region code → count


def _compute_map_data(chain: Chain) -> ChainMapData:
    code_of_region = dict(Region.objects.values_list("pk", "code"))
    nodes = list(
        Node.objects.filter(chain=chain)
        .with_open_bottleneck_count()
        .only("pk", "chain_id", "segment", "parent_id", "code", "name", "key_technologies", "position")
    )
    levels: dict[int, dict[str, str]] = defaultdict(dict)
    for node_id, region_id, level in NodeAssessment.objects.filter(node__chain=chain).values_list(
        "node_id", "region_id", "level"
    ):
        levels[node_id][code_of_region[region_id]] = level
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    placed = (
        Placement.objects.filter(node__chain=chain)
        .exclude(status=Placement.Status.REJECTED)
        .order_by()
        .values_list("node_id", "enterprise__region_id")
        .annotate(n=Count("enterprise_id", distinct=True))
    )
    for node_id, region_id, n in placed:
        counts[node_id][code_of_region[region_id]] = n
    return ChainMapData(nodes=nodes, levels=dict(levels), enterprises=dict(counts))


def chain_map_data(chain: Chain) -> ChainMapData:
    """The chain's map data for its current version: one cache read, four queries when not cached."""
    key = _key("map", chain)
    data = cache.get(key)
    if data is None:
        data = _compute_map_data(chain)
        cache.set(key, data, TIMEOUT)
    return data


# --- list counts ---------------------------------------------------------------------------------
# A list page's "N results" over 200,000 enterprises is a COUNT that scans the matches. The count of
# each filtered list of enterprises or placements (the review queue) is kept in the cache under the
# version of the enterprise data, which every save or delete of an enterprise or a placement moves
# (at once, and again on commit, so a count filed in between is filed under a version that is gone
# once the change is visible). Lists of other models count as usual.

COUNTED_MODELS: dict[type[Model], str] = {Enterprise: "enterprises", Placement: "enterprises"}


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
    seen = getattr(connection, "_chainmap_once", None)
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


def bump_all() -> None:
    """After a bulk load: every chain, every counted table and the site's write version."""
    bump_chain_data()
    for table in {*COUNTED_MODELS.values(), SITE}:
        bump_table(table)


# --- the site's write version ----------------------------------------------------------------------
# What a page shows per viewer from many tables at once (the dashboard's to-do and follow-up funnel,
# a round's candidates, the filter forms' choices) has no one row whose version it could follow. It
# is kept under the site's write version instead, which moves after every committed write:
# - any save or delete of a chainmap, projects or auth row (``chainmap.signals``), at once and
#   again on commit, as ``bump_table`` does;
# - every write request that succeeded, after its transaction committed
#   (``chainmap.middleware.AtomicWritesMiddleware``): that covers ``update()``, which fires no signal;
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


def viewer_key(user: Any) -> str:
    """Who looks, for entries that differ per viewer: the user (anonymous viewers alike)."""
    return f"user-{user.pk}" if getattr(user, "is_authenticated", False) else "anonymous"


def viewer_cache_key(name: str, *, user: Any, parts: Iterable[object] = ()) -> str:
    """The key of ``name`` for this viewer under the site's write version and today's date."""
    today = timezone.localdate().isoformat()
    detail = hashlib.sha256(repr([str(part) for part in parts]).encode()).hexdigest()[:32]
    return f"{_PREFIX}:viewer:{name}:{site_version()}:{today}:{viewer_key(user)}:{detail}"


def per_viewer(name: str, *, user: Any, compute: Callable[[], T], parts: Iterable[object] = ()) -> T:
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
    table = COUNTED_MODELS.get(queryset.model)
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


# --- rendered fragments --------------------------------------------------------------------------
# The chain page's map tables, the bottleneck board and the enterprise results are cached as
# rendered HTML with ``{% cache %}``, keyed by the data versions they show (below), the language, the
# viewer's visibility class and the request's query string.


def all_chains() -> list[Chain]:
    """Every chain, with only what the keys need."""
    return list(Chain.objects.order_by("pk").only("pk", "data_version"))


def chains_version(chains: Iterable[Chain]) -> str:
    """One string that changes whenever any of these chains' data does (all chains: the board's key)."""
    return ",".join(f"{chain.pk}.{chain.data_version}" for chain in chains)
