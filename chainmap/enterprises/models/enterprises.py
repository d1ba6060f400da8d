"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chainmap.core.models import EnterpriseRowsQuerySet, TimeStampedModel
from chainmap.core.validators import validate_credit_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EnterpriseQuerySet(EnterpriseRowsQuerySet):
    """``visible_to``: officials see every enterprise; an enterprise member only their own."""

    enterprise_field = "pk"

    def with_qualification(self, field: str) -> EnterpriseQuerySet:

        if field not in QUALIFICATIONS:
            raise ValueError(f"unknown qualification {field!r}")
        return self.filter(**{field: True})

    def on_chain(self, chain_id: int) -> EnterpriseQuerySet:
        return self.filter(
            exists_placement(Q(node__chain_id=chain_id)),
        )

    def on_node(self, node_id: int) -> EnterpriseQuerySet:
        return self.filter(exists_placement(Q(node_id=node_id)))


def exists_placement(condition: Q) -> models.Exists:

    return models.Exists(
        Placement.objects.filter(condition, enterprise=models.OuterRef("pk")).exclude(status=Placement.Status.REJECTED)
    )


class PlacementQuerySet(EnterpriseRowsQuerySet):
    """``visible_to``: officials see every placement; an enterprise member their own enterprise's."""

    def confirmed(self) -> PlacementQuerySet:
        return self.filter(status="confirmed")


# Field name → label of the qualifications officials filter on.
QUALIFICATIONS: dict[str, StrOrPromise] = {
    "is_high_tech": _("High-tech enterprise"),
    "is_tech_sme": _("Technology-based SME"),
    "is_specialized": _("Specialized and sophisticated SME"),
    "is_little_giant": _("Little giant"),
    "is_single_champion": _("Manufacturing single champion"),
    "is_listed": _("Listed company"),
}


class Enterprise(TimeStampedModel):
    """A company identified by its unified social credit code, based in one region."""

    class Size(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("region")
    )
    subregion = models.ForeignKey(
        "chainmap.SubRegion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("sub-region"),
    )
    size = models.CharField(_("size"), max_length=8, choices=Size.choices, default=Size.SMALL)
    is_high_tech = models.BooleanField(QUALIFICATIONS["is_high_tech"], default=False)
    is_tech_sme = models.BooleanField(QUALIFICATIONS["is_tech_sme"], default=False)
    is_specialized = models.BooleanField(QUALIFICATIONS["is_specialized"], default=False)
    is_little_giant = models.BooleanField(QUALIFICATIONS["is_little_giant"], default=False)
    is_single_champion = models.BooleanField(QUALIFICATIONS["is_single_champion"], default=False)
    is_listed = models.BooleanField(QUALIFICATIONS["is_listed"], default=False)
    founded_year = models.PositiveSmallIntegerField(_("founded"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    website = models.URLField(_("website"), blank=True)
    # Contact details are private: shown to the enterprise, its region's officials and the joint office.
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_synthetic = models.BooleanField(_("sample data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    objects = EnterpriseQuerySet.as_manager()

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Enterprise:
        instance = super().from_db(db, field_names, values)
        # The region as loaded: a save that moves the enterprise to another region changes its
        # chains' per-region counts (``chainmap.maps.signals.enterprise_region_changed``).
        instance._loaded_region_id = instance.__dict__.get("region_id")  # type: ignore[attr-defined]
        return instance

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("credit_code"), 18), name="chainmap_enterprise_credit_code_len"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "name"], name="chainmap_ent_region_name"),
            models.Index(fields=["name"], name="chainmap_ent_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def qualification_labels(self) -> list[str]:
        return [str(label) for field, label in QUALIFICATIONS.items() if getattr(self, field)]


class PlacementRole(models.TextChoices):
    PRODUCT = "product", _("Product")
    TECHNOLOGY = "technology", _("Technology")
    CAPACITY = "capacity", _("Capacity")


class PlacementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class Placement(TimeStampedModel):
    """An enterprise placed on a chain node, as product maker, technology holder or capacity."""

    Role = PlacementRole

    Status = PlacementStatus

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="placements", verbose_name=_("enterprise")
    )
    node = models.ForeignKey(
        "chainmap.Node", on_delete=models.PROTECT, related_name="placements", verbose_name=_("node")
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PRODUCT)
    evidence = models.TextField(_("evidence"), blank=True, max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.CharField(_("review comment"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["node", "enterprise"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "node", "role"], name="chainmap_placement_unique"),
            models.CheckConstraint(
                condition=Q(status__in=PlacementStatus.values), name="chainmap_placement_status_valid"
            ),
            models.CheckConstraint(condition=Q(role__in=PlacementRole.values), name="chainmap_placement_role_valid"),
        ]
        # Covers the enterprise too: matching reads a chain's placements from the index alone.
        indexes = [
            models.Index(fields=["node", "status"], include=["enterprise"], name="chainmap_placement_node_st"),
            # The review queue ("my to-do"): only the few proposed rows, oldest first.
            models.Index(
                fields=["created_at"], condition=Q(status=PlacementStatus.PROPOSED), name="chainmap_placement_queue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.node_id} ({self.role})"
