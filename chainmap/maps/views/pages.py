"""Pages: the dashboard, the chain list, a chain's page and a node's page."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from chainmap.accounts import permissions
from chainmap.core import cache as summaries
from chainmap.enterprises.selectors.pages import enterprise_rows_key
from chainmap.maps.selectors import pages as selectors
from chainmap.maps.selectors import todo as selectors_todo
from chainmap.matching import selectors as selectors_rounds
from chainmap.models import Chain


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    # Rendered once per viewer until the next write anywhere (``{% viewer_cache %}``): the data is
    # read only when the fragment is rendered. The matching follow-up is officials' work:
    # subscribers see rounds, not the dashboard's funnel.
    context = {
        "dashboard": SimpleLazyObject(lambda: selectors.dashboard(user=user, today=today)),
        "conversion": SimpleLazyObject(
            lambda: (
                selectors_rounds.conversion_summary(user=user, today=today)
                if permissions.can_run_round(user=user)
                else None
            )
        ),
        "todo": SimpleLazyObject(lambda: selectors_todo.todo(user=user)),
    }
    return render(request, "chainmap/maps/dashboard.html", context)


@require_safe
def chain_list(request: HttpRequest) -> HttpResponse:
    # Read only when the page's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    data = cast(selectors.ChainList, SimpleLazyObject(lambda: selectors.chain_list(user=request.user)))
    context = {"chains": SimpleLazyObject(lambda: data.chains), "clusters": SimpleLazyObject(lambda: data.clusters)}
    return render(request, "chainmap/maps/chain_list.html", context)


@require_safe
def chain_detail(request: HttpRequest, slug: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    # Read only when the page's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    page = SimpleLazyObject(lambda: selectors.chain_page(user=request.user, chain=chain, today=timezone.localdate()))
    return render(request, "chainmap/maps/chain_detail.html", {"chain": chain, "page": page})


@require_safe
def node_detail(request: HttpRequest, code: str) -> HttpResponse:
    node = get_object_or_404(selectors.node_queryset(user=request.user), code=code.upper())
    # Read only when the page's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    page = cast(selectors.NodePage, SimpleLazyObject(lambda: selectors.node_page(user=request.user, node=node)))
    placements = SimpleLazyObject(
        lambda: summaries.CountedPaginator(page.placements, settings.CHAINMAP["ENTERPRISE_PAGE_SIZE"]).get_page(
            request.GET.get("page")
        )
    )
    context = {
        "node": node,
        "page": page,
        "placements": placements,
        "results_key": enterprise_rows_key(user=request.user),
    }
    return render(request, "chainmap/maps/node_detail.html", context)
