"""Reads for the matching-round pages, the calendars and the dashboard's conversion: keyword-only,
typed, a constant number of queries whatever the row count.

Rounds and their matches are seen by whoever may view reports (officials and subscribers); for
everyone else ``MatchingRound.objects.visible_to`` is empty, so a round page answers 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor
from chainmap.models import (
    CalendarEntry,
    Chain,
    Cluster,
    Match,
    MatchingRound,
    Outcome,
    Region,
    RegionCode,
    Report,
    RoundKind,
    RoundStatus,
)
from chainmap.reports.models import ReportStatus

# --- the round state (statuses, periods, the match job's progress): read here, written by
# services.rounds, which imports it from here (reads never import services) ------------------

# Statuses whose round fixes the period's subject (its matches exist).
LOCKED_STATUSES = (RoundStatus.MATCHED, RoundStatus.HELD, RoundStatus.CLOSED)


def period_start(*, kind: str, day: dt.date) -> dt.date:
    """The first day of the month (chain rounds) or quarter (cluster rounds) containing ``day``."""
    if kind == RoundKind.CLUSTER_QUARTER:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def year_periods(*, kind: str, year: int) -> list[dt.date]:
    if kind == RoundKind.CLUSTER_QUARTER:
        return [dt.date(year, month, 1) for month in (1, 4, 7, 10)]
    return [dt.date(year, month, 1) for month in range(1, 13)]


JOB_QUEUED, JOB_MATCHING, JOB_BUILDING, JOB_DONE, JOB_FAILED = "queued", "matching", "building", "done", "failed"


@dataclass(frozen=True)
class RoundJob:
    """The last state the match job of a round reported: queued → matching → building (the report)
    or done (matched, no report asked for), or failed."""

    state: str
    at: dt.datetime
    error: str = ""
    matches: int | None = None


def job_key(round_id: int) -> str:
    return f"chainmap:round-job:{round_id}"


def job_lifetime() -> int:
    # CHAINMAP_REPORTS has no TypedDict in the settings (its values infer as object): an env.int.
    build_timeout = settings.CHAINMAP_REPORTS["BUILD_TIMEOUT_SECONDS"]
    return settings.CHAINMAP_MATCHING["CLAIM_TIMEOUT_SECONDS"] + build_timeout


def round_job_get(*, round_id: int) -> RoundJob | None:
    raw = cache.get(job_key(round_id))
    if not isinstance(raw, dict):
        return None
    try:
        at = dt.datetime.fromisoformat(raw["at"])
    except (KeyError, TypeError, ValueError):
        return None
    return RoundJob(
        state=str(raw.get("state", "")), at=at, error=str(raw.get("error") or ""), matches=raw.get("matches")
    )


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
    *, user: Actor, kind: str | None = None, year: int | None = None, status: str | None = None
) -> QuerySet[MatchingRound]:
    """Visible rounds, newest period first, each with ``match_count``, ``contacted_count``,
    ``met_count`` and ``signed_count``: one query (plus the paginator's count)."""
    rounds = MatchingRound.objects.visible_to(user).select_related("chain", "cluster")
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


TARGETS_PER_PAGE = 10


@dataclass
class MatchGroup:
    """The ranked candidates of one bottleneck or one technology need."""

    kind: str
    target: Any
    region: Region | None
    matches: list[Match] = field(default_factory=list)

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


@dataclass(frozen=True)
class RoundPage:
    round: MatchingRound
    groups: list[MatchGroup]
    page_obj: Page
    target_count: int
    match_count: int
    has_outcomes: bool

    @property
    def bottlenecks(self) -> list[MatchGroup]:
        return [g for g in self.groups if g.kind == "bottleneck"]

    @property
    def needs(self) -> list[MatchGroup]:
        return [g for g in self.groups if g.kind == "need"]


def _decimals(value: Any, places: int) -> str:
    """A score as the page shows it (what ``floatformat`` would print, at a fraction of its cost on a
    page of a hundred matches)."""
    return "" if value is None else f"{float(value):.{places}f}"


def _explain(match: Match) -> None:
    components = match.components or {}
    match.why = [(label, _decimals(components.get(key), 2)) for key, label in COMPONENT_LABELS if key in components]
    match.score_display = _decimals(match.score, 3)


def _target_key(bottleneck_id: int | None, need_id: int | None) -> tuple[str, int]:
    return ("bottleneck", bottleneck_id) if bottleneck_id is not None else ("need", need_id or 0)


def round_has_outcomes(*, round_: MatchingRound) -> bool:
    """Whether follow-up was recorded for any of the round's matches (it can no longer be rematched)."""
    return Match.objects.filter(round=round_).exclude(outcome="").exists()


def round_page(
    *,
    user: Actor,
    round_: MatchingRound,
    region: str | None = None,
    target: str | None = None,
    top: int = 20,
    page: Any = None,
    per_page: int = TARGETS_PER_PAGE,
) -> RoundPage:
    """One page of the round's targets (bottlenecks by code, then technology needs), each with its
    first ``top`` ranked candidates and why.

    ``region``: only candidates of that region (ranks stay the round's ranks); ``target``:
    "bottleneck" or "need" only; ``page``: the page of ``per_page`` targets (a bad number gives the
    nearest page). Four queries whatever the round's size: the count, the page's targets, their
    matches, whether any follow-up exists.
    """
    matches = Match.objects.filter(round=round_, rank__lte=top)
    if region:
        matches = matches.filter(enterprise__region__code=region)
    if target == "bottleneck":
        matches = matches.filter(bottleneck__isnull=False)
    elif target == "need":
        matches = matches.filter(need__isnull=False)
    targets = (
        matches.values("bottleneck_id", "need_id")
        .annotate(candidates=Count("pk"))
        .order_by(F("bottleneck__code").asc(nulls_last=True), "bottleneck_id", "need_id")
    )
    paginator = Paginator(targets, per_page)
    page_obj = paginator.get_page(page)
    keys = [_target_key(row["bottleneck_id"], row["need_id"]) for row in page_obj.object_list]
    bottleneck_ids = [pk for kind, pk in keys if kind == "bottleneck"]
    need_ids = [pk for kind, pk in keys if kind == "need"]
    groups: dict[tuple[str, int], MatchGroup] = {}
    count = 0
    if keys:
        rows = matches.filter(Q(bottleneck_id__in=bottleneck_ids) | Q(need_id__in=need_ids)).select_related(
            "enterprise__region",
            "bottleneck__raised_by",
            "need__node",
            "need__profile__enterprise__region",
            "offer",
        )
        may_record = round_.status in (RoundStatus.MATCHED, RoundStatus.HELD)
        for match in rows.order_by("bottleneck_id", "need_id", "rank"):
            count += 1
            _explain(match)
            match.can_record = may_record and permissions.can_record_outcome(user=user, match=match)
            key = _target_key(match.bottleneck_id, match.need_id)
            group = groups.get(key)
            if group is None:
                # Exactly one of bottleneck and need (chainmap_match_one_target), both select_related.
                if match.bottleneck is not None:
                    group = MatchGroup(kind="bottleneck", target=match.bottleneck, region=match.bottleneck.raised_by)
                else:
                    assert match.need is not None
                    group = MatchGroup(kind="need", target=match.need, region=match.need.profile.enterprise.region)
                groups[key] = group
            group.matches.append(match)
    has_outcomes = round_has_outcomes(round_=round_)
    return RoundPage(
        round=round_,
        groups=[groups[key] for key in keys if key in groups],
        page_obj=page_obj,
        target_count=paginator.count,
        match_count=count,
        has_outcomes=has_outcomes,
    )


def match_row(*, user: Actor, match_id: int) -> Match | None:
    """One visible match, ready for its table row (after an outcome is recorded): one query."""
    match = (
        Match.objects.filter(pk=match_id, round__in=MatchingRound.objects.visible_to(user))
        .select_related("round", "enterprise__region", "offer")
        .first()
    )
    if match is not None:
        _explain(match)
        match.can_record = match.round.status in (RoundStatus.MATCHED, RoundStatus.HELD) and (
            permissions.can_record_outcome(user=user, match=match)
        )
    return match


# --- progress of the match job ----------------------------------------------------------------

# A job that said "matching" but holds no claim this long after is gone (killed, retries exhausted).
UNCLAIMED_GRACE = dt.timedelta(seconds=60)
REPORT_FAILED, LOST = "report_failed", "lost"


@dataclass(frozen=True)
class RoundProgress:
    """What the round page's status fragment shows about matching and the report build after it.

    ``state``: "" (nothing to tell), queued, matching, building, done, failed (matching), report_failed
    (matched, but the report build failed) or lost (the job stopped reporting)."""

    state: str
    since: dt.datetime | None = None
    matches: int | None = None
    error: str = ""

    @property
    def running(self) -> bool:
        return self.state in (JOB_QUEUED, JOB_MATCHING, JOB_BUILDING)


def round_progress(*, round_: MatchingRound, now: dt.datetime | None = None) -> RoundProgress:
    """The match job's progress from the round's claim, the job's last report (cache) and the
    report row: at most one query (the report) besides the round the caller has."""
    now = now or timezone.now()
    matching = settings.CHAINMAP_MATCHING
    claim_timeout = dt.timedelta(seconds=matching["CLAIM_TIMEOUT_SECONDS"])
    # CHAINMAP_REPORTS has no TypedDict in the settings (its values infer as object): an env.int.
    build_timeout = dt.timedelta(seconds=settings.CHAINMAP_REPORTS["BUILD_TIMEOUT_SECONDS"])
    if round_.matching_since is not None and round_.matching_since >= now - claim_timeout:
        return RoundProgress(state=JOB_MATCHING, since=round_.matching_since)
    job = round_job_get(round_id=round_.pk)
    if job is None:
        return RoundProgress(state="")
    if job.state == JOB_QUEUED:
        lost = job.at < now - claim_timeout
        return RoundProgress(state=LOST if lost else JOB_QUEUED, since=job.at)
    if job.state == JOB_MATCHING:
        lost = job.at < now - UNCLAIMED_GRACE
        return RoundProgress(state=LOST if lost else JOB_MATCHING, since=job.at)
    if job.state == JOB_BUILDING:
        report = Report.objects.filter(round_id=round_.pk).only("status", "built_at", "updated_at", "error").first()
        if report is not None and report.status == ReportStatus.READY and (report.built_at or job.at) >= job.at:
            return RoundProgress(state=JOB_DONE, since=report.built_at, matches=job.matches)
        if report is not None and report.status == ReportStatus.FAILED and report.updated_at >= job.at:
            return RoundProgress(state=REPORT_FAILED, since=report.updated_at, matches=job.matches, error=report.error)
        if job.at < now - build_timeout:
            return RoundProgress(state=LOST, since=job.at, matches=job.matches)
        return RoundProgress(state=JOB_BUILDING, since=job.at, matches=job.matches)
    return RoundProgress(state=job.state, since=job.at, matches=job.matches, error=job.error)


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


@dataclass(frozen=True)
class NewRoundDefaults:
    """What the "new round" form proposes for a kind and month: the calendar's subject, and the
    period's round if it exists already (the button then opens it)."""

    kind: str
    period: dt.date
    subjects: list[Chain] | list[Cluster]
    calendar_subject: Chain | Cluster | None
    existing: MatchingRound | None

    @property
    def subject_id(self) -> int | None:
        if self.existing is not None:
            return self.existing.chain_id or self.existing.cluster_id
        return self.calendar_subject.pk if self.calendar_subject is not None else None


def new_round_defaults(*, kind: str, period: dt.date) -> NewRoundDefaults:
    """Three queries: the subjects of the kind, the period's calendar entry, its round."""
    start = period_start(kind=kind, day=period)
    entry = CalendarEntry.objects.filter(kind=kind, period=start).select_related("chain", "cluster").first()
    existing = MatchingRound.objects.filter(kind=kind, period=start).select_related("chain", "cluster").first()
    return NewRoundDefaults(
        kind=kind,
        period=start,
        subjects=calendar_subjects(kind=kind),
        calendar_subject=(entry.chain or entry.cluster) if entry is not None else None,
        existing=existing,
    )


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


def conversion_summary(*, user: Actor, today: dt.date) -> ConversionSummary | None:
    """Follow-up of the last six matched rounds (period up to today): per round, and per region pair
    (candidate enterprise's region → the region of the bottleneck (raised by) or need (the needing
    enterprise)) over those rounds. None for users who may not view rounds. Three queries."""
    if not permissions.can_view_reports(user=user):
        return None
    rounds = list(
        MatchingRound.objects.visible_to(user)
        .select_related("chain", "cluster")
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
