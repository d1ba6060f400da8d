"""The bottleneck board (卡点看板), bottleneck pages and editor, and the node assessment editor.

Invisible objects answer 404 (``visible_to``), forbidden actions 403 (``chainmap.accounts.permissions``);
writes go through ``services.mapedit`` / ``services.assessments``, whose errors land on the field
they name. A stale version read gives the conflict page, as on the node editor.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from chainmap.accounts import permissions
from chainmap.bottlenecks.forms import AssessmentForm, BottleneckFilterForm, BottleneckForm
from chainmap.bottlenecks.selectors import (
    Board,
    assessment_rows,
    bottleneck_board,
    bottleneck_page,
    bottleneck_queryset,
)
from chainmap.core.exceptions import ConflictError
from chainmap.maps.forms import apply_service_errors
from chainmap.maps.selectors import pages as selectors
from chainmap.maps.services import assessments, mapedit
from chainmap.models import Bottleneck, Chain

BOARD_PAGE_SIZE = 50
EDITABLE_FIELDS = BottleneckForm.EDITABLE_FIELDS


# --- board and page ------------------------------------------------------------------------------


@require_safe
def bottleneck_list(request: HttpRequest) -> HttpResponse:
    form = BottleneckFilterForm(data=request.GET, user=request.user)
    # Read only when the board's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    page_obj = None
    if form.is_valid():
        filters = form.filters()
        board = cast(Board, SimpleLazyObject(lambda: bottleneck_board(user=request.user, **filters)))
        page_obj = SimpleLazyObject(
            lambda: Paginator(board.bottlenecks, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
        )
    else:
        board = cast(Board, SimpleLazyObject(lambda: bottleneck_board(user=request.user)))
    return render(
        request,
        "chainmap/bottlenecks/list.html",
        {"form": form, "board": board, "page_obj": page_obj},
    )


@require_safe
def bottleneck_detail(request: HttpRequest, code: str) -> HttpResponse:
    bottleneck = get_object_or_404(bottleneck_queryset(user=request.user), code=code)
    page = bottleneck_page(user=request.user, bottleneck=bottleneck)
    return render(request, "chainmap/bottlenecks/detail.html", {"bottleneck": bottleneck, "page": page})


# --- create and edit -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def bottleneck_create(request: HttpRequest, slug: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    if not permissions.can_create_bottleneck(user=request.user, chain_id=chain.pk):
        raise PermissionDenied
    form = BottleneckForm(request.POST or None, chain=chain)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bottleneck = mapedit.bottleneck_create(
                chain_id=chain.pk, user=request.user, reason=data["reason"], data=form.to_input()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Bottleneck %(code)s added.") % {"code": bottleneck.code})
            return redirect("chainmap:bottleneck_detail", code=bottleneck.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "chainmap/bottlenecks/form.html", {"form": form, "chain": chain}, status=status)


def _conflict(
    request: HttpRequest, *, error: ConflictError, form: BottleneckForm, bottleneck: Bottleneck
) -> HttpResponse:
    """The second of two concurrent saves: show the other change, offer the user's values again."""
    data = cast(QueryDict, form.data).copy()  # the form is bound to request.POST
    data["version"] = str(error.current.version)
    form = BottleneckForm(data, **form._init_kwargs)
    form.is_valid()
    return render(
        request,
        "chainmap/maps/edit/conflict.html",
        {
            "error": error,
            "form": form,
            "what": f"{bottleneck.code} {bottleneck.title}",
            "back": reverse("chainmap:bottleneck_detail", args=[bottleneck.code]),
            "current": error.current,
        },
        status=409,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def bottleneck_edit(request: HttpRequest, code: str) -> HttpResponse:
    bottleneck = get_object_or_404(bottleneck_queryset(user=request.user), code=code)
    if not permissions.can_edit_bottleneck(user=request.user, bottleneck=bottleneck):
        raise PermissionDenied
    chain = bottleneck.chain
    current_node_ids = set(bottleneck.nodes.values_list("pk", flat=True))
    if request.method != "POST":
        initial = {field: getattr(bottleneck, field) for field in EDITABLE_FIELDS}
        initial.update({"nodes": sorted(current_node_ids), "version": bottleneck.version})
        form = BottleneckForm(initial=initial, chain=chain, bottleneck=bottleneck)
        return render(
            request, "chainmap/bottlenecks/form.html", {"form": form, "chain": chain, "bottleneck": bottleneck}
        )
    form = BottleneckForm(request.POST, chain=chain, bottleneck=bottleneck)
    if form.is_valid():
        changes = form.to_input()
        try:
            if not changes.given():
                form.add_error(None, _("Nothing was changed."))
            else:
                mapedit.bottleneck_update(
                    bottleneck_id=bottleneck.pk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data.get("version"),
                    changes=changes,
                )
                messages.success(request, _("Bottleneck %(code)s saved.") % {"code": bottleneck.code})
                return redirect("chainmap:bottleneck_detail", code=bottleneck.code)
        except ConflictError as error:
            return _conflict(request, error=error, form=form, bottleneck=bottleneck)
        except ValidationError as error:
            apply_service_errors(form, error)
    return render(
        request,
        "chainmap/bottlenecks/form.html",
        {"form": form, "chain": chain, "bottleneck": bottleneck},
        status=400,
    )


# --- node assessments ----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def node_assessments_edit(request: HttpRequest, code: str) -> HttpResponse:
    node = get_object_or_404(selectors.node_queryset(user=request.user), code=code.upper())
    rows = assessment_rows(user=request.user, node=node)
    if not any(row.editable for row in rows):
        raise PermissionDenied
    form = AssessmentForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            form.add_error(None, _("Nothing was changed."))
        else:
            try:
                _assessments_save(request, node_id=node.pk, changes=changes, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                return _assessments_refused(request, node=node, error=error, changes=changes)
            messages.success(request, _("Assessments of %(code)s saved.") % {"code": node.code})
            return redirect("chainmap:node_detail", code=node.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "chainmap/bottlenecks/assessments_form.html", {"form": form, "node": node}, status=status)


def _assessments_save(request: HttpRequest, *, node_id: int, changes: list[dict[str, Any]], reason: str) -> None:
    """All regions or none: a refused region leaves the others unchanged."""
    with transaction.atomic():
        for change in changes:
            try:
                assessments.assessment_set(
                    node_id=node_id,
                    region_id=change["region"].pk,
                    level=change["level"],
                    note=change["note"],
                    user=request.user,
                    reason=reason,
                    expected_level=change["expected_level"],
                )
            except ValidationError as error:
                error.chainmap_field = change["field"]  # type: ignore[attr-defined]
                raise


def _assessments_refused(
    request: HttpRequest, *, node: Any, error: ValidationError, changes: list[dict[str, Any]]
) -> HttpResponse:
    """Show the form again with the service's message on the region's field; a stale level read is
    replaced by the current one, so submitting again is a deliberate choice."""
    rows = assessment_rows(user=request.user, node=node)
    data = request.POST.copy()
    for row in rows:
        if row.editable:
            data[f"was_{row.region.code}"] = row.level
    form = AssessmentForm(data, rows=rows)
    form.is_valid()
    field = getattr(error, "chainmap_field", None)
    messages_by_field = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for key, texts in messages_by_field.items():
        target = field if key in ("level", "expected_level", "region") and field in form.fields else None
        if key == "note" and field:
            target = field.replace("level_", "note_")
        if key == "reason":
            target = "reason"
        form.add_error(target if target in form.fields else None, texts)
    return render(request, "chainmap/bottlenecks/assessments_form.html", {"form": form, "node": node}, status=400)
