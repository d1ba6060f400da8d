"""Pages: the enterprise list and search, and an enterprise's page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from chainmap.accounts import permissions
from chainmap.core import cache as summaries
from chainmap.core.http import is_htmx_partial
from chainmap.core.validators import normalize_credit_code
from chainmap.enterprises.forms.enterprises import EnterpriseFilterForm
from chainmap.enterprises.forms.profiles import PlacementProposeForm
from chainmap.enterprises.selectors import pages as selectors
from chainmap.enterprises.selectors import profiles as selectors_profiles
from chainmap.enterprises.selectors.pages import enterprise_rows_key


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
    context = {"form": form, "page_obj": page_obj, "results_key": enterprise_rows_key(user=request.user)}
    if is_htmx_partial(request):
        response = render(request, "chainmap/enterprises/_results.html", {**context, "oob": True})
    else:
        response = render(request, "chainmap/enterprises/list.html", context)
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
        "chainmap/enterprises/detail.html",
        {
            "enterprise": enterprise,
            "page": page,
            "show_contacts": show_contacts,
            "propose_form": propose_form,
            "reviewable_ids": reviewable_ids,
            "can_edit_enterprise": permissions.can_edit_enterprise(user=request.user, enterprise=enterprise),
        },
    )
