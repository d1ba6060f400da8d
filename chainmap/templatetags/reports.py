"""``{% report_section round %}``: a round's report status, links, build button and deliveries.

Two queries (the report, its deliveries) whatever the number of recipients."""

from __future__ import annotations

from typing import Any

from django import template

from chainmap.accounts import permissions
from chainmap.core.actors import actor_of
from chainmap.models import Delivery, Report
from chainmap.reports.services.deliveries import delivery_can_be_resent, delivery_is_stalled

register = template.Library()


@register.inclusion_tag("chainmap/reports/_section.html", takes_context=True)
def report_section(context: template.Context, matching_round: Any) -> dict[str, Any]:
    request = context.get("request")
    user = actor_of(request)
    report = Report.objects.filter(round_id=matching_round.pk).defer("snapshot", "html").first()
    rows = []
    if report is not None:
        for delivery in Delivery.objects.filter(report=report).order_by("email"):
            allowed = delivery_can_be_resent(delivery=delivery) and permissions.can_resend_delivery(
                user=user, delivery=delivery
            )
            rows.append(
                {"delivery": delivery, "can_resend": allowed, "stalled": delivery_is_stalled(delivery=delivery)}
            )
    return {
        "round": matching_round,
        "report": report,
        "ready": report is not None and report.status == Report.Status.READY and bool(report.pdf),
        "can_build": permissions.can_run_round(user=user),
        "deliveries": rows,
        "any_resend": any(row["can_resend"] for row in rows),
        "csrf_token": context.get("csrf_token"),
    }
