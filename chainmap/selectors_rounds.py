"""Reads for the matching-round pages, the calendars and the dashboard's conversion: keyword-only,
typed, a constant number of queries whatever the row count.

Rounds and their matches are seen by whoever may view reports (officials and subscribers); for
everyone else ``rounds_visible_to`` is empty, so a round page answers 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from chainmap import permissions
from chainmap.models import (
    CalendarEntry,
    Chain,
    Cluster,
    Match,
    MatchingRound,
    Outcome,
    Region,
    RegionCode,
    RoundKind,
    RoundStatus,
)
from chainmap.services.rounds import LOCKED_STATUSES, year_periods

COMPONENT_LABELS: tuple[tuple[str, Any], ...] = (
    ("text", _("Text relevance")),
    ("structure", _("Chain structure")),
    ("region", _("Regional complementarity")),
    ("qualification", _("Qualifications")),
    ("trl", _("Technology readiness")),
)
# Furthest step reached: a signed agreement was also a contact and a meeting.
CONTACTED = (Outcome.CONTACTED, Outcome.MET, Outcome.SIGNED)
MET = (Outcome.MET, Outcome.SIGNED)
CONVERSION_ROUNDS = 6


def rounds_visible_to(user: Any) -> QuerySet[MatchingRound]:
    if not permissions.can_view_reports(user=user):
        return MatchingRound.objects.none()
    return MatchingRound.objects.select_related("chain", "cluster")


def _funnel(prefix: str = "") -> dict[str, Count]:
    outcome = f"{prefix}outcome"
    return {
        "match_count": Count(f"{prefix}pk"),
        "contacted_count": Count(f"{prefix}pk", filter=Q(**{f"{outcome}__in": CONTACTED})),
        "met_count": Count(f"{prefix}pk", filter=Q(**{f"{outcome}__in": MET})),
        "signed_count": Count(f"{prefix}pk", filter=Q(**{outcome: Outcome.SIGNED})),
    }


def rate(part: int, whole: int) -> float | None:
    """Percentage, one decimal; None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


# --- rounds list -------------------------------------------------------------------------------


def round_list(
    *, user: Any, kind: str | None = None, year: int | None = None, status: str | None = None
) -> QuerySet[MatchingRound]:
    """Visible rounds, newest period first, each with ``match_count``, ``contacted_count``,
    ``met_count`` and ``signed_count``: one query (plus the paginator's count)."""
    rounds = rounds_visible_to(user)
    if kind:
        rounds = rounds.filter(kind=kind)
    if year:
        rounds = rounds.filter(period__year=year)
    if status:
        rounds = rounds.filter(status=status)
    return rounds.annotate(**_funnel("matches__")).order_by("-period", "kind")


def round_conversion(round_: MatchingRound) -> float | None:
    return rate(getattr(round_, "signed_count", 0), getattr(round_, "match_count", 0))


# --- round page --------------------------------------------------------------------------------


@dataclass
class MatchGroup:
    """The ranked candidates of one bottleneck or one technology need."""

    kind: str
    target: Any
    region: Region | None
    matches: list[Match] = field(default_factory=list)


@dataclass(frozen=True)
class RoundPage:
    round: MatchingRound
    bottlenecks: list[MatchGroup]
    needs: list[MatchGroup]
    match_count: int
    has_outcomes: bool


def _explain(match: Match) -> None:
    components = match.components or {}
    match.why = [(label, components.get(key)) for key, label in COMPONENT_LABELS if key in components]


def round_page(
    *, user: Any, round_: MatchingRound, region: str | None = None, target: str | None = None, top: int = 20
) -> RoundPage:
    """The round's matches grouped per bottleneck and per technology need (rank order), with why.

    ``region``: only candidates of that region (ranks stay the round's ranks); ``target``:
    "bottleneck" or "need" only; ``top``: the first ``top`` ranks of each target. Two queries.
    """
    matches = Match.objects.filter(round=round_, rank__lte=top).select_related(
        "enterprise__region",
        "bottleneck__raised_by",
        "need__node",
        "need__profile__enterprise__region",
        "offer",
    )
    if region:
        matches = matches.filter(enterprise__region__code=region)
    if target == "bottleneck":
        matches = matches.filter(bottleneck__isnull=False)
    elif target == "need":
        matches = matches.filter(need__isnull=False)
    bottlenecks: dict[int, MatchGroup] = {}
    needs: dict[int, MatchGroup] = {}
    count = 0
    for match in matches.order_by("bottleneck__code", "need_id", "rank"):
        count += 1
        _explain(match)
        match.can_record = round_.status in (RoundStatus.MATCHED, RoundStatus.HELD) and (
            permissions.can_record_outcome(user=user, match=match)
        )
        if match.bottleneck_id is not None:
            group = bottlenecks.get(match.bottleneck_id)
            if group is None:
                group = bottlenecks[match.bottleneck_id] = MatchGroup(
                    kind="bottleneck", target=match.bottleneck, region=match.bottleneck.raised_by
                )
        else:
            group = needs.get(match.need_id)
            if group is None:
                group = needs[match.need_id] = MatchGroup(
                    kind="need", target=match.need, region=match.need.profile.enterprise.region
                )
        group.matches.append(match)
    has_outcomes = Match.objects.filter(round=round_).exclude(outcome="").exists()
    return RoundPage(
        round=round_,
        bottlenecks=list(bottlenecks.values()),
        needs=list(needs.values()),
        match_count=count,
        has_outcomes=has_outcomes,
    )


def match_row(*, user: Any, match_id: int) -> Match | None:
    """One visible match, ready for its table row (after an outcome is recorded): one query."""
    match = (
        Match.objects.filter(pk=match_id, round__in=rounds_visible_to(user))
        .select_related("round", "enterprise__region", "offer")
        .first()
    )
    if match is not None:
        _explain(match)
        match.can_record = match.round.status in (RoundStatus.MATCHED, RoundStatus.HELD) and (
            permissions.can_record_outcome(user=user, match=match)
        )
    return match


# --- calendars ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarRow:
    kind: str
    period: dt.date
    entry: CalendarEntry | None
    round: MatchingRound | None

    @property
    def locked(self) -> bool:
        return self.round is not None and self.round.status in LOCKED_STATUSES

    @property
    def subject_id(self) -> int | None:
        if self.entry is None:
            return None
        return self.entry.chain_id if self.kind == RoundKind.CHAIN_MONTH else self.entry.cluster_id

    @property
    def quarter(self) -> int:
        return (self.period.month - 1) // 3 + 1


@dataclass(frozen=True)
class CalendarPage:
    year: int
    months: list[CalendarRow]
    quarters: list[CalendarRow]
    chains: list[Chain]
    clusters: list[Cluster]


def calendar_page(*, year: int) -> CalendarPage:
    """Both calendars of the year with each period's round: four queries."""
    entries = {
        (e.kind, e.period): e
        for e in CalendarEntry.objects.filter(period__year=year).select_related("chain", "cluster")
    }
    rounds = {(r.kind, r.period): r for r in MatchingRound.objects.filter(period__year=year)}

    def rows(kind: str) -> list[CalendarRow]:
        return [
            CalendarRow(kind=kind, period=p, entry=entries.get((kind, p)), round=rounds.get((kind, p)))
            for p in year_periods(kind=kind, year=year)
        ]

    return CalendarPage(
        year=year,
        months=rows(RoundKind.CHAIN_MONTH),
        quarters=rows(RoundKind.CLUSTER_QUARTER),
        chains=list(Chain.objects.order_by("position", "code")),
        clusters=list(Cluster.objects.order_by("position", "code")),
    )


def calendar_subjects(*, kind: str) -> list[Chain] | list[Cluster]:
    if kind == RoundKind.CHAIN_MONTH:
        return list(Chain.objects.order_by("position", "code"))
    return list(Cluster.objects.order_by("position", "code"))


def calendar_row(*, kind: str, period: dt.date) -> CalendarRow:
    entry = CalendarEntry.objects.filter(kind=kind, period=period).select_related("chain", "cluster").first()
    round_ = MatchingRound.objects.filter(kind=kind, period=period).first()
    return CalendarRow(kind=kind, period=period, entry=entry, round=round_)


# --- conversion on the dashboard ---------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    matches: int
    contacted: int
    met: int
    signed: int

    @property
    def conversion(self) -> float | None:
        """Signed agreements per match, in percent."""
        return rate(self.signed, self.matches)


@dataclass(frozen=True)
class RoundConversion:
    round: MatchingRound
    funnel: Funnel


@dataclass(frozen=True)
class PairConversion:
    candidate_region: str | None
    target_region: str | None
    funnel: Funnel

    @property
    def cross_region(self) -> bool:
        return self.candidate_region != self.target_region

    @property
    def candidate_label(self) -> str:
        return _region_label(self.candidate_region)

    @property
    def target_label(self) -> str:
        return _region_label(self.target_region)


def _region_label(code: str | None) -> str:
    return str(RegionCode(code).label) if code in RegionCode.values else "—"


@dataclass(frozen=True)
class ConversionSummary:
    rounds: list[RoundConversion]
    pairs: list[PairConversion]
    total: Funnel


def _funnel_of(row: dict[str, Any]) -> Funnel:
    return Funnel(
        matches=row["match_count"], contacted=row["contacted_count"], met=row["met_count"], signed=row["signed_count"]
    )


def conversion_summary(*, user: Any, today: dt.date) -> ConversionSummary | None:
    """Follow-up of the last six matched rounds (period up to today): per round, and per region pair
    (candidate enterprise's region → the region of the bottleneck (raised by) or need (the needing
    enterprise)) over those rounds. None for users who may not view rounds. Three queries."""
    if not permissions.can_view_reports(user=user):
        return None
    rounds = list(
        rounds_visible_to(user)
        .filter(status__in=LOCKED_STATUSES, period__lte=today)
        .order_by("-period", "kind")[:CONVERSION_ROUNDS]
    )
    round_ids = [r.pk for r in rounds]
    matches = Match.objects.filter(round_id__in=round_ids).order_by()
    per_round = {row["round_id"]: _funnel_of(row) for row in matches.values("round_id").annotate(**_funnel())}
    empty = Funnel(matches=0, contacted=0, met=0, signed=0)
    pair_rows = (
        matches.annotate(
            candidate_region=F("enterprise__region__code"),
            target_region=Coalesce("bottleneck__raised_by__code", "need__profile__enterprise__region__code"),
        )
        .values("candidate_region", "target_region")
        .annotate(**_funnel())
        .order_by("candidate_region", "target_region")
    )
    order = {code: i for i, code in enumerate(("BJ", "TJ", "HE"))}
    pairs = sorted(
        (
            PairConversion(
                candidate_region=row["candidate_region"], target_region=row["target_region"], funnel=_funnel_of(row)
            )
            for row in pair_rows
        ),
        key=lambda p: (order.get(p.candidate_region or "", 9), order.get(p.target_region or "", 9)),
    )
    funnels = list(per_round.values())
    total = Funnel(
        matches=sum(f.matches for f in funnels),
        contacted=sum(f.contacted for f in funnels),
        met=sum(f.met for f in funnels),
        signed=sum(f.signed for f in funnels),
    )
    return ConversionSummary(
        rounds=[RoundConversion(round=r, funnel=per_round.get(r.pk, empty)) for r in rounds],
        pairs=pairs,
        total=total,
    )
