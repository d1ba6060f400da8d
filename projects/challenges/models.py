"""Challenges (揭榜挂帅 / 赛马制) on bottlenecks, their phases, applications and review scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.models import EnterpriseRowsQuerySet, TimeStampedModel


class ChallengeMechanism(models.TextChoices):
    JIEBANG = "jiebang", _("Open call (揭榜挂帅)")
    SAIMA = "saima", _("Horse race (赛马制)")


class ChallengeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    REVIEWING = "reviewing", _("Reviewing")
    AWARDED = "awarded", _("Awarded")
    CLOSED = "closed", _("Closed")


class ChallengeQuerySet(models.QuerySet):
    def visible_to(self, user: Actor) -> ChallengeQuerySet:
        """Officials see drafts too; every other role sees published (and later) challenges."""
        if roles.is_official(user):
            return self
        if roles.role_of(user) is not None:
            return self.exclude(status=ChallengeStatus.DRAFT)
        return self.none()


class ApplicationQuerySet(EnterpriseRowsQuerySet):
    """``visible_to``: officials see every application; an enterprise member its own enterprise's."""


class Challenge(TimeStampedModel):
    """A published call on a bottleneck: 揭榜挂帅 (one winner) or 赛马制 (several funded teams, phase gates)."""

    bottleneck = models.ForeignKey(
        "chainmap.Bottleneck", on_delete=models.PROTECT, related_name="challenges", verbose_name=_("bottleneck")
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    mechanism = models.CharField(_("mechanism"), max_length=8, choices=ChallengeMechanism.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    budget = models.DecimalField(_("budget (10k CNY)"), max_digits=12, decimal_places=2, default=0)
    max_funded_teams = models.PositiveSmallIntegerField(_("teams funded"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=ChallengeStatus.choices, default=ChallengeStatus.DRAFT
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    deadline = models.DateField(_("application deadline"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Moves with every change of the challenge or its phase gates: the API's ETag.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "code"]
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        constraints = [
            models.CheckConstraint(
                condition=(Q(mechanism=ChallengeMechanism.JIEBANG, max_funded_teams=1))
                | (Q(mechanism=ChallengeMechanism.SAIMA, max_funded_teams__gte=2)),
                name="projects_challenge_team_count_fits_mechanism",
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="projects_challenge_budget_non_negative"),
            models.CheckConstraint(
                condition=Q(status=ChallengeStatus.DRAFT) | Q(published_on__isnull=False),
                name="projects_challenge_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(published_on__isnull=True) | Q(deadline__gte=F("published_on")),
                name="projects_challenge_deadline_after_publication",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ChallengePhase(models.Model):
    """A phase gate of a 赛马制 race: teams still in the race are reviewed and some eliminated."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)
    gate_on = models.DateField(_("gate date"))

    class Meta:
        ordering = ["challenge", "position"]
        verbose_name = _("challenge phase")
        verbose_name_plural = _("challenge phases")
        constraints = [
            models.UniqueConstraint(fields=["challenge", "position"], name="projects_phase_unique_position"),
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    FUNDED = "funded", _("Funded")
    ELIMINATED = "eliminated", _("Eliminated at a gate")
    WON = "won", _("Won")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(TimeStampedModel):
    """An enterprise's (or consortium's) application to take on a challenge."""

    Status = ApplicationStatus

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="applications")
    enterprise = models.ForeignKey(
        "chainmap.Enterprise", on_delete=models.PROTECT, related_name="applications", verbose_name=_("applicant")
    )
    consortium = models.ManyToManyField(
        "chainmap.Enterprise", blank=True, related_name="consortium_applications", verbose_name=_("consortium members")
    )
    team_lead = models.CharField(_("team lead"), max_length=100)
    proposal = models.TextField(_("technical proposal"), max_length=8000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    phase_reached = models.ForeignKey(
        ChallengePhase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["challenge", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["challenge", "enterprise"], name="projects_application_once_per_applicant"),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="projects_application_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}: {self.enterprise_id}"


class Criterion(models.TextChoices):
    TECHNOLOGY = "technology", _("Technical approach")
    TEAM = "team", _("Team and track record")
    FEASIBILITY = "feasibility", _("Feasibility and schedule")
    COST = "cost", _("Cost and co-funding")


class ReviewScore(models.Model):
    """One panel member's score of one application on one criterion (0–100)."""

    Criterion = Criterion

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    criterion = models.CharField(_("criterion"), max_length=12, choices=Criterion.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)

    class Meta:
        ordering = ["application", "reviewer", "criterion"]
        verbose_name = _("review score")
        verbose_name_plural = _("review scores")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer", "criterion"], name="projects_score_once_per_criterion"
            ),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="projects_score_0_100"),
            models.CheckConstraint(condition=Q(criterion__in=Criterion.values), name="projects_score_criterion_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.criterion}: {self.score}"
