"""Capability profile and placement pages: the enterprise's own profile editor, versions, and the
officials' review queues. Views parse, authorize (``chainmap.accounts.permissions``), call a service and
render; invisible objects answer 404, visible ones the user may not change 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.exceptions import ConflictError
from chainmap.core.http import refused
from chainmap.core.validators import normalize_credit_code
from chainmap.enterprises.forms.profiles import (
    NeedForm,
    OfferForm,
    PlacementProposeForm,
    PlacementReviewForm,
    ProfileForm,
    ReviewCommentForm,
)
from chainmap.enterprises.selectors import pages as selectors
from chainmap.enterprises.selectors import profiles as selectors_profiles
from chainmap.enterprises.services import placements as placement_services
from chainmap.enterprises.services import profiles as services
from chainmap.models import CapabilityProfile, Enterprise, Placement, SupplyOffer, TechnologyNeed

QUEUE_PAGE_SIZE = 20


def _member_enterprise(request: HttpRequest) -> Enterprise:
    """The enterprise the user is a member of; anyone else has no "my profile" (404)."""
    enterprise_id = roles.member_enterprise_id(request.user)
    if enterprise_id is None:
        raise Http404
    return get_object_or_404(selectors.enterprise_queryset(user=request.user), pk=enterprise_id)


def _refused_change(request: HttpRequest, profile: CapabilityProfile) -> HttpResponse | None:
    """The service's check of a change to the version (``check_profile_editable``), before a page shows
    or takes its form: not a member → 403 (raised); a version no longer editable → its refusal (400),
    the API's answer to the same request."""
    try:
        services.check_profile_editable(profile=profile, user=request.user)
    except ValidationError as exc:
        return refused(request, exc, back=reverse("chainmap:my_profile"))
    return None


def _visible_profile(request: HttpRequest, pk: int) -> CapabilityProfile:
    return get_object_or_404(
        CapabilityProfile.objects.visible_to(request.user).select_related("enterprise", "enterprise__region"), pk=pk
    )


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# --- my profile --------------------------------------------------------------------------------


def _my_profile_page(
    request: HttpRequest,
    enterprise: Enterprise,
    *,
    profile_form: ProfileForm | None = None,
    conflict: CapabilityProfile | None = None,
    status: int = 200,
) -> HttpResponse:
    data = selectors_profiles.my_profile(user=request.user, enterprise=enterprise)
    working = data.working.profile if data.working else None
    editable = working is not None and working.status in services.EDITABLE_STATUSES
    if editable and working is not None and profile_form is None:  # (editable implies a working version)
        profile_form = ProfileForm(initial=ProfileForm.initial_for(working))
    context = {
        "enterprise": enterprise,
        "data": data,
        "editable": editable,
        "can_edit": permissions.can_edit_profile(user=request.user, enterprise=enterprise),
        "profile_form": profile_form if editable else None,
        "conflict": conflict,
    }
    return render(request, "chainmap/enterprises/profile/my_profile.html", context, status=status)


@require_safe
def my_profile(request: HttpRequest) -> HttpResponse:
    return _my_profile_page(request, _member_enterprise(request))


@require_POST
def profile_start(request: HttpRequest) -> HttpResponse:
    enterprise = _member_enterprise(request)
    services.profile_start_draft(enterprise_id=enterprise.pk, user=request.user)
    return redirect("chainmap:my_profile")


@require_POST
def profile_update(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _visible_profile(request, pk)
    if (refusal := _refused_change(request, profile)) is not None:
        return refusal
    form = ProfileForm(data=request.POST)
    if form.is_valid():
        try:
            services.profile_update(
                profile_id=profile.pk,
                user=request.user,
                expected_edit_version=form.cleaned_data["edit_version"],
                changes=form.to_input(),
            )
        except ConflictError as exc:
            # Keep what the user typed, point the form at the current version: saving again
            # is then a deliberate overwrite, after seeing the other change.
            data = request.POST.copy()
            data["edit_version"] = str(exc.current.edit_version)
            form = ProfileForm(data=data)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else saved this profile since you opened it. Your changes were not saved: "
                    "compare with the saved version below, then save again to replace it."
                ),
            )
            return _my_profile_page(request, profile.enterprise, profile_form=form, conflict=exc.current, status=409)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("chainmap:my_profile")
    return _my_profile_page(request, profile.enterprise, profile_form=form, status=400)


@require_POST
def profile_submit(request: HttpRequest, pk: int) -> HttpResponse:
    # Invisible → 404 here; the rest is the service's check, as the API's: not a member → 403, a
    # version not editable or without content → 400 naming the field.
    profile = _visible_profile(request, pk)
    try:
        services.profile_submit(profile_id=profile.pk, user=request.user)
    except ValidationError as exc:
        return refused(request, exc, back=reverse("chainmap:my_profile"))
    messages.success(request, _("Profile submitted for review."))
    return redirect("chainmap:my_profile")


@require_POST
def profile_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _visible_profile(request, pk)  # the rest: the service's check, as for profile_submit
    try:
        services.profile_withdraw(profile_id=profile.pk, user=request.user)
    except ValidationError as exc:
        return refused(request, exc, back=reverse("chainmap:my_profile"))
    messages.success(request, _("Submission withdrawn: the version is a draft again."))
    return redirect("chainmap:my_profile")


# --- offers and needs --------------------------------------------------------------------------

ITEM_KINDS: dict[str, dict[str, Any]] = {
    "offer": {
        "model": SupplyOffer,
        "form": OfferForm,
        "save": services.offer_save,
        "delete": services.offer_delete,
        "id_arg": "offer_id",
        "fields": ("node", "title", "description", "trl"),
    },
    "need": {
        "model": TechnologyNeed,
        "form": NeedForm,
        "save": services.need_save,
        "delete": services.need_delete,
        "id_arg": "need_id",
        "fields": ("node", "title", "description", "is_bottleneck", "status"),
    },
}


def _item_page(request: HttpRequest, kind: str, profile: CapabilityProfile, item: Any | None) -> HttpResponse:
    spec = ITEM_KINDS[kind]
    try:
        services.check_profile_editable(profile=profile, user=request.user)  # not a member → 403
    except ValidationError as exc:
        if request.method == "POST":
            return refused(request, exc, back=reverse("chainmap:my_profile"))  # as the API answers
        messages.error(request, _("Only a draft or returned version can be changed."))
        return redirect("chainmap:my_profile")
    options = selectors_profiles.node_options(user=request.user)
    if request.method == "POST":
        form = spec["form"](data=request.POST, options=options)
        if form.is_valid():
            ids = {spec["id_arg"]: item.pk} if item is not None else {}
            try:
                spec["save"](profile_id=profile.pk, user=request.user, data=form.to_input(), **ids)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("chainmap:my_profile")
        status = 400
    else:
        initial = {}
        if item is not None:
            initial = {name: getattr(item, name) for name in spec["fields"]}
            initial["node"] = item.node.code
        form = spec["form"](initial=initial, options=options)
        status = 200
    context = {"kind": kind, "form": form, "profile": profile, "item": item}
    return render(request, "chainmap/enterprises/profile/item_form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def item_create(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    return _item_page(request, kind, _visible_profile(request, pk), None)


def _visible_item(request: HttpRequest, kind: str, pk: int) -> Any:
    model = ITEM_KINDS[kind]["model"]
    visible = CapabilityProfile.objects.visible_to(request.user)
    return get_object_or_404(
        model.objects.filter(profile__in=visible).select_related("node", "profile", "profile__enterprise"), pk=pk
    )


@require_http_methods(["GET", "HEAD", "POST"])
def item_edit(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    item = _visible_item(request, kind, pk)
    return _item_page(request, kind, item.profile, item)


@require_POST
def item_delete(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    # Invisible → 404 here; the rest is the service's check, as the API's (403, or 400 naming ``status``).
    item = _visible_item(request, kind, pk)
    try:
        ITEM_KINDS[kind]["delete"](**{ITEM_KINDS[kind]["id_arg"]: item.pk}, user=request.user)
    except ValidationError as exc:
        return refused(request, exc, back=reverse("chainmap:my_profile"))
    messages.success(request, _("Deleted."))
    return redirect("chainmap:my_profile")


# --- versions ----------------------------------------------------------------------------------


@require_safe
def profile_version(request: HttpRequest, credit_code: str, version: int) -> HttpResponse:
    enterprise = get_object_or_404(
        selectors.enterprise_queryset(user=request.user), credit_code=normalize_credit_code(credit_code)
    )
    profile = get_object_or_404(
        CapabilityProfile.objects.visible_to(request.user).select_related("reviewed_by"),
        enterprise=enterprise,
        version=version,
    )
    context = {"enterprise": enterprise, "version": selectors_profiles.version(profile=profile)}
    return render(request, "chainmap/enterprises/profile/version.html", context)


# --- profile review ----------------------------------------------------------------------------


def _officials_only(request: HttpRequest) -> None:
    if not roles.is_official(request.user):
        raise PermissionDenied


@require_safe
def profile_review_queue(request: HttpRequest) -> HttpResponse:
    _officials_only(request)
    page = Paginator(selectors_profiles.profile_review_queryset(user=request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors_profiles.profile_review_rows(user=request.user, profiles=list(page.object_list))
    context = {"page_obj": page, "rows": rows, "comment_form": ReviewCommentForm()}
    return render(request, "chainmap/enterprises/profile/review_queue.html", context)


def _review(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    # Invisible → 404 here; everything else is the service's one check (``_reviewable_profile``), the
    # same as the API's: not a reviewer → 403, a version no longer submitted or a bad comment → 400.
    profile = _visible_profile(request, pk)
    queue = reverse("chainmap:profile_review_queue")
    form = ReviewCommentForm(data=request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        comment = form.cleaned_data["comment"]
        if approve:
            services.profile_approve(profile_id=profile.pk, reviewer=request.user, comment=comment)
        else:
            services.profile_return(profile_id=profile.pk, reviewer=request.user, comment=comment)
    except ValidationError as exc:
        return refused(request, exc, back=queue)
    else:
        done = _("Profile of %(name)s approved.") if approve else _("Profile of %(name)s returned.")
        messages.success(request, done % {"name": profile.enterprise.name})
    return _back(request, queue)


@require_POST
def profile_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, approve=True)


@require_POST
def profile_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, approve=False)


# --- placements --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def placement_propose(request: HttpRequest, credit_code: str) -> HttpResponse:
    enterprise = get_object_or_404(
        selectors.enterprise_queryset(user=request.user), credit_code=normalize_credit_code(credit_code)
    )
    if not permissions.can_propose_placement(user=request.user, enterprise=enterprise):
        raise PermissionDenied
    options = selectors_profiles.node_options(user=request.user)
    status = 200
    if request.method == "POST":
        form = PlacementProposeForm(data=request.POST, options=options)
        if form.is_valid():
            try:
                placement_services.placement_propose(
                    enterprise_id=enterprise.pk, user=request.user, data=form.to_input()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Placement proposed: it waits for confirmation by the region's officials."))
                return redirect("chainmap:enterprise_detail", credit_code=enterprise.credit_code)
        status = 400
    else:
        form = PlacementProposeForm(options=options)
    return render(
        request,
        "chainmap/enterprises/profile/placement_propose.html",
        {"enterprise": enterprise, "form": form},
        status=status,
    )


@require_safe
def placement_review_queue(request: HttpRequest) -> HttpResponse:
    _officials_only(request)
    page = Paginator(selectors_profiles.placement_review_queryset(user=request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    reviewable = selectors_profiles.reviewable_placement_ids(user=request.user, placements=rows)
    context = {"page_obj": page, "rows": rows, "reviewable_ids": reviewable}
    return render(request, "chainmap/enterprises/profile/placement_queue.html", context)


@require_POST
def placement_review(request: HttpRequest, pk: int) -> HttpResponse:
    # Invisible → 404 here; everything else is the service's one check, the same as the API's: not a
    # reviewer → 403, a bad status or comment → 400 (a refusal page), a stale version → a message.
    placement = get_object_or_404(
        Placement.objects.visible_to(request.user).select_related("enterprise", "node"), pk=pk
    )
    default = reverse("chainmap:enterprise_detail", args=[placement.enterprise.credit_code])
    form = PlacementReviewForm(data=request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)  # 400, as the API answers a bad body
        placement_services.placement_review(
            placement_id=placement.pk,
            user=request.user,
            data=form.to_input(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except ConflictError as exc:
        current = exc.current
        messages.error(
            request,
            _(
                "Someone else changed this placement meanwhile (it is now %(status)s); nothing was saved. "
                "Check it and decide again."
            )
            % {"status": current.get_status_display()},
        )
    except ValidationError as exc:
        return refused(request, exc, back=default)
    else:
        messages.success(request, _("Placement reviewed."))
    return _back(request, default)
