"""Reads for diagrams: the snapshot a diagram is drawn from, live or as of a past date, each in a
constant number of queries; and the stored diagram rows, without their large columns."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeAlias
from urllib.parse import quote

from django.apps import apps
from django.db.models import Count, Max, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from chainmap.diagrams.selectors.snapshot import ChainInfo, DiagramSnapshot, EdgeInfo, NodeInfo, RegionInfo
from chainmap.leadership.models import terms_in_effect
from chainmap.models import (
    OPEN_BOTTLENECK_STATUSES,
    Bottleneck,
    Chain,
    Cluster,
    Diagram,
    DiagramKind,
    Edge,
    Enterprise,
    LeadershipTerm,
    Node,
    NodeAssessment,
    Placement,
    Region,
)

# The models whose rows django-simple-history keeps (``Model.history``; the package is untyped).
HistoriedModel: TypeAlias = Node | NodeAssessment | Edge | Placement | Enterprise | Bottleneck | LeadershipTerm

# Everything but the large columns: the page needs the SVG, never the PNG/PDF/DOT bytes.
HEAVY_FIELDS = ("png", "pdf", "dot_source")


def node_url(code: str) -> str:
    """The node page, built by the app (never user text in a URL attribute)."""
    try:
        return reverse("chainmap:node_detail", kwargs={"code": code})
    except NoReverseMatch:
        return f"/nodes/{quote(code, safe='')}/"


def _regions() -> tuple[RegionInfo, ...]:
    return tuple(RegionInfo(code=code, name=name) for code, name in Region.objects.values_list("code", "name"))


def _leaders(chain_ids: Iterable[int], day: dt.date) -> dict[int, RegionInfo]:
    terms = LeadershipTerm.objects.filter(chain_id__in=list(chain_ids)).in_effect(day).select_related("region")
    return {
        chain_id: RegionInfo(term.region.code, term.region.name) for chain_id, term in terms_in_effect(terms).items()
    }


def _local_date(moment: dt.datetime | None, default: dt.date) -> dt.date:
    return timezone.localtime(moment).date() if moment is not None else default


def _latest(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def _edge_info(row: dict[str, Any], *, pk: int, chain_pk: int) -> EdgeInfo:
    return EdgeInfo(
        pk=pk,
        chain_pk=chain_pk,
        source_pk=row["source_id"],
        target_pk=row["target_id"],
        kind=row["kind"],
        note=row["note"],
    )


def _node_info(
    row: dict[str, Any],
    *,
    pk: int,
    chain_pk: int,
    levels: dict[str, str],
    counts: dict[str, int],
    open_bottlenecks: int,
) -> NodeInfo:
    """One node of a snapshot from a ``values()`` row, live or historical."""
    return NodeInfo(
        pk=pk,
        chain_pk=chain_pk,
        code=row["code"],
        name=row["name"],
        segment=row["segment"],
        parent_pk=row["parent_id"],
        position=row["position"],
        description=row["description"],
        key_technologies=row["key_technologies"],
        levels=levels,
        counts=counts,
        open_bottlenecks=open_bottlenecks,
        url=node_url(row["code"]),
    )


def _live(chains: list[Chain], regions: tuple[RegionInfo, ...]) -> tuple[list[NodeInfo], list[EdgeInfo], dt.date]:
    chain_ids = [chain.pk for chain in chains]
    rows = list(
        Node.objects.filter(chain_id__in=chain_ids)
        .with_open_bottleneck_count()
        .values(
            "pk",
            "chain_id",
            "code",
            "name",
            "segment",
            "parent_id",
            "position",
            "description",
            "key_technologies",
            "open_bottlenecks",
            "updated_at",
        )
    )
    levels: dict[int, dict[str, str]] = defaultdict(dict)
    latest = _latest(*(row["updated_at"] for row in rows))
    for assessment in NodeAssessment.objects.filter(node__chain_id__in=chain_ids).values(
        "node_id", "region__code", "level", "updated_at"
    ):
        levels[assessment["node_id"]][assessment["region__code"]] = assessment["level"]
        latest = _latest(latest, assessment["updated_at"])
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for placement in (
        Placement.objects.filter(node__chain_id__in=chain_ids, status=Placement.Status.CONFIRMED)
        .values("node_id", "enterprise__region__code")
        .annotate(enterprises=Count("enterprise_id", distinct=True), changed=Max("updated_at"))
        .order_by()
    ):
        counts[placement["node_id"]][placement["enterprise__region__code"]] = placement["enterprises"]
        latest = _latest(latest, placement["changed"])
    edges = []
    for row in Edge.objects.filter(chain_id__in=chain_ids).values(
        "pk", "chain_id", "source_id", "target_id", "kind", "note", "updated_at"
    ):
        edges.append(_edge_info(row, pk=row["pk"], chain_pk=row["chain_id"]))
        latest = _latest(latest, row["updated_at"])
    # Deletions leave no live row: the history tables remember when they happened.
    latest = _latest(
        latest,
        Bottleneck.objects.filter(chain_id__in=chain_ids).aggregate(at=Max("updated_at"))["at"],
        Node.history.filter(chain_id__in=chain_ids).aggregate(at=Max("history_date"))["at"],
        Edge.history.filter(chain_id__in=chain_ids).aggregate(at=Max("history_date"))["at"],
    )
    nodes = [
        _node_info(
            row,
            pk=row["pk"],
            chain_pk=row["chain_id"],
            levels=levels.get(row["pk"], {}),
            counts=counts.get(row["pk"], {}),
            open_bottlenecks=row["open_bottlenecks"],
        )
        for row in rows
    ]
    fallback = max(chain.updated_at for chain in chains) if chains else timezone.now()
    return nodes, edges, _local_date(latest, timezone.localtime(fallback).date())


def _chain_snapshot(
    chain: Chain,
    *,
    leader: RegionInfo | None,
    regions: tuple[RegionInfo, ...],
    nodes: Iterable[NodeInfo],
    edges: Iterable[EdgeInfo],
    as_of: dt.date,
) -> DiagramSnapshot:
    """The snapshot of one chain, live or rebuilt from history."""
    info = ChainInfo(pk=chain.pk, code=chain.code, slug=chain.slug, name=chain.name, leader=leader)
    return DiagramSnapshot(
        subject="chain",
        pk=chain.pk,
        slug=chain.slug,
        name=chain.name,
        as_of=as_of,
        regions=regions,
        chains=(info,),
        nodes=tuple(nodes),
        edges=tuple(edges),
        leader=leader,
    )


def chain_snapshot(*, chain_id: int, today: dt.date | None = None) -> DiagramSnapshot:
    """The chain as it is now (about ten queries, whatever its size)."""
    chain = Chain.objects.get(pk=chain_id)
    today = today or timezone.localdate()
    regions = _regions()
    nodes, edges, as_of = _live([chain], regions)
    leader = _leaders([chain.pk], today).get(chain.pk)
    return _chain_snapshot(chain, leader=leader, regions=regions, nodes=nodes, edges=edges, as_of=as_of)


def cluster_snapshot(*, cluster_id: int, today: dt.date | None = None) -> DiagramSnapshot:
    """A cluster spanning its related chains (the same queries, over all of them at once)."""
    cluster = Cluster.objects.get(pk=cluster_id)
    chains = list(cluster.chains.order_by("position", "code"))
    today = today or timezone.localdate()
    regions = _regions()
    nodes, edges, as_of = _live(chains, regions) if chains else ([], [], timezone.localtime(cluster.updated_at).date())
    leaders = _leaders([chain.pk for chain in chains], today)
    infos = tuple(
        ChainInfo(pk=chain.pk, code=chain.code, slug=chain.slug, name=chain.name, leader=leaders.get(chain.pk))
        for chain in chains
    )
    return DiagramSnapshot(
        subject="cluster",
        pk=cluster.pk,
        slug=cluster.slug,
        name=cluster.name,
        as_of=as_of,
        regions=regions,
        chains=infos,
        nodes=tuple(nodes),
        edges=tuple(edges),
    )


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the site's time zone (Asia/Shanghai)."""
    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start_next) - dt.timedelta(microseconds=1)


def rows_as_of(model: type[HistoriedModel], moment: dt.datetime) -> QuerySet:
    """The latest historical row of each object at ``moment``, deletions dropped (shared with the
    history pages, so the as-of list and the diff diagram agree)."""
    return model.history.filter(history_date__lte=moment).latest_of_each().exclude(history_type="-")


_as_of = rows_as_of


def chain_snapshot_as_of(*, chain_id: int, day: dt.date) -> DiagramSnapshot:
    """The chain as it was at the end of ``day``, rebuilt from the history tables.

    Rows written without history (bulk loads) do not exist in the past: a chain loaded
    that way shows as added on its first diff.
    """
    chain = Chain.objects.get(pk=chain_id)
    moment = end_of_day(day)
    regions = _regions()
    region_codes = dict(Region.objects.values_list("pk", "code"))
    rows = list(
        _as_of(Node, moment)
        .filter(chain_id=chain_id)
        .values("id", "code", "name", "segment", "parent_id", "position", "description", "key_technologies")
    )
    node_ids = [row["id"] for row in rows]
    levels: dict[int, dict[str, str]] = defaultdict(dict)
    for row in _as_of(NodeAssessment, moment).filter(node_id__in=node_ids).values("node_id", "region_id", "level"):
        levels[row["node_id"]][region_codes.get(row["region_id"], "")] = row["level"]
    placements = list(
        _as_of(Placement, moment)
        .filter(node_id__in=node_ids, status=Placement.Status.CONFIRMED)
        .values_list("node_id", "enterprise_id")
    )
    enterprise_regions = dict(
        Enterprise.objects.filter(pk__in={enterprise for _node, enterprise in placements}).values_list(
            "pk", "region_id"
        )
    )
    firms: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for node, enterprise in placements:
        region_id = enterprise_regions.get(enterprise)
        code = region_codes.get(region_id, "") if region_id is not None else ""
        firms[node][code].add(enterprise)
    history_ids = list(
        _as_of(Bottleneck, moment)
        .filter(chain_id=chain_id, status__in=OPEN_BOTTLENECK_STATUSES)
        .values_list("history_id", flat=True)
    )
    links = apps.get_model("chainmap", "HistoricalBottleneck_nodes")
    open_counts: dict[int, int] = defaultdict(int)
    for node in links.objects.filter(history_id__in=history_ids).values_list("node_id", flat=True):
        open_counts[node] += 1
    edges = [
        _edge_info(row, pk=row["id"], chain_pk=chain_id)
        for row in _as_of(Edge, moment).filter(chain_id=chain_id).values("id", "source_id", "target_id", "kind", "note")
    ]
    leader = _leaders([chain.pk], day).get(chain.pk)
    nodes = [
        _node_info(
            row,
            pk=row["id"],
            chain_pk=chain_id,
            levels=levels.get(row["id"], {}),
            counts={code: len(ids) for code, ids in firms.get(row["id"], {}).items()},
            open_bottlenecks=open_counts.get(row["id"], 0),
        )
        for row in rows
    ]
    return _chain_snapshot(chain, leader=leader, regions=regions, nodes=nodes, edges=edges, as_of=day)


def current_diagram(*, chain_id: int | None = None, cluster_id: int | None = None) -> Diagram | None:
    """The stored current diagram of a chain or cluster, without the PNG/PDF/DOT columns (one query)."""
    queryset = Diagram.objects.filter(kind=DiagramKind.CURRENT).defer(*HEAVY_FIELDS)
    if chain_id is not None:
        return queryset.filter(chain_id=chain_id).first()
    if cluster_id is None:  # neither given: as ``cluster_id=None`` always did, the first one without a cluster
        return queryset.filter(cluster_id__isnull=True).first()
    return queryset.filter(cluster_id=cluster_id).first()
