"""Report mail through an outbox: one ``Delivery`` row per (report, recipient), claimed before sending.

* ``deliveries_enqueue`` creates the missing rows (the unique constraint makes a re-run create
  none) and, after commit, asks a worker to send every pending one.
* ``delivery_send`` claims the row with a conditional UPDATE (pending → sending); a second task for
  the same row, or a redelivered message, finds nothing to claim and sends nothing. A ``sending``
  claim older than ``SENDING_TIMEOUT_SECONDS`` belonged to a killed worker and may be taken over:
  that worker may have handed the mail to the SMTP server before dying, the one case where a
  recipient can get it twice (at-least-once beats losing it).
* Between retries the row goes back to pending with ``last_error``; after the last try it is failed.
* ``delivery_resend`` lets an official put a failed or sent row back in the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainmap import permissions
from chainmap.models import Delivery, Report, Subscription
from chainmap.models.matching import RoundKind

logger = logging.getLogger(__name__)

SENT = "sent"
SKIPPED = "skipped"
PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _config() -> dict[str, Any]:
    return settings.CHAINMAP_REPORTS


def subscriptions_for_report(*, report: Report) -> list[Subscription]:
    """Active subscriptions of active users with an address, whose chains/clusters include the round's
    subject, or that list no chain and no cluster (everything)."""
    matching_round = report.round
    subject = (
        Q(chains=matching_round.chain_id)
        if matching_round.kind == RoundKind.CHAIN_MONTH
        else Q(clusters=matching_round.cluster_id)
    )
    everything = Q(chains__isnull=True, clusters__isnull=True)
    return list(
        Subscription.objects.filter(is_active=True, user__is_active=True)
        .exclude(user__email="")
        .filter(subject | everything)
        .select_related("user")
        .distinct()
        .order_by("user__email", "pk")
    )


def _enqueue_pending(report_id: int) -> None:
    from chainmap.tasks_reports import send_delivery

    for delivery_id in Delivery.objects.filter(report_id=report_id, status=Delivery.Status.PENDING).values_list(
        "pk", flat=True
    ):
        send_delivery.delay(delivery_id=delivery_id)


@transaction.atomic
def deliveries_enqueue(*, report_id: int) -> int:
    """One outbox row per matching subscriber (never a duplicate); every pending row is then sent.
    Returns how many rows were created."""
    report = Report.objects.select_related("round").get(pk=report_id)
    if report.status != Report.Status.READY:
        raise ValidationError({"report": _("The report is not ready yet.")})
    created = 0
    seen: set[str] = set()
    for subscription in subscriptions_for_report(report=report):
        email = subscription.user.email.strip().lower()
        if email in seen:
            continue
        seen.add(email)
        _delivery, made = Delivery.objects.get_or_create(
            report=report,
            email=email,
            defaults={"subscription": subscription, "language": subscription.language},
        )
        created += int(made)
    # Pending rows of an earlier run (a lost task) are sent too; the claim stops any double send.
    transaction.on_commit(lambda: _enqueue_pending(report_id))
    return created


def _claim(delivery_id: int) -> dt.datetime | None:
    now = timezone.now()
    stale = now - dt.timedelta(seconds=_config()["SENDING_TIMEOUT_SECONDS"])
    claimed = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, sending_since__lt=stale))
        .update(status=Delivery.Status.SENDING, sending_since=now, attempts=F("attempts") + 1, updated_at=now)
    )
    return now if claimed else None


def build_message(*, delivery: Delivery) -> EmailMultiAlternatives:
    """The multipart mail of one delivery: text and HTML bodies in the recipient's language, the
    report's PDF and XLSX attached."""
    report = delivery.report
    matching_round = report.round
    snapshot = report.snapshot or {}
    base = _config()["SITE_URL"]
    from django.urls import reverse

    context = {
        "round": matching_round,
        "subject_name": snapshot.get("round", {}).get("subject") or str(matching_round.chain or matching_round.cluster),
        "period": f"{matching_round.period:%Y-%m}",
        "report_url": base + reverse("chainmap:report_detail", args=[matching_round.pk]),
        "bottlenecks": len(snapshot.get("bottlenecks", [])),
        "needs": len(snapshot.get("needs", [])),
        "pairs": len(snapshot.get("cross_region_pairs", [])),
        "single_supplier": len(snapshot.get("single_supplier_nodes", [])),
    }
    language = delivery.language if delivery.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        subject = " ".join(render_to_string("emails/report-subject.txt", context).split())
        text = render_to_string("emails/report-body.txt", context)
        html = render_to_string("emails/report-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[delivery.email])
    message.attach_alternative(html, "text/html")
    stem = f"chainmap-{matching_round.period:%Y-%m}-{matching_round.kind}"
    with report.pdf.open("rb") as pdf:
        message.attach(f"{stem}.pdf", pdf.read(), PDF_TYPE)
    with report.xlsx.open("rb") as xlsx:
        message.attach(f"{stem}.xlsx", xlsx.read(), XLSX_TYPE)
    return message


def delivery_send(*, delivery_id: int) -> str:
    """Claim and send one delivery. ``sent``, or ``skipped`` when there was nothing to claim (sent
    already, or another worker has it). SMTP and network errors propagate, the row released to
    pending with the error, for the task to retry."""
    claimed_at = _claim(delivery_id)
    if claimed_at is None:
        return SKIPPED
    delivery = Delivery.objects.select_related("report__round__chain", "report__round__cluster").get(pk=delivery_id)
    try:
        build_message(delivery=delivery).send(fail_silently=False)
    except Exception as exc:
        Delivery.objects.filter(pk=delivery_id, sending_since=claimed_at).update(
            status=Delivery.Status.PENDING,
            sending_since=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            updated_at=timezone.now(),
        )
        raise
    Delivery.objects.filter(pk=delivery_id, sending_since=claimed_at).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        sending_since=None,
        last_error="",
        updated_at=timezone.now(),
    )
    logger.info("report %s mailed to %s", delivery.report_id, delivery.email)
    return SENT


def delivery_mark_failed(*, delivery_id: int, error: str) -> None:
    """After the last try: shown as failed (only a row nobody is sending or has sent)."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, last_error=error[:2000], updated_at=timezone.now()
    )


@transaction.atomic
def delivery_resend(*, delivery_id: int, user: Any) -> Delivery:
    """Put a failed or sent delivery back in the queue (a new attempt) and send it after commit."""
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise ValidationError({"delivery": _("This delivery does not exist.")})
    if not permissions.can_resend_delivery(user=user, delivery=delivery):
        raise PermissionDenied
    if delivery.status not in (Delivery.Status.FAILED, Delivery.Status.SENT):
        raise ValidationError({"delivery": _("This delivery is already queued or being sent.")})
    delivery.status = Delivery.Status.PENDING
    delivery.sending_since = None
    delivery.save(update_fields=["status", "sending_since", "updated_at"])

    def enqueue() -> None:
        from chainmap.tasks_reports import send_delivery

        send_delivery.delay(delivery_id=delivery_id)

    transaction.on_commit(enqueue)
    logger.info("delivery %s queued again by user %s", delivery_id, user.pk)
    return delivery
