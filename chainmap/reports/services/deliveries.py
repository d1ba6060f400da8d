"""Report mail through an outbox: one ``Delivery`` row per (report, recipient), claimed before sending.

* ``deliveries_enqueue`` creates the missing rows (the unique constraint makes a re-run create
  none) and, after commit, asks a worker to send every pending one.
* ``delivery_send`` claims the row with a conditional UPDATE (pending → sending); a second task for
  the same row, or a redelivered message, finds nothing to claim and sends nothing. It marks the row
  sent right after the SMTP server accepted the message, before the connection is closed.
* The claim is a lease of ``SENDING_TIMEOUT_SECONDS``. The send task's hard time limit is shorter
  (``SEND_TIME_LIMIT_SECONDS``), so a live worker, however slow, has been stopped by Celery before
  its lease runs out: only a dead worker's claim ever expires.
* ``deliveries_sweep`` (beat, every minute) is what makes a crash harmless: it puts claims older
  than the lease back to pending and queues them again, and queues pending rows whose task message
  was lost (Redis restarted, a publish that failed after commit) once any retry they were waiting
  for is overdue. The broker's own redelivery (``CELERY_VISIBILITY_TIMEOUT``) comes much later and
  then finds the row sent.
* Between retries the row goes back to pending with ``last_error``; after the last try it is failed.
* ``delivery_resend`` lets an official put a failed, sent or stalled (lease expired) row back in
  the queue.

What remains at-least-once, honestly: a worker killed (or a network cut) after the SMTP server
accepted the message but before the row was marked sent — a window of one database UPDATE after
the server's ``250`` — and a send stopped by the time limit in the middle of the DATA phase. The
recipient may then get the mail twice; both copies carry the same ``Message-ID`` (one per
delivery), which many mail servers and clients use to drop the second.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core import jobs
from chainmap.core.actors import Actor
from chainmap.matching.models import RoundKind
from chainmap.models import Delivery, Report, Subscription
from chainmap.reports.services.reports import report_filename

if TYPE_CHECKING:
    from config.settings_types import ReportSettings

logger = logging.getLogger(__name__)

SEND_DELIVERY = "chainmap.tasks_reports.send_delivery"  # the job (chainmap.reports.tasks)

SENT = "sent"
SKIPPED = "skipped"
PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BACKOFF_SECONDS = 6 * 3600


def _config() -> ReportSettings:
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


def _enqueue(delivery_ids: list[int]) -> None:
    """Queue a send per row. A broker that is down loses nothing: the rows stay pending in the
    database and the sweeper queues them again, so the failure is logged, not raised."""
    for delivery_id in delivery_ids:
        try:
            jobs.send(SEND_DELIVERY, delivery_id=delivery_id)
        except Exception:
            logger.exception("delivery %s could not be queued; the sweeper will queue it again", delivery_id)


def _enqueue_pending(report_id: int) -> None:
    _enqueue(
        list(Delivery.objects.filter(report_id=report_id, status=Delivery.Status.PENDING).values_list("pk", flat=True))
    )


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


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=_config()["SENDING_TIMEOUT_SECONDS"])


def _claim(delivery_id: int) -> dt.datetime | None:
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, sending_since__lt=now - _lease()))
        .update(status=Delivery.Status.SENDING, sending_since=now, attempts=F("attempts") + 1, updated_at=now)
    )
    return now if claimed else None


def delivery_is_stalled(*, delivery: Delivery, now: dt.datetime | None = None) -> bool:
    """``sending`` for longer than the lease: its worker is gone (a live one is stopped before)."""
    now = now or timezone.now()
    return (
        delivery.status == Delivery.Status.SENDING
        and delivery.sending_since is not None
        and delivery.sending_since < now - _lease()
    )


def delivery_can_be_resent(*, delivery: Delivery, now: dt.datetime | None = None) -> bool:
    """Failed, sent, or stalled; a pending row is queued already and a live claim is being sent."""
    return delivery.status in (Delivery.Status.FAILED, Delivery.Status.SENT) or delivery_is_stalled(
        delivery=delivery, now=now
    )


def message_id(*, delivery: Delivery) -> str:
    """The same ``Message-ID`` for every attempt of one delivery, so that a copy sent twice (the
    at-least-once window) can be recognised as one message by the servers and clients that look."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "chainmap.local"
    return f"<chainmap.report-{delivery.report_id}.delivery-{delivery.pk}@{domain}>"


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
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[delivery.email], headers={"Message-ID": message_id(delivery=delivery)}
    )
    message.attach_alternative(html, "text/html")
    # The same readable names as the downloads (non-ASCII names are RFC 2231-encoded by Django).
    with report.pdf.open("rb") as pdf:
        message.attach(report_filename(matching_round, "pdf"), pdf.read(), PDF_TYPE)
    with report.xlsx.open("rb") as xlsx:
        message.attach(report_filename(matching_round, "xlsx"), xlsx.read(), XLSX_TYPE)
    return message


def _release(delivery_id: int, claimed_at: dt.datetime, exc: BaseException) -> None:
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING, sending_since=claimed_at).update(
        status=Delivery.Status.PENDING,
        sending_since=None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        updated_at=timezone.now(),
    )


def delivery_send(*, delivery_id: int) -> str:
    """Claim and send one delivery. ``sent``, or ``skipped`` when there was nothing to claim (sent
    already, or another worker has it). SMTP and network errors propagate, the row released to
    pending with the error, for the task to retry."""
    claimed_at = _claim(delivery_id)
    if claimed_at is None:
        return SKIPPED
    delivery = Delivery.objects.select_related("report__round__chain", "report__round__cluster").get(pk=delivery_id)
    connection = get_connection(fail_silently=False)
    try:
        message = build_message(delivery=delivery)
        message.connection = connection
        connection.open()
        # With the connection opened here, send_messages leaves it open: the row is marked sent right
        # after the server's 250, before the QUIT round trip, to keep the double-send window small.
        message.send(fail_silently=False)
    except BaseException as exc:  # SoftTimeLimitExceeded too: release the claim, then let it propagate
        _release(delivery_id, claimed_at, exc)
        _close(connection)
        raise
    marked = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING, sending_since=claimed_at).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        sending_since=None,
        last_error="",
        updated_at=timezone.now(),
    )
    _close(connection)
    if not marked:
        logger.warning(
            "delivery %s: the claim was taken over while sending; %s may get the report twice",
            delivery_id,
            delivery.email,
        )
    logger.info("report %s mailed to %s", delivery.report_id, delivery.email)
    return SENT


def _close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # the mail is out (or the error is recorded); a failed QUIT changes nothing
        logger.warning("closing the SMTP connection failed", exc_info=True)


def delivery_mark_failed(*, delivery_id: int, error: str) -> None:
    """After the last try: shown as failed (only a row nobody is sending or has sent)."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, last_error=error[:2000], updated_at=timezone.now()
    )


@dataclass(frozen=True)
class Sweep:
    stalled: list[int]
    lost: list[int]

    @property
    def queued(self) -> int:
        return len(self.stalled) + len(self.lost)


def retry_countdown(tries: int) -> int:
    """Seconds before try ``tries + 1``: doubled each time, at most six hours, and below the broker's
    visibility timeout (Redis would hand a message held longer to a second worker)."""
    cap = min(MAX_BACKOFF_SECONDS, getattr(settings, "CELERY_VISIBILITY_TIMEOUT", 3600) // 2)
    return int(min(_config()["MAIL_BACKOFF_SECONDS"] * 2 ** min(tries, 30), cap))


def _retry_delay(attempts: int) -> dt.timedelta:
    """An upper bound of the backoff a pending row waits for (``attempts`` counts every claim, so it
    is never below the task's own retry number)."""
    return dt.timedelta(seconds=retry_countdown(max(attempts - 1, 0)))


def deliveries_sweep(*, now: dt.datetime | None = None) -> Sweep:
    """Queue again what a dead worker or a lost message left behind. Safe to run any time, and twice:
    every row is taken with a conditional UPDATE, and a queued send claims before it sends.

    * ``sending`` longer than the lease: back to pending (the error says so) and queued.
    * ``pending`` with no change for the lease, plus the backoff when it waits for a retry: its
      task message is gone; touched (so the next sweep waits again) and queued.
    """
    now = now or timezone.now()
    lease = _lease()
    stalled: list[int] = []
    for delivery_id, since in Delivery.objects.filter(
        status=Delivery.Status.SENDING, sending_since__lt=now - lease
    ).values_list("pk", "sending_since"):
        assert since is not None  # sending_since__lt matches no null
        if Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING, sending_since=since).update(
            status=Delivery.Status.PENDING,
            sending_since=None,
            last_error=f"The worker stopped while sending (claimed {since.isoformat(timespec='seconds')}).",
            updated_at=now,
        ):
            stalled.append(delivery_id)
    lost: list[int] = []
    for delivery_id, updated_at, attempts, error in Delivery.objects.filter(
        status=Delivery.Status.PENDING, updated_at__lt=now - lease
    ).values_list("pk", "updated_at", "attempts", "last_error"):
        if delivery_id in stalled:
            continue
        due = updated_at + lease + (_retry_delay(attempts) if error else dt.timedelta(0))
        if due > now:
            continue
        if Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING, updated_at=updated_at).update(
            updated_at=now
        ):
            lost.append(delivery_id)
    sweep = Sweep(stalled=stalled, lost=lost)
    if sweep.queued:
        logger.warning("delivery sweep: queued again %s stalled and %s lost", len(stalled), len(lost))
        _enqueue(stalled + lost)
    return sweep


@transaction.atomic
def delivery_resend(*, delivery_id: int, user: Actor) -> Delivery:
    """Put a failed, sent or stalled delivery back in the queue (a new attempt) and send it after
    commit. A live ``sending`` claim is refused: that worker may be talking to the SMTP server."""
    delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:
        raise ValidationError({"delivery": _("This delivery does not exist.")})
    if not permissions.can_resend_delivery(user=user, delivery=delivery):
        raise PermissionDenied
    if not delivery_can_be_resent(delivery=delivery):
        if delivery.status == Delivery.Status.SENDING:
            raise ValidationError(
                {
                    "delivery": _(
                        "This delivery is being sent right now. If it is still sending in %(minutes)s minutes, "
                        "it can be sent again."
                    )
                    % {"minutes": max(1, -(-_config()["SENDING_TIMEOUT_SECONDS"] // 60))}
                }
            )
        raise ValidationError({"delivery": _("This delivery is already queued or being sent.")})
    delivery.status = Delivery.Status.PENDING
    delivery.sending_since = None
    delivery.save(update_fields=["status", "sending_since", "updated_at"])
    transaction.on_commit(lambda: _enqueue([delivery_id]))
    logger.info("delivery %s queued again by user %s", delivery_id, user.pk)
    return delivery
