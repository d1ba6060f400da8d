"""The base models (choice labels, timestamps) and the three regions with their sub-regions."""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Self

from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from chainmap.core import roles
from chainmap.core.actors import Actor


@cache
def _labels(field: models.Field) -> dict[Any, Any]:
    """A choice field's value → (lazy) label. Built once per field; the labels stay lazy, so each
    lookup is still in the active language."""
    return dict(field.flatchoices)


class RoleRowsQuerySet(models.QuerySet):
    """Rows every user with a role sees (the chain maps, clusters, terms, projects); anyone else none."""

    def visible_to(self, user: Actor) -> Self:
        return self if roles.role_of(user) is not None else self.none()


class EnterpriseRowsQuerySet(models.QuerySet):
    """Rows that belong to one enterprise: officials see them all, an enterprise's members only
    their own enterprise's, anyone else none. ``enterprise_field`` names the enterprise's id."""

    enterprise_field: ClassVar[str] = "enterprise_id"

    def visible_to(self, user: Actor) -> Self:
        if roles.is_official(user):
            return self
        enterprise_id = roles.member_enterprise_id(user)
        if enterprise_id is not None:
            return self.filter(**{self.enterprise_field: enterprise_id})
        return self.none()


class ChoiceLabelsModel(models.Model):
    """``get_FOO_display`` in one dict lookup. Django's rebuilds a dict of every choice on each call,
    hashing each lazy label, which translates it: a page of badges paid for that hundreds of times."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's way
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)


class TimeStampedModel(ChoiceLabelsModel):
    """Abstract base: when a row was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class RegionCode(models.TextChoices):
    BJ = "BJ", _("Beijing")
    TJ = "TJ", _("Tianjin")
    HE = "HE", _("Hebei")


class Stage(models.TextChoices):
    RESEARCH = "research", _("Original innovation (0 → 1)")
    CONVERSION = "conversion", _("R&D conversion (1 → 10)")
    SCALE = "scale", _("Application and scale-up (10 → N)")


# Position of each stage in the research → conversion → scale-up flow (matching uses it).
STAGE_ORDER = {Stage.RESEARCH: 0, Stage.CONVERSION: 1, Stage.SCALE: 2}


class Region(ChoiceLabelsModel):
    """One of the three regions (BJ / TJ / HE) and its role in the division of labour."""

    code = models.CharField(_("code"), max_length=2, unique=True, choices=RegionCode.choices)
    name = models.CharField(_("name"), max_length=20, unique=True)
    name_en = models.CharField(_("English name"), max_length=40)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, unique=True)
    role = models.CharField(_("role"), max_length=200, help_text=_("Its part in the division of labour."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class SubRegion(ChoiceLabelsModel):
    """A city, district, new area or park inside a region (雄安新区, 滨海新区, 中关村 ...)."""

    class Kind(models.TextChoices):
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        NEW_AREA = "new_area", _("new area")
        PARK = "park", _("park")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="subregions", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CITY)

    class Meta:
        ordering = ["region__position", "name"]
        verbose_name = _("sub-region")
        verbose_name_plural = _("sub-regions")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="chainmap_subregion_unique_name")]

    def __str__(self) -> str:
        return f"{self.region.name}·{self.name}"
