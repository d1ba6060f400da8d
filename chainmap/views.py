"""Web pages. Each view parses the request, fetches its object over a ``visible_to`` queryset
(invisible → 404), calls a selector and renders."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from chainmap import permissions, roles, selectors, selectors_profiles, selectors_rounds, selectors_todo, summaries
from chainmap.forms import EnterpriseFilterForm
from chainmap.forms_profiles import PlacementProposeForm
from chainmap.models import Chain
from chainmap.validators import normalize_credit_code


def _is_htmx_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment; a history restore wants the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


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
    return render(request, "chainmap/dashboard.html", context)


@require_safe
def chain_list(request: HttpRequest) -> HttpResponse:
    # Read only when the page's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    data = SimpleLazyObject(lambda: selectors.chain_list(user=request.user))
    context = {"chains": SimpleLazyObject(lambda: data.chains), "clusters": SimpleLazyObject(lambda: data.clusters)}
    return render(request, "chainmap/chain_list.html", context)


@require_safe
def chain_detail(request: HttpRequest, slug: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    # Read only when the page's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    page = SimpleLazyObject(lambda: selectors.chain_page(user=request.user, chain=chain, today=timezone.localdate()))
    return render(request, "chainmap/chain_detail.html", {"chain": chain, "page": page})


@require_safe
def node_detail(request: HttpRequest, code: str) -> HttpResponse:
    node = get_object_or_404(selectors.node_queryset(user=request.user), code=code.upper())
    # Read only when the page's fragment is rendered (``{% viewer_cache %}``), not when it is cached.
    page = SimpleLazyObject(lambda: selectors.node_page(user=request.user, node=node))
    placements = SimpleLazyObject(
        lambda: summaries.CountedPaginator(page.placements, settings.CHAINMAP["ENTERPRISE_PAGE_SIZE"]).get_page(
            request.GET.get("page")
        )
    )
    context = {"node": node, "page": page, "placements": placements, "results_key": _results_key(request)}
    return render(request, "chainmap/node_detail.html", context)


def _results_key(request: HttpRequest) -> str:
    """What the cached enterprise rows depend on besides the query string: the enterprise data's
    version and who looks (officials see every row alike; anyone else only their own)."""
    viewer = roles.role_of(request.user) if roles.is_official(request.user) else f"user-{request.user.pk}"
    return f"{summaries.table_version('enterprises')}:{viewer}"


@require_safe
def enterprise_list(request: HttpRequest) -> HttpResponse:
    form = EnterpriseFilterForm(data=request.GET, user=request.user)
    page_obj = None
    if form.is_valid():
        filters = form.filters()
        # Read only when the results are rendered (``{% viewer_cache %}``, ``{% cache %}``).
        page_obj = SimpleLazyObject(
            lambda: summaries.CountedPaginator(
                selectors.enterprise_list(user=request.user, **filters), settings.CHAINMAP["ENTERPRISE_PAGE_SIZE"]
            ).get_page(request.GET.get("page"))
        )
    context = {"form": form, "page_obj": page_obj, "results_key": _results_key(request)}
    if _is_htmx_partial(request):
        response = render(request, "chainmap/_enterprise_results.html", {**context, "oob": True})
    else:
        response = render(request, "chainmap/enterprise_list.html", context)
    # The same URL answers a fragment or a page: caches and the browser's history must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def enterprise_detail(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = get_object_or_404(
        selectors.enterprise_queryset(user=request.user), credit_code=normalize_credit_code(credit_code)
    )
    page = selectors.enterprise_page(user=request.user, enterprise=enterprise)
    show_contacts = permissions.can_view_enterprise_contacts(user=request.user, enterprise=enterprise)
    can_propose = permissions.can_propose_placement(user=request.user, enterprise=enterprise)
    propose_form = None
    if can_propose:
        propose_form = PlacementProposeForm(options=selectors_profiles.node_options(user=request.user))
    reviewable_ids = selectors_profiles.reviewable_placement_ids(user=request.user, placements=page.placements)
    return render(
        request,
        "chainmap/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "page": page,
            "show_contacts": show_contacts,
            "propose_form": propose_form,
            "reviewable_ids": reviewable_ids,
            "can_edit_enterprise": permissions.can_edit_enterprise(user=request.user, enterprise=enterprise),
        },
    )
