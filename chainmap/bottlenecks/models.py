"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.models import TimeStampedModel


class BottleneckQuerySet(models.QuerySet):
    def visible_to(self, user: Actor) -> BottleneckQuerySet:
        """Officials see all; others see bottlenecks once published (collected ones are internal)."""
        if roles.is_official(user):
            return self
        if roles.role_of(user) is not None:
            return self.exclude(status="collected")
        return self.none()

    def open(self) -> BottleneckQuerySet:

        return self.filter(status__in=OPEN_BOTTLENECK_STATUSES)


class Mechanism(models.TextChoices):
    JIEBANG = "jiebang", _("Open call (揭榜挂帅)")
    SAIMA = "saima", _("Horse race (赛马制)")
    ENTERPRISE_RD = "enterprise_rd", _("Enterprise R&D")
    JOINT_PROJECT = "joint_project", _("Joint project")


class BottleneckStatus(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    PUBLISHED = "published", _("Published")
    TAKEN = "taken", _("Taken")
    IN_PROGRESS = "in_progress", _("In progress")
    BREAKTHROUGH = "breakthrough", _("Breakthrough")
    ACCEPTED = "accepted", _("Accepted")


# Not yet broken through: what the diagrams mark and matching targets.
OPEN_BOTTLENECK_STATUSES = (
    BottleneckStatus.COLLECTED,
    BottleneckStatus.PUBLISHED,
    BottleneckStatus.TAKEN,
    BottleneckStatus.IN_PROGRESS,
)
# Someone is attacking it ("full coverage" counts these).
COVERED_BOTTLENECK_STATUSES = (
    BottleneckStatus.TAKEN,
    BottleneckStatus.IN_PROGRESS,
    BottleneckStatus.BREAKTHROUGH,
    BottleneckStatus.ACCEPTED,
)


class Bottleneck(TimeStampedModel):
    """A chain bottleneck technology (卡点) and how it is being attacked."""

    class Severity(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        CRITICAL = 4, _("Critical (卡脖子)")

    chain = models.ForeignKey(
        "chainmap.Chain", on_delete=models.PROTECT, related_name="bottlenecks", verbose_name=_("chain")
    )
    nodes = models.ManyToManyField("chainmap.Node", related_name="bottlenecks", blank=True, verbose_name=_("nodes"))
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    raised_by = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, related_name="bottlenecks", verbose_name=_("raised by")
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.HIGH)
    mechanism = models.CharField(_("mechanism"), max_length=16, choices=Mechanism.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=BottleneckStatus.choices, default=BottleneckStatus.COLLECTED
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    tokens = models.JSONField(_("tokens"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "tokens"], m2m_fields=[nodes])
    objects = BottleneckQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "code"]
        verbose_name = _("bottleneck")
        verbose_name_plural = _("bottlenecks")
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="chainmap_bottleneck_severity"),
            models.CheckConstraint(
                condition=Q(status__in=BottleneckStatus.values), name="chainmap_bottleneck_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(mechanism__in=[*Mechanism.values, ""]), name="chainmap_bottleneck_mechanism_valid"
            ),
            # Taken or later means someone attacks it, so the mechanism must be known.
            models.CheckConstraint(
                condition=Q(status__in=[BottleneckStatus.COLLECTED, BottleneckStatus.PUBLISHED]) | ~Q(mechanism=""),
                name="chainmap_bottleneck_taken_has_mechanism",
            ),
        ]
        indexes = [models.Index(fields=["chain", "status"], name="chainmap_bottleneck_chain_st")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
