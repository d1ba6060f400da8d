"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chainmap.core.models import RoleRowsQuerySet, TimeStampedModel


class TermQuerySet(RoleRowsQuerySet):
    """``visible_to``: every user with a role."""

    def covering(self, day: date) -> TermQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def in_effect(self, day: date) -> TermQuerySet:
        """Candidates for the term in effect on ``day``: the calendar's term for the day, and any later
        term the rotation job has already opened (``rotate_leadership --date`` run ahead of the calendar).
        Pick the latest start per chain with ``terms_in_effect``."""
        return self.filter(Q(starts_on__lte=day, ends_on__gte=day) | Q(opened_at__isnull=False, starts_on__gt=day))


def terms_in_effect(terms: Any) -> dict[int, Any]:
    """chain id → the term in effect, from an ``in_effect`` queryset (the latest start wins)."""
    chosen: dict[int, Any] = {}
    for term in terms:
        held = chosen.get(term.chain_id)
        if held is None or term.starts_on > held.starts_on:
            chosen[term.chain_id] = term
    return chosen


def default_rotation_order() -> str:
    return ",".join(settings.CHAINMAP["ROTATION_ORDER"])


def default_term_months() -> int:
    return int(settings.CHAINMAP["TERM_MONTHS"])


class RotationRule(TimeStampedModel):
    """How a chain's leadership rotates: region order, first term's start and term length."""

    chain = models.OneToOneField(
        "chainmap.Chain", on_delete=models.CASCADE, related_name="rotation_rule", verbose_name=_("chain")
    )
    order = models.CharField(
        _("region order"), max_length=20, default=default_rotation_order, help_text=_("e.g. BJ,TJ,HE")
    )
    first_term_starts_on = models.DateField(_("first term starts on"))
    term_months = models.PositiveSmallIntegerField(_("term length (months)"), default=default_term_months)

    class Meta:
        verbose_name = _("rotation rule")
        verbose_name_plural = _("rotation rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(term_months__gte=1, term_months__lte=24), name="chainmap_rotation_term_1_24"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain}: {self.order} / {self.term_months}"

    def region_codes(self) -> list[str]:
        return [code.strip() for code in self.order.split(",") if code.strip()]


class LeadershipTerm(TimeStampedModel):
    """One region's term leading one chain, from ``starts_on`` to ``ends_on`` inclusive.

    Terms of one chain never overlap: checked in services everywhere and by an exclusion
    constraint on PostgreSQL (migration 0002).
    """

    chain = models.ForeignKey("chainmap.Chain", on_delete=models.CASCADE, related_name="terms", verbose_name=_("chain"))
    region = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, related_name="terms", verbose_name=_("region")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # Moves with every change of region or dates (also a neighbour's move): the API's ETag.
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Claimed before the handover mail is sent so a re-run never sends twice.
    handover_claimed_at = models.DateTimeField(_("handover claimed at"), null=True, blank=True)
    handover_sent_at = models.DateTimeField(_("handover sent at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "handover_claimed_at", "handover_sent_at"])
    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "starts_on"]
        verbose_name = _("leadership term")
        verbose_name_plural = _("leadership terms")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="chainmap_term_ends_after_start"),
            models.UniqueConstraint(fields=["chain", "starts_on"], name="chainmap_term_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.chain} {self.region.code} {self.starts_on}–{self.ends_on}"
