"""Joint R&D projects (区域联合攻关项目) in batches, their participants and milestones."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainmap.core.models import RoleRowsQuerySet, TimeStampedModel


class BatchQuerySet(RoleRowsQuerySet):
    """``visible_to``: every user with a role sees every batch; anyone else none."""


class JointProjectQuerySet(RoleRowsQuerySet):
    """``visible_to``: every user with a role sees every project; anyone else none."""


class MilestoneQuerySet(RoleRowsQuerySet):
    """``visible_to``: milestones are as visible as their projects."""


class Batch(TimeStampedModel):
    """A batch of joint projects launched together (第一批, 第二批 ...)."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    launched_on = models.DateField(_("launched on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        constraints = [models.CheckConstraint(condition=Q(number__gte=1), name="projects_batch_number_positive")]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    APPROVED = "approved", pgettext_lazy("project status", "Approved")
    IN_PROGRESS = "in_progress", pgettext_lazy("project status", "In progress")
    MID_TERM = "mid_term", _("Mid-term review")
    COMPLETED = "completed", _("Completed, awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    TERMINATED = "terminated", _("Terminated")


class JointProject(TimeStampedModel):
    """A regional joint R&D project: units from at least two regions attacking bottlenecks."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="projects", verbose_name=_("batch"))
    code = models.CharField(_("code"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    chain = models.ForeignKey(
        "chainmap.Chain", on_delete=models.PROTECT, null=True, blank=True, related_name="projects"
    )
    bottlenecks = models.ManyToManyField(
        "chainmap.Bottleneck", blank=True, related_name="projects", verbose_name=_("bottlenecks attacked")
    )
    lead_unit = models.CharField(_("lead unit"), max_length=200)
    lead_region = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("lead region")
    )
    budget = models.DecimalField(_("budget (10k CNY)"), max_digits=12, decimal_places=2, default=0)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.APPROVED)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    # Moves with every change of the project, its participants or its milestones: the API's ETag.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = JointProjectQuerySet.as_manager()

    class Meta:
        ordering = ["batch", "code"]
        verbose_name = _("joint project")
        verbose_name_plural = _("joint projects")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="projects_project_ends_after_start"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="projects_project_budget_non_negative"),
            models.UniqueConstraint(fields=["batch", "title"], name="projects_project_unique_title_in_batch"),
            models.CheckConstraint(condition=Q(status__in=ProjectStatus.values), name="projects_project_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ProjectStatus.ACCEPTED) | Q(accepted_on__isnull=False),
                name="projects_project_accepted_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Participant(models.Model):
    """A unit taking part in a joint project. A project needs units from at least two regions."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        PARTICIPANT = "participant", _("Participant")

    project = models.ForeignKey(JointProject, on_delete=models.CASCADE, related_name="participants")
    enterprise = models.ForeignKey(
        "chainmap.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="project_participations"
    )
    unit_name = models.CharField(_("unit"), max_length=200)
    region = models.ForeignKey("chainmap.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PARTICIPANT)

    class Meta:
        ordering = ["project", "-role", "unit_name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["project", "unit_name"], name="projects_participant_unique_unit"),
            models.UniqueConstraint(fields=["project"], condition=Q(role="lead"), name="projects_participant_one_lead"),
        ]

    def __str__(self) -> str:
        return self.unit_name


class Milestone(models.Model):
    """A milestone of a joint project; weighted progress rolls up to project, batch and bottleneck."""

    project = models.ForeignKey(JointProject, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["project", "position"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="projects_milestone_unique_position"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="projects_milestone_progress"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="projects_milestone_weight_positive"),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | Q(progress=100), name="projects_milestone_done_is_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title
