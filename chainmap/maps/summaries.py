"""Maintained summaries of a chain: its counts and its map page's data, computed once per data
version (moved by every change to the chain's nodes, edges, assessments, placements and bottlenecks)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from chainmap.core.cache import _PREFIX, TIMEOUT, bump_tables
from chainmap.models import (
    COVERED_BOTTLENECK_STATUSES,
    OPEN_BOTTLENECK_STATUSES,
    Bottleneck,
    Chain,
    Node,
    NodeAssessment,
    Placement,
    Region,
)


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


def bump_all() -> None:
    """After a bulk load: every chain, every counted table and the site's write version."""
    bump_chain_data()
    bump_tables()
