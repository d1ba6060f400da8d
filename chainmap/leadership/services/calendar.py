"""Editing the leadership calendar (the joint office): move one term's dates or region, or replace the
future terms of a chain with a new rotation rule.

The calendar of a chain stays gapless and without overlaps. Moving a term's end moves the next
term's start to the following day; moving its start moves the previous term's end to the day
before, so the neighbour absorbs the difference. Refused, with the field named: a change that
would leave a neighbouring term empty, and any change to a day that has already passed (who led
yesterday is history: approvals were given under it).

Rows are written in an order that never overlaps two terms even for a moment, so the PostgreSQL
exclusion constraint (migration 0002) cannot fire; if it still does (a concurrent writer past the
chain lock), the caller gets a ValidationError, never an IntegrityError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor
from chainmap.core.history import record_reason
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.core.versions import version_check
from chainmap.leadership.services.rotation import add_months, leadership_generate_terms
from chainmap.models import Chain, LeadershipTerm, Region, RotationRule

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class TermInput(WriteInput):
    """One edit of a leadership term, in the service's names: what the term form (``TermForm.to_input``)
    and the API's serializer (``LeadershipTermUpdateSerializer.to_input``) both produce. A field left
    ``UNSET`` was not given and keeps its value."""

    RELATIONS = {"region": "region_id"}

    region_id: int = UNSET
    starts_on: dt.date = UNSET
    ends_on: dt.date = UNSET


@dataclass(frozen=True, kw_only=True)
class RuleInput(WriteInput):
    """A new rotation rule for a chain, in the service's names: what the regenerate form
    (``RegenerateForm.to_input``) and the API's serializer (``TermsRegenerateSerializer.to_input``)
    both produce. ``order`` is the region codes in rotation order."""

    starts_on: dt.date = UNSET
    order: tuple[str, ...] = UNSET
    term_months: int = UNSET


def _require(*, user: Actor, reason: str) -> str:
    if not permissions.can_manage_calendars(user=user):
        raise PermissionDenied(_("Only the joint office may edit the leadership calendar."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for this change.")})
    return reason


def _overlaps(a: tuple[dt.date, dt.date], b: tuple[dt.date, dt.date]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _save_without_overlap(
    planned: dict[int, tuple[dt.date, dt.date]], terms: dict[int, LeadershipTerm], *, user: Actor, reason: str
) -> None:
    """Write the new ranges one row at a time, each only once it overlaps no other row as stored."""
    stored = {pk: (term.starts_on, term.ends_on) for pk, term in terms.items()}
    pending = dict(planned)
    while pending:
        ready = next(
            (
                pk
                for pk, span in pending.items()
                if not any(_overlaps(span, other) for other_pk, other in stored.items() if other_pk != pk)
            ),
            None,
        )
        if ready is None:  # cannot happen for a validated plan; refuse rather than hit the constraint
            raise ValidationError({"starts_on": _("These dates would make two terms overlap.")})
        term = terms[ready]
        term.starts_on, term.ends_on = pending.pop(ready)
        stored[ready] = (term.starts_on, term.ends_on)
        term.version += 1
        record_reason(term, user=user, reason=reason)
        term.save()


@transaction.atomic
def term_update(
    *,
    term_id: int,
    user: Actor,
    reason: str,
    region_id: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    expected_version: int | None = None,
    changes: TermInput | Mapping[str, Any] | None = None,
) -> LeadershipTerm:
    """Change one term's region or dates (``changes``, a mapping read as ``TermInput.from_data``; or
    the keywords); its neighbours follow so the calendar stays gapless. Every term that changes (a
    neighbour too) moves its version; a stale ``expected_version`` of this term raises ConflictError
    and writes nothing."""
    if changes is not None:
        given = TermInput.of(changes)
        region_id = given.value("region_id", region_id)
        starts_on, ends_on = given.value("starts_on", starts_on), given.value("ends_on", ends_on)
    reason = _require(user=user, reason=reason)
    term = LeadershipTerm.objects.filter(pk=term_id).first()
    if term is None:
        raise ValidationError({"term": _("This term no longer exists.")})
    # The chain row serializes every calendar edit of the chain.
    Chain.objects.select_for_update().get(pk=term.chain_id)
    terms = {t.pk: t for t in LeadershipTerm.objects.select_for_update().filter(chain_id=term.chain_id)}
    term = terms[term_id]
    version_check(term, expected_version)
    ordered = sorted(terms.values(), key=lambda t: t.starts_on)
    index = ordered.index(term)
    previous = ordered[index - 1] if index > 0 else None
    following = ordered[index + 1] if index + 1 < len(ordered) else None
    today = timezone.localdate()

    new_start = starts_on or term.starts_on
    new_end = ends_on or term.ends_on
    errors: dict[str, str] = {}
    region = None
    if region_id is not None and region_id != term.region_id:
        region = Region.objects.filter(pk=region_id).first()
        if region is None:
            errors["region"] = _("Unknown region.")
        elif term.starts_on < today:
            errors["region"] = _("This term has already started: its region can no longer change.")
    if new_end < new_start:
        errors["ends_on"] = _("A term cannot end before it starts.")
    if new_start != term.starts_on:
        if min(new_start, term.starts_on) < today:
            errors["starts_on"] = _("Days before today are history: this start can no longer move.")
        elif previous is not None and new_start - ONE_DAY < previous.starts_on:
            errors["starts_on"] = _("This start would leave no day for the previous term (%(term)s).") % {
                "term": previous
            }
    if new_end != term.ends_on and "ends_on" not in errors:
        if min(new_end, term.ends_on) + ONE_DAY < today:
            errors["ends_on"] = _("Days before today are history: this end can no longer move.")
        elif following is not None and new_end + ONE_DAY > following.ends_on:
            errors["ends_on"] = _("This end would leave no day for the next term (%(term)s).") % {"term": following}
    if errors:
        raise ValidationError(errors)

    planned: dict[int, tuple[dt.date, dt.date]] = {}
    if (new_start, new_end) != (term.starts_on, term.ends_on):
        planned[term.pk] = (new_start, new_end)
    if previous is not None and new_start != term.starts_on:
        planned[previous.pk] = (previous.starts_on, new_start - ONE_DAY)
    if following is not None and new_end != term.ends_on:
        planned[following.pk] = (new_end + ONE_DAY, following.ends_on)
    try:
        with transaction.atomic():
            if region is not None:
                term.region = region  # saved with its new dates, or alone below
            _save_without_overlap(planned, terms, user=user, reason=reason)
            if region is not None and term.pk not in planned:
                term.version += 1
                record_reason(term, user=user, reason=reason)
                term.save()
    except IntegrityError as exc:
        raise ValidationError({"starts_on": _("These dates would make two terms overlap.")}) from exc
    return term


@transaction.atomic
def terms_regenerate(
    *,
    chain_id: int,
    user: Actor,
    reason: str,
    data: RuleInput,
) -> list[LeadershipTerm]:
    """Replace the chain's terms from ``starts_on`` on with a new rule; earlier terms stay as they are.

    The term running on ``starts_on`` ends the day before; terms starting on or after it are
    deleted (each deletion recorded with the reason) and new ones generated at least one full
    rotation ahead, as far as the old calendar reached. The chain's RotationRule takes the new order,
    length and first day. Returns the chain's terms from ``starts_on`` on.
    """
    reason = _require(user=user, reason=reason)
    given = data.given()
    missing = [name for name in RuleInput.field_names() if name not in given]
    if missing:
        raise ValidationError({name: _("This field is required.") for name in missing})
    starts_on, term_months = data.starts_on, data.term_months
    codes = [code.strip().upper() for code in data.order if code.strip()]
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if starts_on < today:
        errors["starts_on"] = _("Days before today are history: start the new rule today or later.")
    if not codes:
        errors["order"] = _("The rotation order names no region.")
    elif len(set(codes)) != len(codes):
        errors["order"] = _("Name each region once.")
    else:
        known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            errors["order"] = _("Unknown region code(s): %(codes)s.") % {"codes": ", ".join(unknown)}
    if not 1 <= int(term_months) <= 24:
        errors["term_months"] = _("A term lasts from 1 to 24 months.")
    if errors:
        raise ValidationError(errors)

    chain = Chain.objects.select_for_update().get(pk=chain_id)
    terms = list(LeadershipTerm.objects.select_for_update().filter(chain=chain).order_by("starts_on"))
    horizon = max([t.ends_on for t in terms], default=starts_on)
    if terms and starts_on > horizon + ONE_DAY:
        raise ValidationError(
            {
                "starts_on": _("The calendar ends on %(day)s: start the new rule on %(next)s at the latest.")
                % {"day": horizon, "next": horizon + ONE_DAY}
            }
        )
    for term in terms:
        if term.starts_on >= starts_on:
            record_reason(term, user=user, reason=reason)
            term.delete()
    running = next((t for t in terms if t.starts_on < starts_on <= t.ends_on), None)
    if running is not None:
        running.ends_on = starts_on - ONE_DAY
        running.version += 1
        record_reason(running, user=user, reason=reason)
        running.save()

    RotationRule.objects.update_or_create(
        chain=chain,
        defaults={"order": ",".join(codes), "term_months": int(term_months), "first_term_starts_on": starts_on},
    )
    one_rotation = add_months(starts_on, int(term_months) * len(codes)) - ONE_DAY
    created = leadership_generate_terms(
        chain_id=chain.pk, starts_on=starts_on, until=max(horizon, one_rotation), order=codes, term_months=term_months
    )
    # The generator records its generic reason; this change was the joint office's, with its reason.
    LeadershipTerm.history.filter(id__in=[t.pk for t in created], history_type="+").update(
        history_change_reason=reason, history_user=user
    )
    return created
