"""Reads for the dashboard, the chain list, the chain page and the node page: keyword-only, typed, a
constant number of queries whatever the row count."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.maps import summaries
from chainmap.models import (
    SEGMENT_ORDER,
    Bottleneck,
    CalendarEntry,
    Chain,
    Cluster,
    Edge,
    LeadershipTerm,
    Level,
    Node,
    NodeAssessment,
    Placement,
    Region,
    RoundKind,
    Segment,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


LEVEL_ORDER: tuple[str, ...] = (Level.STRONG, Level.PRESENT, Level.WEAK, Level.EMPTY)


# --- shared helpers ----------------------------------------------------------------------------


def chains_with_counts(*, user: Actor) -> list[Chain]:
    """Visible chains, each with ``node_count``, ``enterprise_count`` (distinct enterprises with a
    non-rejected placement) and ``open_bottleneck_count``, read from the chains' maintained counts:
    one query and one cache read."""
    chains = list(Chain.objects.visible_to(user))
    counts = summaries.chain_counts(chains)
    for chain in chains:
        numbers = counts[chain.pk]
        chain.node_count = numbers.node_count
        chain.enterprise_count = numbers.enterprise_count
        chain.open_bottleneck_count = numbers.open_bottleneck_count
    return chains


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class TermInfo:
    """A chain's leadership as of one day: the current term and the one after it, if planned."""

    current: LeadershipTerm | None
    following: LeadershipTerm | None

    @property
    def handover_on(self) -> dt.date | None:
        """The day the next region takes over: the day after the current term ends."""
        return self.current.ends_on + dt.timedelta(days=1) if self.current is not None else None


def _terms_by_chain(*, user: Actor, chain_ids: Iterable[int], today: dt.date) -> dict[int, TermInfo]:
    """Current and following term of each chain: one query."""
    terms: dict[int, list[LeadershipTerm]] = defaultdict(list)
    rows = (
        LeadershipTerm.objects.visible_to(user)
        .filter(chain_id__in=list(chain_ids), ends_on__gte=today)
        .select_related("region")
        .order_by("chain_id", "starts_on")
    )
    for term in rows:
        terms[term.chain_id].append(term)
    result: dict[int, TermInfo] = {}
    for chain_id, chain_terms in terms.items():
        # The calendar's term, unless the rotation job already opened a later one (see TermQuerySet.in_effect).
        in_effect = [
            t for t in chain_terms if t.starts_on <= today <= t.ends_on or (t.opened_at and t.starts_on > today)
        ]
        current = max(in_effect, key=lambda t: t.starts_on, default=None)
        following = None
        if current is not None:
            following = next((t for t in chain_terms if t.starts_on > current.ends_on), None)
        result[chain_id] = TermInfo(current=current, following=following)
    return result


def term_info(*, user: Actor, chain: Chain, today: dt.date) -> TermInfo:
    return _terms_by_chain(user=user, chain_ids=[chain.pk], today=today).get(
        chain.pk, TermInfo(current=None, following=None)
    )


def clusters_with_chains(*, user: Actor) -> list[Cluster]:
    """The clusters with their related (visible) chains: two queries; nothing for a user without a role."""
    chains = Prefetch("chains", queryset=Chain.objects.visible_to(user))
    return list(Cluster.objects.visible_to(user).prefetch_related(chains))


# --- dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainRow:
    chain: Chain
    term: TermInfo


@dataclass(frozen=True)
class BottleneckCoverage:
    covered: int
    total: int


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    chains: list[ChainRow]
    coverage: BottleneckCoverage
    chain_of_month: CalendarEntry | None
    cluster_of_quarter: CalendarEntry | None
    clusters: list[Cluster]


def bottleneck_coverage(chains: Iterable[Chain] | None = None) -> BottleneckCoverage:
    """How many of all bottlenecks someone is attacking (the "x/130" of full coverage), from the
    chains' maintained counts (every bottleneck belongs to a chain). Counts only, so it is the same
    for every viewer. ``chains``: all chains, when the caller has them already; else one query."""
    counts = summaries.chain_counts(Chain.objects.all() if chains is None else chains).values()
    return BottleneckCoverage(
        covered=sum(c.bottleneck_covered for c in counts), total=sum(c.bottleneck_total for c in counts)
    )


def calendar_subjects(*, today: dt.date) -> tuple[CalendarEntry | None, CalendarEntry | None]:
    """This month's chain (一月一链) and this quarter's cluster (一季一群): one query."""
    entries = CalendarEntry.objects.filter(
        Q(kind=RoundKind.CHAIN_MONTH, period=month_start(today))
        | Q(kind=RoundKind.CLUSTER_QUARTER, period=quarter_start(today))
    ).select_related("chain", "cluster")
    by_kind = {entry.kind: entry for entry in entries}
    return by_kind.get(RoundKind.CHAIN_MONTH), by_kind.get(RoundKind.CLUSTER_QUARTER)


def dashboard(*, user: Actor, today: dt.date) -> Dashboard:
    chains = list(chains_with_counts(user=user))
    terms = _terms_by_chain(user=user, chain_ids=[c.pk for c in chains], today=today)
    empty = TermInfo(current=None, following=None)
    chain_of_month, cluster_of_quarter = calendar_subjects(today=today)
    return Dashboard(
        today=today,
        chains=[ChainRow(chain=chain, term=terms.get(chain.pk, empty)) for chain in chains],
        coverage=bottleneck_coverage(),
        chain_of_month=chain_of_month,
        cluster_of_quarter=cluster_of_quarter,
        clusters=clusters_with_chains(user=user),
    )


# --- chain page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionCell:
    """One region at one node: its assessed level (None: not assessed yet) and how many distinct
    enterprises of that region have a non-rejected placement there."""

    region: Region
    level: str | None
    enterprises: int

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label) if self.level else ""


@dataclass(frozen=True)
class NodeRow:
    node: Node
    depth: int
    cells: list[RegionCell]


@dataclass(frozen=True)
class SegmentBlock:
    segment: str
    label: StrOrPromise  # the segment's (lazy) choice label
    rows: list[NodeRow]


@dataclass(frozen=True)
class CoverageRow:
    region: Region
    counts: list[tuple[str, int]]  # (level, number of nodes) in LEVEL_ORDER
    unassessed: int


@dataclass(frozen=True)
class ChainPage:
    chain: Chain
    term: TermInfo
    regions: list[Region]
    segments: list[SegmentBlock]
    node_count: int
    coverage: list[CoverageRow]
    bottlenecks: QuerySet[Bottleneck]
    clusters: list[Cluster]


def _tree_order(nodes: list[Node]) -> list[tuple[Node, int]]:
    """Nodes depth first under their parents, with their depth. A node whose parent is outside the
    list (another segment) starts a tree of its own; a cycle (which services prevent) cannot loop."""
    ids = {node.pk for node in nodes}
    children: dict[int | None, list[Node]] = defaultdict(list)
    for node in nodes:
        children[node.parent_id if node.parent_id in ids else None].append(node)
    ordered: list[tuple[Node, int]] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for child in children.get(parent_id, []):
            if child.pk in seen:
                continue
            seen.add(child.pk)
            ordered.append((child, depth))
            walk(child.pk, depth + 1)

    walk(None, 0)
    # Anything left sits on a cycle: show it flat rather than not at all.
    ordered.extend((node, 0) for node in nodes if node.pk not in seen)
    return ordered


def chain_page(*, user: Actor, chain: Chain, today: dt.date) -> ChainPage:
    """Everything the chain page shows except the diagram. The map's nodes, levels and enterprise
    counts come from the chain's maintained map data (``summaries``): four queries and one cache
    read whatever the chain's size, with no aggregate over placements while the chain is unchanged."""
    regions = list(Region.objects.all())
    visible = roles.role_of(user) is not None  # the map is every role's (NodeQuerySet.visible_to)
    data = summaries.chain_map_data(chain) if visible else summaries.ChainMapData(nodes=[])
    nodes, levels, counts = data.nodes, data.levels, data.enterprises

    segments: list[SegmentBlock] = []
    for segment in sorted(Segment, key=lambda s: SEGMENT_ORDER[s]):
        in_segment = [node for node in nodes if node.segment == segment]
        rows = []
        for node, depth in _tree_order(in_segment):
            cells = [
                RegionCell(
                    region=region,
                    level=levels.get(node.pk, {}).get(region.code),
                    enterprises=counts.get(node.pk, {}).get(region.code, 0),
                )
                for region in regions
            ]
            # Indentation stops at five levels so deep trees stay readable.
            rows.append(NodeRow(node=node, depth=min(depth, 5), cells=cells))
        segments.append(SegmentBlock(segment=segment, label=segment.label, rows=rows))

    coverage = []
    for region in regions:
        per_level: defaultdict[str, int] = defaultdict(int)
        for node in nodes:
            level = levels.get(node.pk, {}).get(region.code)
            if level is not None:
                per_level[level] += 1
        assessed = sum(per_level.values())
        coverage.append(
            CoverageRow(
                region=region,
                counts=[(level, per_level[level]) for level in LEVEL_ORDER],
                unassessed=len(nodes) - assessed,
            )
        )

    # Lazy: the page's cached fragment reads it only when the chain's data moved.
    bottlenecks = Bottleneck.objects.visible_to(user).filter(chain=chain).select_related("raised_by").order_by("code")
    return ChainPage(
        chain=chain,
        term=term_info(user=user, chain=chain, today=today),
        regions=regions,
        segments=segments,
        node_count=len(nodes),
        coverage=coverage,
        bottlenecks=bottlenecks,
        clusters=list(chain.clusters.all()),
    )


# --- node page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Neighbour:
    node: Node
    edge: Edge


@dataclass(frozen=True)
class NodePage:
    node: Node
    children: list[Node]
    upstream: list[Neighbour]  # nodes that supply this one
    downstream: list[Neighbour]  # nodes this one supplies
    assessments: list[tuple[Region, NodeAssessment | None]]
    bottlenecks: list[Bottleneck]
    placements: QuerySet[Placement]


def node_queryset(*, user: Actor) -> QuerySet[Node]:
    return Node.objects.visible_to(user).select_related("chain", "parent")


def node_page(*, user: Actor, node: Node) -> NodePage:
    """The node's neighbourhood; ``placements`` is a lazy queryset for the view's paginator."""
    children = list(node.children.order_by("position", "code").only("pk", "code", "name", "segment", "parent_id"))
    upstream: list[Neighbour] = []
    downstream: list[Neighbour] = []
    edges = (
        Edge.objects.visible_to(user)
        .filter(Q(source=node) | Q(target=node))
        .select_related("source", "target")
        .order_by("kind", "pk")
    )
    for edge in edges:
        if edge.target_id == node.pk:
            upstream.append(Neighbour(node=edge.source, edge=edge))
        else:
            downstream.append(Neighbour(node=edge.target, edge=edge))
    by_region = {a.region_id: a for a in node.assessments.all()}
    assessments = [(region, by_region.get(region.pk)) for region in Region.objects.all()]
    bottlenecks = list(
        Bottleneck.objects.visible_to(user).filter(nodes=node).select_related("raised_by").order_by("code")
    )
    placements = (
        Placement.objects.visible_to(user)
        .filter(node=node)
        .select_related("enterprise", "enterprise__region")
        .only(
            "pk",
            "role",
            "status",
            "node_id",
            "enterprise__credit_code",
            "enterprise__name",
            "enterprise__is_synthetic",
            "enterprise__region__code",
            "enterprise__region__name",
        )
        # By LOWER(name), which no index gives in order: PostgreSQL then sorts the node's placements
        # (thousands at most) instead of walking all enterprises by name until it finds a page of
        # them, which takes seconds when the node's enterprises sit late in the alphabet.
        .order_by(Lower("enterprise__name"), "pk")
    )
    return NodePage(
        node=node,
        children=children,
        upstream=upstream,
        downstream=downstream,
        assessments=assessments,
        bottlenecks=bottlenecks,
        placements=placements,
    )


# --- chains list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainList:
    chains: list[Chain]
    clusters: list[Cluster]


def chain_list(*, user: Actor) -> ChainList:
    return ChainList(chains=list(chains_with_counts(user=user)), clusters=clusters_with_chains(user=user))
