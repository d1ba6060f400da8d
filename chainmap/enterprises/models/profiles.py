"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.models import TimeStampedModel


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user: Actor) -> ProfileQuerySet:
        """Joint office: all. Region officials: every version in their region, approved ones elsewhere.
        Enterprise members: their own enterprise's versions only."""
        if roles.is_joint_office(user):
            return self
        region_id = roles.official_region_id(user)
        if region_id is not None:
            return self.filter(Q(enterprise__region_id=region_id) | Q(status="approved"))
        enterprise_id = roles.member_enterprise_id(user)
        if enterprise_id is not None:
            return self.filter(enterprise_id=enterprise_id)
        return self.none()

    def approved(self) -> ProfileQuerySet:
        return self.filter(status="approved")


class ProfileStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


# The one version an enterprise is working on (at most one at a time).
WORKING_STATUSES = (ProfileStatus.DRAFT, ProfileStatus.SUBMITTED, ProfileStatus.RETURNED)


class CapabilityProfile(TimeStampedModel):
    """One version of an enterprise's capability profile. Only the approved version is used by matching.

    Versions are never edited after approval: a new working version is made from the approved one,
    and approving it supersedes the old.
    """

    enterprise = models.ForeignKey(
        "chainmap.Enterprise", on_delete=models.CASCADE, related_name="profiles", verbose_name=_("enterprise")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=ProfileStatus.choices, default=ProfileStatus.DRAFT)
    products = models.TextField(_("products"), blank=True, max_length=4000)
    core_technologies = models.TextField(_("core technologies"), blank=True, max_length=4000)
    capacity = models.TextField(_("capacity"), blank=True, max_length=2000)
    trl = models.PositiveSmallIntegerField(_("technology readiness level"), default=1)
    certifications = models.TextField(_("certifications"), blank=True, max_length=2000)
    # Tokens of the text fields, stored at save time so matching never re-tokenizes.
    tokens = models.JSONField(_("tokens"), default=list, blank=True)
    # The same tokens as ids of ``MatchToken`` (packed int32, ascending): what matching loads. NULL: not yet
    # encoded (matching then falls back to ``tokens``).
    token_codes = models.BinaryField(_("token codes"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.CharField(_("review comment"), max_length=1000, blank=True)
    edit_version = models.PositiveIntegerField(_("edit version"), default=1)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-version"]
        verbose_name = _("capability profile")
        verbose_name_plural = _("capability profiles")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "version"], name="chainmap_profile_unique_version"),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status=ProfileStatus.APPROVED),
                name="chainmap_profile_one_approved",
            ),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status__in=WORKING_STATUSES),
                name="chainmap_profile_one_working",
            ),
            models.CheckConstraint(condition=Q(trl__gte=1, trl__lte=9), name="chainmap_profile_trl_1_9"),
            models.CheckConstraint(condition=Q(status__in=ProfileStatus.values), name="chainmap_profile_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "enterprise"], name="chainmap_profile_status_ent"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} v{self.version} ({self.status})"


class SupplyOffer(TimeStampedModel):
    """Something an enterprise can supply (a product, a result, capacity), tied to a chain node."""

    profile = models.ForeignKey(
        CapabilityProfile, on_delete=models.CASCADE, related_name="offers", verbose_name=_("profile")
    )
    node = models.ForeignKey("chainmap.Node", on_delete=models.PROTECT, related_name="offers", verbose_name=_("node"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    trl = models.PositiveSmallIntegerField(_("technology readiness level"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    tokens = models.JSONField(_("tokens"), default=list, blank=True)
    token_codes = models.BinaryField(_("token codes"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["profile", "id"]
        verbose_name = _("supply offer")
        verbose_name_plural = _("supply offers")
        constraints = [
            models.CheckConstraint(
                condition=Q(trl__isnull=True) | Q(trl__gte=1, trl__lte=9), name="chainmap_offer_trl_1_9"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TechnologyNeed(TimeStampedModel):
    """A technology an enterprise needs (技术需求), tied to a chain node."""

    Status = NeedStatus

    profile = models.ForeignKey(
        CapabilityProfile, on_delete=models.CASCADE, related_name="needs", verbose_name=_("profile")
    )
    node = models.ForeignKey("chainmap.Node", on_delete=models.PROTECT, related_name="needs", verbose_name=_("node"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    is_bottleneck = models.BooleanField(_("卡脖子 / common key technology"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    version = models.PositiveIntegerField(_("version"), default=1)
    tokens = models.JSONField(_("tokens"), default=list, blank=True)

    class Meta:
        ordering = ["profile", "id"]
        verbose_name = _("technology need")
        verbose_name_plural = _("technology needs")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NeedStatus.values), name="chainmap_need_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title
