from django.db import models
from django.utils.translation import gettext_lazy as _

from chainmap.models.base import ChoiceLabelsModel


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
