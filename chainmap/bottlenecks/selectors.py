"""Reads for the bottleneck board, the bottleneck page and the node assessment form: a constant
number of queries whatever the row count; visibility through the ``visible_to`` querysets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from chainmap.accounts import permissions
from chainmap.core import extensions
from chainmap.core.actors import Actor
from chainmap.maps import summaries
from chainmap.maps.selectors.pages import BottleneckCoverage, bottleneck_coverage
from chainmap.maps.services.assessments import assessable_region_ids
from chainmap.models import Bottleneck, BottleneckStatus, Node, NodeAssessment, Region


def bottleneck_queryset(*, user: Actor) -> QuerySet[Bottleneck]:
    """The bottlenecks the user may see, with what every page shows of them."""
    return Bottleneck.objects.visible_to(user).select_related("chain", "raised_by")


# --- board ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class Board:
    bottlenecks: QuerySet[Bottleneck]  # lazy, for the view's paginator
    statuses: list[StatusCount]  # the filtered bottlenecks by status, whatever the status filter
    coverage: BottleneckCoverage
    version: str = ""  # the key of the board's cached rows (``summaries.chains_version``)


def bottleneck_board(
    *,
    user: Actor,
    chain: Any = None,
    raised_by: Any = None,
    severity: int | None = None,
    mechanism: str = "",
    status: str = "",
    q: str = "",
) -> Board:
    """The board's rows and its status strip: two queries here, two more for a page of rows."""
    rows = bottleneck_queryset(user=user)
    if chain is not None:
        rows = rows.filter(chain=chain)
    if raised_by is not None:
        rows = rows.filter(raised_by=raised_by)
    if severity:
        rows = rows.filter(severity=severity)
    if mechanism:
        rows = rows.filter(mechanism=mechanism)
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(title__icontains=q))
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    statuses = [StatusCount(value, str(label), counts.get(value, 0)) for value, label in BottleneckStatus.choices]
    if status:
        rows = rows.filter(status=status)
    rows = rows.prefetch_related("nodes").order_by("chain__position", "chain__code", "code")
    chains = summaries.all_chains()
    return Board(
        bottlenecks=rows,
        statuses=statuses,
        coverage=bottleneck_coverage(chains),
        version=summaries.chains_version(chains),
    )


# --- bottleneck page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BottleneckPage:
    nodes: list[Node]
    project_count: int | None  # None: no installed app counts them (chainmap.core.extensions)
    challenge_count: int | None
    can_edit: bool
    can_view_history: bool


def bottleneck_page(*, user: Actor, bottleneck: Bottleneck) -> BottleneckPage:
    nodes = list(bottleneck.nodes.visible_to(user).order_by("position", "code"))
    return BottleneckPage(
        nodes=nodes,
        project_count=extensions.bottleneck_count("projects", bottleneck_id=bottleneck.pk),
        challenge_count=extensions.bottleneck_count("challenges", bottleneck_id=bottleneck.pk),
        can_edit=permissions.can_edit_bottleneck(user=user, bottleneck=bottleneck),
        can_view_history=permissions.can_view_history(user=user),
    )


# --- node assessments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentRow:
    region: Region
    assessment: NodeAssessment | None
    editable: bool

    @property
    def level(self) -> str:
        return self.assessment.level if self.assessment is not None else ""


def assessment_rows(*, user: Actor, node: Node) -> list[AssessmentRow]:
    """Each region with its assessment at the node and whether the user may set it: two queries,
    three with the leadership calendar."""
    regions = list(Region.objects.all())
    by_region = {a.region_id: a for a in NodeAssessment.objects.filter(node=node)}
    editable = assessable_region_ids(user=user, chain_id=node.chain_id, region_ids=[r.pk for r in regions])
    return [AssessmentRow(region=r, assessment=by_region.get(r.pk), editable=r.pk in editable) for r in regions]
