"""The rotating chain-leader system (轮值"链长制"): generating terms from a rotation rule, and who leads on a day.

Terms of one chain are consecutive and never overlap: each ends (inclusive) the day before the
next one starts. On PostgreSQL an exclusion constraint enforces the same; here the check also
covers SQLite and gives a readable message instead of an IntegrityError.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chainmap.models import Chain, LeadershipTerm, Region, RotationRule

# Stored as the history reason of every generated term.
GENERATED_REASON = "按轮值规则生成任期"


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month (Jan 31 + 1 → Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


@transaction.atomic
def leadership_generate_terms(
    *,
    chain_id: int,
    starts_on: date,
    until: date,
    order: list[str] | None = None,
    term_months: int | None = None,
) -> list[LeadershipTerm]:
    """Create the chain's consecutive leadership terms from ``starts_on`` until a term starts after ``until``.

    The region order and term length come from ``order`` / ``term_months`` when given, else from
    the chain's RotationRule, else from settings.CHAINMAP. Each term ends the day before the next
    starts. When the rule supplies the order and ``starts_on`` lies after the rule's first term,
    the rotation continues where the rule's calendar is on that day rather than restarting.

    Idempotent: a term that already starts on a computed day is kept as it is (get-or-create by
    chain and start) and the sequence continues after its end. A new term that would overlap an
    existing one raises ValidationError. Returns the terms in order, existing and new.
    """
    chain = Chain.objects.select_for_update().get(pk=chain_id)
    rule = RotationRule.objects.filter(chain=chain).first()
    if order is not None:
        codes = list(order)
    elif rule is not None:
        codes = rule.region_codes()
    else:
        codes = list(settings.CHAINMAP["ROTATION_ORDER"])
    months = term_months or (rule.term_months if rule is not None else int(settings.CHAINMAP["TERM_MONTHS"]))
    if not codes:
        raise ValidationError({"order": _("The rotation order names no region.")})
    if not 1 <= months <= 24:
        raise ValidationError({"term_months": _("A term lasts from 1 to 24 months.")})
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in regions]
    if unknown:
        raise ValidationError({"order": _("Unknown region code(s): %(codes)s.") % {"codes": ", ".join(unknown)}})
    if until < starts_on:
        return []

    offset = 0
    if order is None and rule is not None and starts_on > rule.first_term_starts_on:
        offset = _months_between(rule.first_term_starts_on, starts_on) // months

    existing = {term.starts_on: term for term in chain.terms.select_related("region")}
    terms: list[LeadershipTerm] = []
    start, position = starts_on, offset
    while start <= until:
        term = existing.get(start)
        if term is None:
            ends_on = add_months(start, months) - timedelta(days=1)
            clash = next((t for t in existing.values() if t.starts_on <= ends_on and t.ends_on >= start), None)
            if clash is not None:
                raise ValidationError(
                    _("The term %(start)s–%(end)s would overlap the existing term %(other)s.")
                    % {"start": start, "end": ends_on, "other": clash}
                )
            term = LeadershipTerm(
                chain=chain, region=regions[codes[position % len(codes)]], starts_on=start, ends_on=ends_on
            )
            term._change_reason = GENERATED_REASON  # type: ignore[attr-defined]  # read by simple_history
            term.save()
            existing[start] = term
        terms.append(term)
        start = term.ends_on + timedelta(days=1)
        position += 1
    return terms


def current_term(*, chain_id: int, on: date) -> LeadershipTerm | None:
    """The chain's term covering ``on`` (its region leads the chain that day), or None between terms."""
    return (
        LeadershipTerm.objects.filter(chain_id=chain_id, starts_on__lte=on, ends_on__gte=on)
        .select_related("region", "chain")
        .order_by("starts_on")
        .first()
    )
