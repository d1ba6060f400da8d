from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainmap.core.models import TimeStampedModel


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Report(TimeStampedModel):
    """The report of one matching round, built from a frozen snapshot of its inputs."""

    Status = ReportStatus

    round = models.OneToOneField(
        "chainmap.MatchingRound", on_delete=models.CASCADE, related_name="report", verbose_name=_("round")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    snapshot = models.JSONField(_("snapshot"), default=dict, blank=True)
    html = models.TextField(_("HTML"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/", blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to="reports/", blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-round__period"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="chainmap_report_status")
        ]

    def __str__(self) -> str:
        return str(self.round)


class Subscription(TimeStampedModel):
    """A user's subscription to round reports: which chains, clusters and regions, in which language."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("user")
    )
    chains = models.ManyToManyField("chainmap.Chain", blank=True, related_name="+", verbose_name=_("chains"))
    clusters = models.ManyToManyField("chainmap.Cluster", blank=True, related_name="+", verbose_name=_("clusters"))
    regions = models.ManyToManyField("chainmap.Region", blank=True, related_name="+", verbose_name=_("regions"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [models.UniqueConstraint(fields=["user"], name="chainmap_subscription_one_per_user")]

    def __str__(self) -> str:
        return str(self.user)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(TimeStampedModel):
    """The outbox row of one report mailed to one recipient: claimed before sending, never sent twice."""

    Status = DeliveryStatus

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("report"))
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sending_since = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["report", "email"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["report", "email"], name="chainmap_delivery_once_per_recipient"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="chainmap_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.email} ({self.status})"
