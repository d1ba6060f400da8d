"""Diagram downloads (SVG / PNG / PDF / DOT), the refreshable diagram fragment and the diff page.

Login is required by the deny-by-default middleware; visibility follows the chain querysets
(``visible_to``): a chain the user may not see answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from chainmap.accounts import permissions
from chainmap.core.widgets import IsoDateInput
from chainmap.diagrams import services as diagrams
from chainmap.diagrams.services.render import CONTENT_TYPES
from chainmap.maps.selectors import history as selectors_history
from chainmap.models import Chain, Cluster, Diagram, DiagramKind
from chainmap.templatetags.diagrams import diagram_context

FIELDS = {"svg": "svg", "png": "png", "pdf": "pdf", "dot": "dot_source"}
# A stand-alone SVG opened from a download must not run anything, whatever it contains.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _serve(request: HttpRequest, diagram: Diagram | None, fmt: str, filename: str) -> HttpResponse:
    if diagram is None or not diagram.sha256:
        raise Http404("This diagram has not been drawn yet.")
    content = getattr(diagram, FIELDS[fmt])
    if not content:
        raise Http404("This format is not available for this diagram.")
    etag = f'"{diagram.sha256}.{fmt}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    if isinstance(content, str):
        if fmt == "svg":
            content = '<?xml version="1.0" encoding="UTF-8"?>\n' + content
        body = content.encode("utf-8")
    else:
        body = bytes(content)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    assert disposition is not None  # only None when neither an attachment nor a file name
    response["Content-Disposition"] = disposition
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    if fmt == "svg":
        response["Content-Security-Policy"] = SVG_CSP
    return response


def _file_name(slug: str, diagram: Diagram, fmt: str, suffix: str = "") -> str:
    day = timezone.localtime(diagram.rendered_at).date().isoformat() if diagram.rendered_at else "draft"
    return f"{slug}{suffix}-{day}.{fmt}"


def _only(fmt: str) -> tuple[str, ...]:
    return ("pk", "sha256", "rendered_at", "chain_id", "cluster_id", FIELDS[fmt])


@require_safe
def chain_file(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    diagram = Diagram.objects.filter(kind=DiagramKind.CURRENT, chain=chain).only(*_only(fmt)).first()
    return _serve(request, diagram, fmt, _file_name(chain.slug, diagram, fmt) if diagram else "")


@require_safe
def cluster_file(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster.objects.visible_to(request.user), slug=slug)
    diagram = Diagram.objects.filter(kind=DiagramKind.CURRENT, cluster=cluster).only(*_only(fmt)).first()
    return _serve(request, diagram, fmt, _file_name(cluster.slug, diagram, fmt) if diagram else "")


@require_safe
def chain_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    """The diagram section alone: the viewer polls it while a newer render is pending."""
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    context = diagram_context(subject="chain", obj=chain)
    return render(request, "chainmap/diagrams/_diagram.html", context)


@require_safe
def cluster_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster.objects.visible_to(request.user), slug=slug)
    return render(request, "chainmap/diagrams/_diagram.html", diagram_context(subject="cluster", obj=cluster))


class DiffForm(forms.Form):
    """The two dates of the diff page, named ``from`` and ``to`` in the query string (links and the
    form itself use the same names)."""

    QUERY_NAMES = {"from_date": "from", "to_date": "to"}

    from_date = forms.DateField(label=_("From"), widget=IsoDateInput())
    to_date = forms.DateField(label=_("To"), widget=IsoDateInput())

    def add_prefix(self, field_name: str) -> str:
        return self.QUERY_NAMES.get(field_name, field_name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from_date"), data.get("to_date")
        if start and end and not start < end:
            self.add_error("to_date", _("The second date must be after the first."))
        if end and end > timezone.localdate():
            self.add_error("to_date", _("The second date cannot be in the future."))
        return data


def _diff_form(request: HttpRequest) -> DiffForm:
    today = timezone.localdate()
    if "from" in request.GET or "to" in request.GET:
        return DiffForm(data={"from": request.GET.get("from", ""), "to": request.GET.get("to", "")})
    return DiffForm(data={"from": (today - dt.timedelta(days=30)).isoformat(), "to": today.isoformat()})


def _diff_span(chain: Chain, form: DiffForm) -> tuple[dt.date, dt.date, dt.date | None]:
    """The compared days, the first one moved up to the chain's first recorded day when it lies
    before it: before that the map was not recorded, and comparing with nothing would list every
    node as added. Returns (from, to, the first recorded day when the start was moved)."""
    start, end = form.cleaned_data["from_date"], form.cleaned_data["to_date"]
    first = selectors_history.first_history_day(chain_id=chain.pk)
    if first is not None and start < first:
        return first, end, first
    return start, end, None


# A read, so outside any transaction (AtomicWritesMiddleware): diagram_diff_get creates the diff row and
# queues its render at once, and the worker must find the row committed.
@require_safe
def chain_diff(request: HttpRequest, slug: str) -> HttpResponse:
    """The chain's changes between two dates: added green, removed dashed red, changed orange."""
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    form = _diff_form(request)
    context: dict[str, Any] = {"chain": chain, "form": form, "diagram": None}
    if not form.is_valid():
        return render(request, "chainmap/diagrams/diff.html", context, status=400)
    start, end, context["history_starts"] = _diff_span(chain, form)
    if start >= end:  # recorded only since today: nothing to compare yet
        return render(request, "chainmap/diagrams/diff.html", context)
    diagram = diagrams.diagram_diff_get(chain_id=chain.pk, from_date=start, to_date=end)
    context.update(diagram_context(subject="diff", obj=chain, diagram=diagram, from_date=start, to_date=end))
    context["form"] = form
    if permissions.can_view_history(user=request.user):
        # The listed changes name enterprises and reasons: history, so officials only.
        changes = selectors_history.chain_changes(chain_id=chain.pk, from_date=start, to_date=end)
        context["changes"] = changes
        context["sections"] = [
            (_("Nodes"), changes.nodes),
            (_("Supply relations"), changes.edges),
            (_("Confirmed placements"), changes.placements),
        ]
    return render(request, "chainmap/diagrams/diff.html", context)


@require_safe
def chain_diff_file(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    form = _diff_form(request)
    if not form.is_valid():
        raise Http404("Invalid dates.")
    start, end, _moved = _diff_span(chain, form)
    diagram = (
        Diagram.objects.filter(kind=DiagramKind.DIFF, chain=chain, from_date=start, to_date=end)
        .only(*_only(fmt))
        .first()
    )
    name = f"{chain.slug}-diff-{start.isoformat()}-{end.isoformat()}.{fmt}"
    return _serve(request, diagram, fmt, name)
