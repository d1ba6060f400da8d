"""Pages of the round reports: the report page (filter by region), its PDF and XLSX, the build
button and the per-delivery resend. Rounds are fetched through ``MatchingRound.objects.visible_to``
(invisible → 404)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from chainmap.accounts import permissions
from chainmap.models import Delivery, MatchingRound, Report
from chainmap.reports.services import deliveries, reports

PDF_TYPE = "application/pdf"
WEB_MAX_PAIRS = 20
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(request: HttpRequest, pk: int) -> MatchingRound:
    matching_round = get_object_or_404(
        MatchingRound.objects.visible_to(request.user).select_related("chain", "cluster"), pk=pk
    )
    if not permissions.can_view_reports(user=request.user):
        raise PermissionDenied
    return matching_round


def _ready_report(matching_round: MatchingRound, *, heavy: bool = False) -> Report:
    queryset = Report.objects.filter(round=matching_round, status=Report.Status.READY)
    if not heavy:
        queryset = queryset.defer("html")
    report = queryset.first()
    if report is None:
        raise Http404(_("The report of this round has not been built."))
    return report


def _round_url(matching_round: MatchingRound) -> str:
    return reverse("chainmap:round_detail", args=[matching_round.pk])


@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    matching_round = _round(request, pk)
    report = _ready_report(matching_round)
    codes = {row["code"] for row in report.snapshot.get("regions", [])}
    region = request.GET.get("region", "").strip().upper() or None
    region_error = ""
    if region is not None and region not in codes:
        region_error = _("Unknown region: choose one from the list.")
        region = None
    # The page shows each target's first candidates (the rest folded) and the first pairs with a
    # link to all of them; the PDF and the spreadsheet stay complete.
    all_pairs = request.GET.get("pairs") == "all"
    context = reports.report_context(
        report.snapshot,
        region=region,
        fold_after=settings.CHAINMAP_REPORTS["PRINT_TOP_N"],
        max_pairs=None if all_pairs else WEB_MAX_PAIRS,
    )
    context.update({"round_obj": matching_round, "report": report, "region_error": region_error, "web": True})
    return render(request, "chainmap/reports/page.html", context, status=400 if region_error else 200)


def _download(request: HttpRequest, pk: int, attribute: str, content_type: str) -> FileResponse:
    matching_round = _round(request, pk)
    report = _ready_report(matching_round)
    field = getattr(report, attribute)
    if not field:
        raise Http404(_("The report of this round has not been built."))
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404(_("The report file is missing: build the report again.")) from None
    response = FileResponse(handle, as_attachment=True, content_type=content_type)
    # Django would send the readable name as filename* only; old clients need the ASCII filename too.
    response["Content-Disposition"] = reports.report_content_disposition(matching_round, attribute)
    return response


@require_safe
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    return _download(request, pk, "pdf", PDF_TYPE)


@require_safe
def report_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    return _download(request, pk, "xlsx", XLSX_TYPE)


@require_POST
def report_build(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    matching_round = get_object_or_404(
        MatchingRound.objects.visible_to(request.user).select_related("chain", "cluster"), pk=pk
    )
    reports.report_build_request(
        round_id=matching_round.pk, user=request.user, refresh=request.POST.get("refresh") == "1"
    )
    messages.success(request, _("The report is being built; this page shows it when it is ready."))
    return redirect(_round_url(matching_round))


@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    delivery = get_object_or_404(
        Delivery.objects.select_related("report__round").filter(
            report__round__in=MatchingRound.objects.visible_to(request.user)
        ),
        pk=pk,
    )
    if not permissions.can_resend_delivery(user=request.user, delivery=delivery):
        raise PermissionDenied
    try:
        deliveries.delivery_resend(delivery_id=delivery.pk, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The report will be mailed to %(email)s again.") % {"email": delivery.email})
    return redirect(_round_url(delivery.report.round))
