"""History pages (one object's, a chain's merged history) and the chain as of a past date.

History is for officials (``permissions.can_view_history``): a user who may see the object but
not its history answers 403, one who may not see the object 404. A deleted object's history
stays reachable for officials through the history table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from chainmap.accounts import permissions
from chainmap.core.widgets import IsoDateInput
from chainmap.maps.selectors import history as selectors_history
from chainmap.models import Bottleneck, Chain, Edge, LeadershipTerm, Node, Placement


def _object_id(request: HttpRequest, model: type[models.Model], *, live: dict[str, Any], past: dict[str, Any]) -> int:
    """The id whose history to show: the live row if the user sees it, else (officials only) the
    newest historical row. 403 for a visible object without the right to its history, else 404."""
    allowed = permissions.can_view_history(user=request.user)
    pk = model.objects.visible_to(request.user).filter(**live).values_list("pk", flat=True).first()  # type: ignore[attr-defined]
    if pk is not None:
        if not allowed:
            raise PermissionDenied
        return int(pk)
    if not allowed:
        raise Http404
    pk = (
        model.history.filter(**past)  # type: ignore[attr-defined]
        .order_by("-history_date", "-history_id")
        .values_list("id", flat=True)
        .first()
    )
    if pk is None:
        raise Http404
    return int(pk)


def _object_page(request: HttpRequest, kind: str, object_id: int, back_url: str | None) -> HttpResponse:
    history = selectors_history.object_history(kind=kind, object_id=object_id, page_number=request.GET.get("page"))
    return render(
        request,
        "chainmap/maps/history/object.html",
        {"history": history, "page_obj": history.page, "back_url": None if history.deleted else back_url},
    )


@require_safe
def node_history(request: HttpRequest, code: str) -> HttpResponse:
    code = code.upper()
    object_id = _object_id(request, Node, live={"code": code}, past={"code": code})
    return _object_page(request, "node", object_id, reverse("chainmap:node_detail", kwargs={"code": code}))


@require_safe
def edge_history(request: HttpRequest, pk: int) -> HttpResponse:
    object_id = _object_id(request, Edge, live={"pk": pk}, past={"id": pk})
    return _object_page(request, "edge", object_id, None)


@require_safe
def placement_history(request: HttpRequest, pk: int) -> HttpResponse:
    object_id = _object_id(request, Placement, live={"pk": pk}, past={"id": pk})
    return _object_page(request, "placement", object_id, None)


@require_safe
def bottleneck_history(request: HttpRequest, code: str) -> HttpResponse:
    object_id = _object_id(request, Bottleneck, live={"code": code}, past={"code": code})
    return _object_page(request, "bottleneck", object_id, None)


@require_safe
def term_history(request: HttpRequest, pk: int) -> HttpResponse:
    object_id = _object_id(request, LeadershipTerm, live={"pk": pk}, past={"id": pk})
    return _object_page(request, "term", object_id, reverse("chainmap:leadership"))


def _chain_for_history(request: HttpRequest, slug: str) -> Chain:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    if not permissions.can_view_history(user=request.user):
        raise PermissionDenied
    return chain


@require_safe
def chain_history(request: HttpRequest, slug: str) -> HttpResponse:
    chain = _chain_for_history(request, slug)
    page = selectors_history.chain_history(chain_id=chain.pk, page_number=request.GET.get("page"))
    return render(request, "chainmap/maps/history/chain.html", {"chain": chain, "page_obj": page})


class AsOfForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=IsoDateInput())

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


@require_safe
def chain_as_of(request: HttpRequest, slug: str) -> HttpResponse:
    """The chain's nodes, edges and confirmed placements at the end of a past day."""
    chain = _chain_for_history(request, slug)
    today = timezone.localdate()
    form = AsOfForm(data={"date": request.GET.get("date", today.isoformat())})
    context: dict[str, Any] = {"chain": chain, "form": form, "state": None, "today": today}
    if not form.is_valid():
        return render(request, "chainmap/maps/history/as_of.html", context, status=400)
    day = form.cleaned_data["date"]
    state = selectors_history.chain_as_of(chain_id=chain.pk, day=day, today=today)
    context["state"] = state
    context["first_day"] = selectors_history.first_history_day(chain_id=chain.pk) if state.is_empty else None
    if day < today:
        # The diff diagram draws this day's map against today's, with what changed since.
        context["diagram_url"] = (
            reverse("diagram_chain_diff", kwargs={"slug": chain.slug})
            + f"?from={day.isoformat()}&to={today.isoformat()}"
        )
    else:
        context["diagram_url"] = reverse("chainmap:chain_detail", kwargs={"slug": chain.slug})
    return render(request, "chainmap/maps/history/as_of.html", context)
