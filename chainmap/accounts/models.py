from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainmap.core.models import TimeStampedModel


class Role(models.TextChoices):
    JOINT_OFFICE = "joint_office", _("Joint-office official")
    REGION_OFFICIAL = "region_official", _("Region official")
    ENTERPRISE_MEMBER = "enterprise_member", _("Enterprise member")
    SUBSCRIBER = "subscriber", _("Report subscriber")


class LiaisonLevel(models.TextChoices):
    """The "3+3+3" liaison: head, deputy in charge, responsible division."""

    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy in charge")
    DIVISION = "division", _("Responsible division")


class Membership(TimeStampedModel):
    """What a user is in chainmap: their role and the region or enterprise it is tied to.

    Chain leadership is never stored here: it is derived from the leadership calendar on the day.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "chainmap.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("region"),
    )
    enterprise = models.ForeignKey(
        "chainmap.Enterprise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("enterprise"),
    )
    liaison_level = models.CharField(_("liaison level"), max_length=10, choices=LiaisonLevel.choices, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.REGION_OFFICIAL) | Q(region__isnull=False),
                name="chainmap_membership_official_has_region",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.ENTERPRISE_MEMBER) | Q(enterprise__isnull=False),
                name="chainmap_membership_member_has_enterprise",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.ENTERPRISE_MEMBER) | Q(enterprise__isnull=True),
                name="chainmap_membership_enterprise_only_for_members",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="chainmap_membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
