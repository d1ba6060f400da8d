"""Matching rounds: created from the 一月一链 / 一季一群 calendars, moved through
planned → open → matched → held → closed, and the officials' follow-up of their matches. Also the
joint office's edits to the calendars themselves.

A period is locked once its round is matched: its subject can no longer change, because the
round's matches (and the report sent from them) are about that chain or cluster.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core import jobs
from chainmap.core.actors import Actor, signed_in
from chainmap.core.versions import version_check
from chainmap.matching.selectors import (  # the round state pages read; re-exported for the callers
    JOB_BUILDING as JOB_BUILDING,
)
from chainmap.matching.selectors import (
    JOB_DONE as JOB_DONE,
)
from chainmap.matching.selectors import (
    JOB_FAILED as JOB_FAILED,
)
from chainmap.matching.selectors import (
    JOB_MATCHING as JOB_MATCHING,
)
from chainmap.matching.selectors import (
    JOB_QUEUED as JOB_QUEUED,
)
from chainmap.matching.selectors import (
    LOCKED_STATUSES as LOCKED_STATUSES,
)
from chainmap.matching.selectors import (
    RoundJob as RoundJob,
)
from chainmap.matching.selectors import (
    job_key,
    job_lifetime,
)
from chainmap.matching.selectors import (
    period_start as period_start,
)
from chainmap.matching.selectors import (
    round_job_get as round_job_get,
)
from chainmap.matching.selectors import (
    year_periods as year_periods,
)
from chainmap.matching.services.calendars import CALENDAR_EPOCH_YEAR, calendar_generate_year
from chainmap.matching.services.matches import matching_run
from chainmap.models import (
    CalendarEntry,
    Chain,
    Cluster,
    Match,
    MatchingRound,
    Outcome,
    RoundKind,
    RoundStatus,
)

logger = logging.getLogger(__name__)

MATCH_ROUND = "chainmap.tasks_rounds.match_round"  # the job (chainmap.matching.tasks)

# Statuses from which a round may be matched; a planned round is opened on the way (the monthly job).
MATCHABLE_STATUSES = (RoundStatus.PLANNED, RoundStatus.OPEN, RoundStatus.MATCHED)
# Follow-up is recorded while the round is active; a closed round is frozen.
FOLLOW_UP_STATUSES = (RoundStatus.MATCHED, RoundStatus.HELD)
MIN_YEAR, MAX_YEAR = 2000, 2100


def _check_kind(kind: str) -> None:
    if kind not in RoundKind.values:
        raise ValidationError({"kind": _("Unknown round kind.")})


def _check_user(user: Actor, allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


def _status_label(status: str) -> str:
    return str(RoundStatus(status).label)


def _refuse(round_: MatchingRound, message: str) -> ValidationError:
    return ValidationError({"status": message % {"status": _status_label(round_.status)}})


def _locked_round(round_id: int) -> MatchingRound:
    try:
        return MatchingRound.objects.select_for_update().get(pk=round_id)
    except MatchingRound.DoesNotExist:
        raise ValidationError({"round_id": _("This round does not exist.")}) from None


def _claim_is_live(round_: MatchingRound, now: dt.datetime) -> bool:
    """Another worker is matching the round (a claim older than the timeout is abandoned)."""
    if round_.matching_since is None:
        return False
    timeout = dt.timedelta(seconds=settings.CHAINMAP_MATCHING["CLAIM_TIMEOUT_SECONDS"])
    return round_.matching_since >= now - timeout


# --- rounds ------------------------------------------------------------------------------------


@transaction.atomic
def round_ensure(*, kind: str, period: dt.date) -> MatchingRound:
    """The round of the period containing ``period``, created (planned) from the calendar if missing.

    Safe to call twice or concurrently: the (kind, period) unique constraint keeps one round.
    """
    _check_kind(kind)
    start = period_start(kind=kind, day=period)
    existing = MatchingRound.objects.filter(kind=kind, period=start).first()
    if existing is not None:
        return existing
    entry = CalendarEntry.objects.filter(kind=kind, period=start).first()
    if entry is None:
        raise ValidationError(
            {"period": _("The calendar has no chain or cluster for %(period)s.") % {"period": f"{start:%Y-%m}"}}
        )
    round_, _created = MatchingRound.objects.get_or_create(
        kind=kind, period=start, defaults={"chain_id": entry.chain_id, "cluster_id": entry.cluster_id}
    )
    return round_


def _subject_id(kind: str, obj: MatchingRound | CalendarEntry | None) -> int | None:
    if obj is None:
        return None
    return obj.chain_id if kind == RoundKind.CHAIN_MONTH else obj.cluster_id


@transaction.atomic
def round_create(*, kind: str, period: dt.date, subject_id: int | None, user: Actor) -> tuple[MatchingRound, bool]:
    """The pages' "new round": the period's round, created (planned) from the calendar if missing,
    and whether it was created. An existing round of the period is returned as it is.

    ``subject_id`` None follows the calendar (filled round-robin first if the period is empty, as
    the monthly job does). A subject other than the calendar's is put on the calendar first
    (``calendar_entry_set``): only the joint office may, and never once the period is matched.
    """
    _check_user(user, permissions.can_run_round(user=user))
    _check_kind(kind)
    if not isinstance(period, dt.date) or not MIN_YEAR <= period.year <= MAX_YEAR:
        raise ValidationError({"period": _("Enter a month between 2000 and 2100.")})
    start = period_start(kind=kind, day=period)
    existing = MatchingRound.objects.filter(kind=kind, period=start).select_related("chain", "cluster").first()
    if existing is not None:
        current = _subject_id(kind, existing)
    else:
        entry = CalendarEntry.objects.filter(kind=kind, period=start).first()
        if entry is None:
            calendar_generate_year(year=start.year)
            entry = CalendarEntry.objects.filter(kind=kind, period=start).first()
        current = _subject_id(kind, entry)
    if subject_id is not None and subject_id != current:
        if not permissions.can_manage_calendars(user=user):
            subject = (
                str(existing.chain or existing.cluster) if existing is not None else _calendar_subject(kind, current)
            )
            raise ValidationError(
                {
                    "subject": _(
                        "The calendar gives %(period)s to %(subject)s; only the joint office can change it "
                        "(on the calendars page)."
                    )
                    % {"period": f"{start:%Y-%m}", "subject": subject}
                }
            )
        calendar_entry_set(kind=kind, period=start, subject_id=subject_id, user=user)
    round_ = round_ensure(kind=kind, period=start)
    return round_, existing is None


def _calendar_subject(kind: str, subject_id: int | None) -> str:
    model = Chain if kind == RoundKind.CHAIN_MONTH else Cluster
    subject = model.objects.filter(pk=subject_id).first() if subject_id is not None else None
    return str(subject) if subject is not None else "—"


@transaction.atomic
def round_open(*, round_id: int, user: Actor) -> MatchingRound:
    """Planned → open: enterprises may now add needs and offers for it."""
    _check_user(user, permissions.can_run_round(user=user))
    round_ = _locked_round(round_id)
    if round_.status != RoundStatus.PLANNED:
        raise _refuse(round_, _("Only a planned round can be opened; this one is %(status)s."))
    round_.status = RoundStatus.OPEN
    round_.opened_at = timezone.now()
    round_.save(update_fields=["status", "opened_at", "updated_at"])
    return round_


@transaction.atomic
def _round_match_check(*, round_id: int, user: Actor | None, now: dt.datetime) -> MatchingRound | None:
    """Check (under the round's row lock) that the round may be matched; open a planned one.
    None when another worker is matching it right now."""
    if user is not None:
        _check_user(user, permissions.can_run_round(user=user))
    round_ = _locked_round(round_id)
    if round_.status not in MATCHABLE_STATUSES:
        raise _refuse(round_, _("A round that is %(status)s cannot be matched again."))
    if _claim_is_live(round_, now):
        return None
    if round_.status == RoundStatus.MATCHED and Match.objects.filter(round_id=round_id).exclude(outcome="").exists():
        raise ValidationError(
            {
                "status": _(
                    "Follow-up outcomes have been recorded for this round's matches: "
                    "matching it again would replace the matches they belong to."
                )
            }
        )
    if round_.status == RoundStatus.PLANNED:
        round_.status = RoundStatus.OPEN
        round_.opened_at = now
        round_.save(update_fields=["status", "opened_at", "updated_at"])
    return round_


def round_match(*, round_id: int, user: Actor | None) -> int | None:
    """Match the round (planned, open, or matched without any follow-up yet) and mark it matched.

    ``user`` None: the scheduled job. Returns the number of matches written, or None when another
    worker holds the round (it gets nothing and changes nothing). Not one transaction on purpose:
    ``matching_run`` claims ``matching_since`` with a conditional UPDATE that other workers must see
    committed, and writes the matches in its own transaction.
    """
    now = timezone.now()
    round_ = _round_match_check(round_id=round_id, user=user, now=now)
    if round_ is None:
        return None
    before = round_.matched_at
    written = matching_run(round_id=round_id)
    if written == 0:
        # matching_run answers 0 both for "no match" and for "another worker claimed it first";
        # only a run of its own moves matched_at.
        after = MatchingRound.objects.values_list("matched_at", flat=True).get(pk=round_id)
        if after == before:
            return None
    logger.info("round %s matched: %s matches", round_id, written)
    return written


def round_match_enqueue(*, round_id: int, user: Actor) -> MatchingRound | None:
    """Check now that the user may match the round, then match it in the background after commit.
    None when another worker is matching it already."""
    round_ = _round_match_check(round_id=round_id, user=user, now=timezone.now())
    if round_ is not None:
        round_job_set(round_id=round_id, state=JOB_QUEUED)
        jobs.send_on_commit(MATCH_ROUND, round_id=round_id)
    return round_


# --- progress of the background match (what the round page polls) --------------------------------


def round_job_set(*, round_id: int, state: str, error: str = "", matches: int | None = None) -> None:
    """Record the job's progress in the cache (shared with the workers through Redis; in process when
    tasks run eagerly). Only for display: the round row and its claim stay the truth."""
    job = {"state": state, "at": timezone.now().isoformat(), "error": error[:1000], "matches": matches}
    cache.set(job_key(round_id), job, timeout=job_lifetime())


@transaction.atomic
def round_hold(*, round_id: int, user: Actor, held_on: dt.date) -> MatchingRound:
    """Matched → held: the 对接会 took place on ``held_on``."""
    _check_user(user, permissions.can_run_round(user=user))
    if not isinstance(held_on, dt.date):
        raise ValidationError({"held_on": _("Enter the date the meeting took place.")})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("The meeting date cannot be in the future.")})
    round_ = _locked_round(round_id)
    if round_.status != RoundStatus.MATCHED:
        raise _refuse(round_, _("Only a matched round can be marked as held; this one is %(status)s."))
    if held_on < round_.period:
        raise ValidationError({"held_on": _("The meeting cannot take place before the round's period starts.")})
    round_.status = RoundStatus.HELD
    round_.held_on = held_on
    round_.save(update_fields=["status", "held_on", "updated_at"])
    return round_


@transaction.atomic
def round_close(*, round_id: int, user: Actor) -> MatchingRound:
    """Held → closed: the round's follow-up is complete and frozen."""
    _check_user(user, permissions.can_run_round(user=user))
    round_ = _locked_round(round_id)
    if round_.status != RoundStatus.HELD:
        raise _refuse(round_, _("Only a held round can be closed; this one is %(status)s."))
    round_.status = RoundStatus.CLOSED
    round_.closed_at = timezone.now()
    round_.save(update_fields=["status", "closed_at", "updated_at"])
    return round_


# --- follow-up ---------------------------------------------------------------------------------


@transaction.atomic
def match_record_outcome(*, match_id: int, user: Actor, outcome: str, note: str = "") -> Match:
    """Record how a match was followed up (contacted, met, signed, no further contact; "" clears it)."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose one of the listed outcomes.")})
    note = (note or "").strip()
    max_length = Match._meta.get_field("outcome_note").max_length
    assert max_length is not None  # a CharField(max_length=1000)
    if len(note) > max_length:
        raise ValidationError({"note": _("The note is too long (at most 1000 characters).")})
    round_id = Match.objects.filter(pk=match_id).values_list("round_id", flat=True).first()
    if round_id is None:
        raise ValidationError({"match_id": _("This match no longer exists (the round was matched again).")})
    # The round's row lock orders this against a re-match: matching_run's claim waits for it.
    round_ = _locked_round(round_id)
    match = Match.objects.select_for_update().filter(pk=match_id).order_by("pk").first()
    if match is None:
        raise ValidationError({"match_id": _("This match no longer exists (the round was matched again).")})
    _check_user(user, permissions.can_record_outcome(user=user, match=match))
    if round_.status not in FOLLOW_UP_STATUSES:
        raise _refuse(round_, _("Follow-up can be recorded only for a matched or held round; this one is %(status)s."))
    if _claim_is_live(round_, timezone.now()):
        raise ValidationError({"status": _("The round is being matched right now; try again in a moment.")})
    match.outcome = outcome
    match.outcome_note = note
    match.outcome_by = signed_in(user) if outcome else None
    match.outcome_at = timezone.now() if outcome else None
    match.save(update_fields=["outcome", "outcome_note", "outcome_by", "outcome_at", "updated_at"])
    return match


# --- calendars ---------------------------------------------------------------------------------


def _subject_fields(kind: str, subject_id: int | None) -> dict[str, int | None]:
    if kind == RoundKind.CHAIN_MONTH:
        return {"chain_id": subject_id, "cluster_id": None}
    return {"chain_id": None, "cluster_id": subject_id}


def _set_entry(*, kind: str, period: dt.date, subject_id: int, expected_version: int | None = None) -> CalendarEntry:
    """Create or change the period's entry; a change of subject moves its version (the API's ETag)."""
    fields = _subject_fields(kind, subject_id)
    locked = CalendarEntry.objects.select_for_update().filter(kind=kind, period=period)
    entry = locked.first()
    if entry is not None:
        version_check(entry, expected_version)
    else:
        entry, created = CalendarEntry.objects.get_or_create(kind=kind, period=period, defaults=fields)
        if not created:  # a concurrent call created it since our read
            entry = locked.get()
    if any(getattr(entry, key) != value for key, value in fields.items()):
        for key, value in fields.items():
            setattr(entry, key, value)
        entry.version += 1
        entry.save()
    # A planned or open round follows its period's new subject.
    MatchingRound.objects.filter(kind=kind, period=period).exclude(status__in=LOCKED_STATUSES).update(
        **fields, updated_at=timezone.now()
    )
    return entry


def _locked_periods(*, kind: str, periods: list[dt.date]) -> dict[dt.date, MatchingRound]:
    rounds = MatchingRound.objects.select_for_update().filter(kind=kind, period__in=periods)
    return {r.period: r for r in rounds if r.status in LOCKED_STATUSES}


@transaction.atomic
def calendar_entry_set(
    *, kind: str, period: dt.date, subject_id: int, user: Actor, expected_version: int | None = None
) -> CalendarEntry:
    """Give a month to a chain (一月一链) or a quarter to a cluster (一季一群): the joint office.
    Refused once the period's round is matched; a stale ``expected_version`` of the period's entry
    raises ConflictError and writes nothing."""
    _check_user(user, permissions.can_manage_calendars(user=user))
    _check_kind(kind)
    if not isinstance(period, dt.date):
        raise ValidationError({"period": _("Enter a valid period.")})
    start = period_start(kind=kind, day=period)
    subject_model = Chain if kind == RoundKind.CHAIN_MONTH else Cluster
    if not subject_model.objects.filter(pk=subject_id).exists():
        message = _("Choose one of the chains.") if kind == RoundKind.CHAIN_MONTH else _("Choose one of the clusters.")
        raise ValidationError({"subject_id": message})
    if _locked_periods(kind=kind, periods=[start]):
        raise ValidationError(
            {
                "period": _("The round of %(period)s is already matched: its subject can no longer change.")
                % {"period": f"{start:%Y-%m}"}
            }
        )
    return _set_entry(kind=kind, period=start, subject_id=subject_id, expected_version=expected_version)


@transaction.atomic
def calendar_fill_round_robin(*, kind: str, year: int, user: Actor) -> list[CalendarEntry]:
    """Give every period of the year that is not locked its default round-robin subject (the
    rotation of ``calendars.calendar_generate_year``); locked periods keep theirs."""
    _check_user(user, permissions.can_manage_calendars(user=user))
    _check_kind(kind)
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    if kind == RoundKind.CHAIN_MONTH:
        subjects = list(Chain.objects.order_by("position", "code").values_list("pk", flat=True))
        per_year = 12
    else:
        subjects = list(Cluster.objects.order_by("position", "code").values_list("pk", flat=True))
        per_year = 4
    if not subjects:
        raise ValidationError({"kind": _("There is nothing to put on this calendar yet.")})
    periods = year_periods(kind=kind, year=year)
    locked = _locked_periods(kind=kind, periods=periods)
    offset = (year - CALENDAR_EPOCH_YEAR) * per_year
    for index, period in enumerate(periods):
        if period not in locked:
            _set_entry(kind=kind, period=period, subject_id=subjects[(offset + index) % len(subjects)])
    return list(
        CalendarEntry.objects.filter(kind=kind, period__in=periods)
        .select_related("chain", "cluster")
        .order_by("period")
    )
