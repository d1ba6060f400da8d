from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.models import TimeStampedModel


class ImportKind(models.TextChoices):
    NODES = "nodes", _("Chain nodes")
    EDGES = "edges", _("Chain edges")
    ENTERPRISES = "enterprises", _("Enterprises")
    PLACEMENTS = "placements", _("Placements")
    BOTTLENECKS = "bottlenecks", _("Bottlenecks")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    VALIDATING = "validating", _("Checking rows")
    PREVIEWED = "previewed", _("Preview ready")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")


class ImportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user: Actor) -> ImportJobQuerySet:
        """An uploader sees their own jobs; the joint office sees everyone's."""
        return self if roles.is_joint_office(user) else self.filter(uploader_id=user.pk)


class ImportJob(TimeStampedModel):
    """One uploaded spreadsheet: checked row by row into a dry-run ``preview``, then applied all-or-nothing.

    The upload is kept in the row (``content``) rather than on disk, so a Celery worker on another
    machine reads exactly what was checked. ``errors`` lists ``{"row", "column", "message"}`` (row None
    for the whole file); a job with errors can never be applied. See ``chainmap.imports.services.imports``.
    """

    Kind = ImportKind
    Status = ImportStatus
    Format = ImportFormat

    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("uploader"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    chain = models.ForeignKey(
        "chainmap.Chain",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("chain"),
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("file format"), max_length=4, choices=Format.choices)
    content = models.BinaryField(_("file content"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows"), default=0)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="chainmap_import_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="chainmap_import_status_valid"),
            models.CheckConstraint(
                condition=Q(file_format__in=ImportFormat.values), name="chainmap_import_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")), name="chainmap_import_progress"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="chainmap_import_reason_required"),
        ]
        indexes = [models.Index(fields=["uploader", "-created_at"], name="chainmap_import_uploader")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name} ({self.status})"

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.APPLYING)
