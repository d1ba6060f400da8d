"""The rotating chain-leader system (轮值"链长制"): generating terms from a rotation rule, and who leads on a day.

Terms of one chain are consecutive and never overlap: each ends (inclusive) the day before the
next one starts. On PostgreSQL an exclusion constraint enforces the same; here the check also
covers SQLite and gives a readable message instead of an IntegrityError.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainmap.accounts.models import Role
from chainmap.bottlenecks.models import OPEN_BOTTLENECK_STATUSES
from chainmap.core import jobs
from chainmap.core.history import record_reason
from chainmap.maps.services.proposals import proposals_reroute
from chainmap.models import (
    Bottleneck,
    Chain,
    ChangeProposal,
    LeadershipTerm,
    MatchingRound,
    Membership,
    Region,
    RotationRule,
)

SEND_HANDOVER = "chainmap.tasks_leadership.send_handover"  # the job (chainmap.leadership.tasks)

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
            record_reason(term, user=None, reason=GENERATED_REASON)
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


# --- rotation -----------------------------------------------------------------------------------

# A term opened by the daily job mails its handover; one found open this late (the job was down, or
# the calendar was loaded after the fact) is opened silently instead of announcing an old handover.
HANDOVER_MAIL_WITHIN_DAYS = 7
ROTATION_REASON = "轮值交接"


def _stamp(term: LeadershipTerm, *, field: str, reason: str) -> None:
    setattr(term, field, timezone.now())
    term.version += 1  # the term as the API shows it changed: its ETag moves
    record_reason(term, user=None, reason=reason)
    term.save(update_fields=[field, "version", "updated_at"])


@transaction.atomic
def leadership_rotate(*, chain_id: int, today: date) -> LeadershipTerm | None:
    """Close the chain's ended terms and open the term of ``today``: approval rights move to its region,
    open proposals are re-routed there and the handover mail is queued. Safe to run any number of times.

    A ``today`` later than the real date opens that later term ahead of the calendar (the rotation
    command's ``--date``): permissions follow the opened term from then on.
    """

    chain = Chain.objects.select_for_update().get(pk=chain_id)
    for ended in chain.terms.filter(ends_on__lt=today, closed_at__isnull=True):
        _stamp(ended, field="closed_at", reason=ROTATION_REASON)
    current = chain.terms.covering(today).select_related("region").first()
    if current is None:
        last = chain.terms.order_by("-ends_on").first()
        if last is None and not RotationRule.objects.filter(chain=chain).exists():
            return None
        starts_on = last.ends_on + timedelta(days=1) if last is not None else today
        if starts_on <= today:
            leadership_generate_terms(chain_id=chain.pk, starts_on=starts_on, until=today)
        current = chain.terms.covering(today).select_related("region").first()
        if current is None:
            return None
    # Terms after today opened by an earlier run ahead of the calendar stay opened; nothing to undo.
    if current.opened_at is None:
        _stamp(current, field="opened_at", reason=ROTATION_REASON)
        proposals_reroute(chain_id=chain.pk, to_region_id=current.region_id)
        if (today - current.starts_on).days <= HANDOVER_MAIL_WITHIN_DAYS:
            jobs.send_on_commit(SEND_HANDOVER, term_id=current.pk)
        else:
            LeadershipTerm.objects.filter(pk=current.pk).update(handover_claimed_at=timezone.now())
    return current


def leadership_rotate_all(*, today: date) -> list[LeadershipTerm]:
    """Rotate every chain (each in its own transaction); returns the terms in effect."""
    terms = []
    for chain_id in Chain.objects.order_by("position", "code").values_list("pk", flat=True):
        term = leadership_rotate(chain_id=chain_id, today=today)
        if term is not None:
            terms.append(term)
    return terms


# --- handover mail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handover:
    term: LeadershipTerm
    previous: LeadershipTerm | None
    proposals: list[Any]
    bottlenecks: list[Any]
    round: Any | None
    recipients: list[str]


def handover_summary(*, term_id: int) -> Handover:
    """What the incoming region takes over: open proposals, published bottlenecks, the current round."""

    term = LeadershipTerm.objects.select_related("chain", "region").get(pk=term_id)
    previous = (
        LeadershipTerm.objects.filter(chain_id=term.chain_id, ends_on__lt=term.starts_on)
        .select_related("region")
        .order_by("-ends_on")
        .first()
    )
    region_ids = {term.region_id} | ({previous.region_id} if previous else set())
    recipients = sorted(
        set(
            Membership.objects.filter(role=Role.REGION_OFFICIAL, region_id__in=region_ids, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    proposals = list(
        ChangeProposal.objects.open().filter(chain_id=term.chain_id).select_related("author", "author_region")
    )
    bottlenecks = list(
        Bottleneck.objects.filter(chain_id=term.chain_id, status__in=OPEN_BOTTLENECK_STATUSES)
        .exclude(status="collected")
        .order_by("code")
    )
    current_round = (
        MatchingRound.objects.filter(chain_id=term.chain_id, period__lte=term.starts_on)
        .exclude(status="closed")
        .order_by("-period")
        .first()
    )
    return Handover(
        term=term,
        previous=previous,
        proposals=proposals,
        bottlenecks=bottlenecks,
        round=current_round,
        recipients=recipients,
    )


def handover_notify(*, term_id: int) -> bool:
    """Mail the handover of a term to both regions' officials, once.

    The term row is claimed with a conditional UPDATE before sending: a second run (or a redelivered
    task) finds it claimed and sends nothing. A failed send releases the claim so a retry can send.
    """
    claimed = LeadershipTerm.objects.filter(pk=term_id, handover_claimed_at__isnull=True).update(
        handover_claimed_at=timezone.now()
    )
    if not claimed:
        return False
    try:
        summary = handover_summary(term_id=term_id)
        if summary.recipients:
            context = {"h": summary, "site_url": settings.CHAINMAP.get("SITE_URL", "")}
            with translation.override(settings.LANGUAGE_CODE):
                subject = render_to_string("emails/handover-subject.txt", context).strip()
                text_body = render_to_string("emails/handover-body.txt", context)
                html_body = render_to_string("emails/handover-body.html", context)
            message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text_body, to=summary.recipients)
            message.attach_alternative(html_body, "text/html")
            message.send()
    except Exception:
        LeadershipTerm.objects.filter(pk=term_id).update(handover_claimed_at=None)
        raise
    LeadershipTerm.objects.filter(pk=term_id).update(handover_sent_at=timezone.now())
    return True
