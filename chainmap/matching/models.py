from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.models import TimeStampedModel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class MatchToken(models.Model):
    """One distinct matching token. Candidates store their tokens as ids of these rows
    (``token_codes``), so loading 300,000 profiles for a round reads packed integers, not JSON text."""

    text = models.TextField(_("text"), unique=True)

    class Meta:
        db_table = "chainmap_term"  # the table keeps the name it was created with
        verbose_name = _("matching token")
        verbose_name_plural = _("matching tokens")

    def __str__(self) -> str:
        return self.text


class RoundKind(models.TextChoices):
    CHAIN_MONTH = "chain_month", _("Chain of the month (一月一链)")
    CLUSTER_QUARTER = "cluster_quarter", _("Cluster of the quarter (一季一群)")


_CHAIN_ONLY = Q(kind=RoundKind.CHAIN_MONTH, chain__isnull=False, cluster__isnull=True)
_CLUSTER_ONLY = Q(kind=RoundKind.CLUSTER_QUARTER, cluster__isnull=False, chain__isnull=True)


class CalendarEntry(TimeStampedModel):
    """Which chain a month (or which cluster a quarter) is given to. ``period`` is the period's first day."""

    kind = models.CharField(_("kind"), max_length=16, choices=RoundKind.choices)
    period = models.DateField(_("period"))
    chain = models.ForeignKey(
        "chainmap.Chain", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("chain")
    )
    cluster = models.ForeignKey(
        "chainmap.Cluster", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("cluster")
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["kind", "period"]
        verbose_name = _("calendar entry")
        verbose_name_plural = _("calendar entries")
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="chainmap_calendar_one_per_period"),
            models.CheckConstraint(
                condition=_CHAIN_ONLY | _CLUSTER_ONLY, name="chainmap_calendar_subject_matches_kind"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="chainmap_calendar_period_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.chain or self.cluster}"


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open")
    MATCHED = "matched", _("Matched")
    HELD = "held", _("Held")
    CLOSED = "closed", _("Closed")


class MatchingRoundQuerySet(models.QuerySet):
    def visible_to(self, user: Actor) -> MatchingRoundQuerySet:
        """Rounds, their matches and reports: officials and report subscribers
        (``permissions.can_view_reports``)."""
        return self if roles.is_official(user) or roles.role_of(user) == roles.SUBSCRIBER else self.none()


class MatchingRound(TimeStampedModel):
    """One supply–demand matching round (对接) for a period's chain or cluster."""

    kind = models.CharField(_("kind"), max_length=16, choices=RoundKind.choices)
    period = models.DateField(_("period"))
    chain = models.ForeignKey(
        "chainmap.Chain",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("chain"),
    )
    cluster = models.ForeignKey(
        "chainmap.Cluster",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name=_("cluster"),
    )
    status = models.CharField(_("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.PLANNED)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Claimed by the worker that matches the round, so two never run it at once.
    matching_since = models.DateTimeField(null=True, blank=True)

    objects = MatchingRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "kind"]
        verbose_name = _("matching round")
        verbose_name_plural = _("matching rounds")
        constraints = [
            models.UniqueConstraint(fields=["kind", "period"], name="chainmap_round_one_per_period"),
            models.CheckConstraint(condition=_CHAIN_ONLY | _CLUSTER_ONLY, name="chainmap_round_subject_matches_kind"),
            models.CheckConstraint(condition=Q(status__in=RoundStatus.values), name="chainmap_round_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.chain or self.cluster}"


class Outcome(models.TextChoices):
    NONE = "", _("Not yet followed up")
    CONTACTED = "contacted", _("Contacted")
    MET = "met", _("Met at the matching meeting")
    SIGNED = "signed", _("Agreement signed")
    NO_CONTACT = "no_contact", _("No further contact")


class Match(TimeStampedModel):
    """A ranked candidate (approved profile, optionally one of its offers) for a bottleneck or a need."""

    round = models.ForeignKey(MatchingRound, on_delete=models.CASCADE, related_name="matches", verbose_name=_("round"))
    bottleneck = models.ForeignKey(
        "chainmap.Bottleneck", on_delete=models.CASCADE, null=True, blank=True, related_name="matches"
    )
    need = models.ForeignKey(
        "chainmap.TechnologyNeed", on_delete=models.CASCADE, null=True, blank=True, related_name="matches"
    )
    profile = models.ForeignKey("chainmap.CapabilityProfile", on_delete=models.CASCADE, related_name="matches")
    offer = models.ForeignKey(
        "chainmap.SupplyOffer", on_delete=models.SET_NULL, null=True, blank=True, related_name="matches"
    )
    enterprise = models.ForeignKey("chainmap.Enterprise", on_delete=models.CASCADE, related_name="matches")
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    components = models.JSONField(_("score components"), default=dict)
    matched_terms = models.JSONField(_("matched terms"), default=list)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, default=Outcome.NONE)
    outcome_note = models.CharField(_("outcome note"), max_length=1000, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)

    if TYPE_CHECKING:
        # Never stored: set by chainmap.matching.selectors on the rows the round page shows.
        why: list[tuple[StrOrPromise, str]]  # (component label, its score as shown)
        score_display: str
        can_record: bool  # whether the viewer may record the match's outcome

    class Meta:
        ordering = ["round", "bottleneck", "need", "rank"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.CheckConstraint(
                condition=Q(bottleneck__isnull=False, need__isnull=True)
                | Q(bottleneck__isnull=True, need__isnull=False),
                name="chainmap_match_one_target",
            ),
            models.UniqueConstraint(
                fields=["round", "bottleneck", "rank"],
                condition=Q(bottleneck__isnull=False),
                name="chainmap_match_bottleneck_rank",
            ),
            models.UniqueConstraint(
                fields=["round", "need", "rank"], condition=Q(need__isnull=False), name="chainmap_match_need_rank"
            ),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="chainmap_match_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} #{self.rank} {self.enterprise_id}"
