"""Pages of the challenges (揭榜挂帅 / 赛马制) and their applications.

Challenges and applications are fetched over ``projects.challenges.selectors`` (invisible → 404); every action is
decided by ``projects.challenges.permissions`` (→ 403) and carried out by ``projects.challenges.services``, whose
ValidationErrors come back as messages (or form errors) naming the field.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import ChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chainmap.accounts.permissions import leading_region_ids
from chainmap.bottlenecks.models import BottleneckStatus
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.exceptions import validation_message
from chainmap.core.http import refused
from chainmap.maps.forms import apply_service_errors
from chainmap.models import Bottleneck
from projects import models as pm
from projects.challenges import permissions, selectors
from projects.challenges import services as service
from projects.challenges.forms import (
    ApplicationForm,
    AwardForm,
    ChallengeFilterForm,
    ChallengeForm,
    DecisionForm,
    PhaseForm,
    ScoreForm,
)

PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _form_error_text(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(str(e) for e in errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )


def _challenge_or_404(request: HttpRequest, code: str) -> pm.Challenge:
    return get_object_or_404(selectors.challenge_queryset(user=request.user), code=code)


def _application_or_404(request: HttpRequest, pk: int) -> pm.Application:
    return get_object_or_404(
        pm.Application.objects.visible_to(request.user).select_related(
            "challenge", "challenge__bottleneck", "challenge__bottleneck__chain", "enterprise"
        ),
        pk=pk,
    )


def _detail_url(challenge: pm.Challenge) -> str:
    return reverse("projects:challenge_detail", args=[challenge.code])


def _creatable_bottlenecks(user: Actor) -> QuerySet[Bottleneck]:
    """Bottlenecks the user may put a challenge on: not yet broken through, on chains they may edit."""
    bottlenecks = Bottleneck.objects.visible_to(user).exclude(
        status__in=[BottleneckStatus.BREAKTHROUGH, BottleneckStatus.ACCEPTED]
    )
    if not roles.is_joint_office(user):
        region_id = roles.official_region_id(user)
        led = [chain_id for chain_id, leader in leading_region_ids().items() if leader == region_id]
        bottlenecks = bottlenecks.filter(chain_id__in=led) if region_id is not None else bottlenecks.none()
    return bottlenecks.order_by("chain__position", "code")


# --- list and detail ----------------------------------------------------------------------------


@require_safe
def challenge_list(request: HttpRequest) -> HttpResponse:
    if roles.role_of(request.user) is None:
        raise PermissionDenied
    statuses = (
        pm.ChallengeStatus.choices
        if roles.is_official(request.user)
        else [c for c in pm.ChallengeStatus.choices if c[0] != pm.ChallengeStatus.DRAFT]
    )
    form = ChallengeFilterForm(data=request.GET, statuses=statuses)
    page_obj = None
    if form.is_valid():
        challenges = selectors.challenge_list(
            user=request.user,
            chain=form.cleaned_data["chain"] or None,
            mechanism=form.cleaned_data["mechanism"] or None,
            status=form.cleaned_data["status"] or None,
        )
        page_obj = Paginator(challenges, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page_obj,
        "can_create": _creatable_bottlenecks(request.user).exists() if roles.is_official(request.user) else False,
    }
    template = "projects/challenges/_results.html" if _is_htmx(request) else "projects/challenges/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def challenge_detail(request: HttpRequest, code: str) -> HttpResponse:
    challenge = _challenge_or_404(request, code)
    page = selectors.challenge_page(user=request.user, challenge=challenge)
    award_choices = []
    if page.can_manage and challenge.status == pm.ChallengeStatus.REVIEWING:
        eligible = (
            (pm.ApplicationStatus.FUNDED,) if challenge.mechanism == pm.ChallengeMechanism.SAIMA else service.IN_RACE
        )
        award_choices = [
            (row.application.pk, row.application.enterprise.name)
            for row in page.rows
            if row.application.status in eligible
        ]
    context = {
        "challenge": challenge,
        "page": page,
        "phase_form": PhaseForm(),
        "award_form": AwardForm(choices=award_choices),
        "award_choices": award_choices,
        "decision_choices": cast(ChoiceField, DecisionForm.base_fields["decision"]).choices,
        "criteria": pm.Criterion.choices,
    }
    return render(request, "projects/challenges/detail.html", context)


# --- create and edit ----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def challenge_create(request: HttpRequest) -> HttpResponse:
    bottlenecks = _creatable_bottlenecks(request.user)
    if not roles.is_official(request.user) or not bottlenecks.exists():
        raise PermissionDenied
    initial = {"bottleneck": request.GET.get("bottleneck")} if request.GET.get("bottleneck") else None
    form = ChallengeForm(request.POST or None, bottlenecks=bottlenecks, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = service.challenge_create(user=request.user, data=form.to_input())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Challenge %(code)s created as a draft.") % {"code": challenge.code})
            return redirect(_detail_url(challenge))
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/challenges/form.html", {"form": form, "challenge": None}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def challenge_edit(request: HttpRequest, code: str) -> HttpResponse:
    challenge = _challenge_or_404(request, code)
    service.check_can_manage_challenge(user=request.user, challenge=challenge)  # 403, as the API
    try:
        service.check_challenge_editable(challenge=challenge)
    except ValidationError as error:  # under review or later: 400 naming the status, as the API
        return refused(request, error, back=_detail_url(challenge))
    initial = {
        "mechanism": challenge.mechanism,
        "title": challenge.title,
        "description": challenge.description,
        "budget": challenge.budget,
        "max_funded_teams": challenge.max_funded_teams,
        "deadline": challenge.deadline,
    }
    form = ChallengeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            service.challenge_update(challenge_id=challenge.pk, user=request.user, changes=form.to_input())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Challenge %(code)s saved.") % {"code": challenge.code})
            return redirect(_detail_url(challenge))
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/challenges/form.html", {"form": form, "challenge": challenge}, status=status)


# --- lifecycle actions --------------------------------------------------------------------------


def _lifecycle(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """A lifecycle button of the detail page. A bad form or a refusal of the service answers 400 with
    its reason and a link back, as the API answers the same case."""
    challenge = _challenge_or_404(request, code)
    service.check_can_manage_challenge(user=request.user, challenge=challenge)  # 403, as the API
    try:
        if action == "publish":
            service.challenge_publish(challenge_id=challenge.pk, user=request.user)
            messages.success(request, _("The challenge is published: enterprises may apply."))
        elif action == "review":
            service.challenge_start_review(challenge_id=challenge.pk, user=request.user)
            messages.success(request, _("Applications are closed; the review has started."))
        elif action == "award":
            choices = [(a.pk, str(a.pk)) for a in challenge.applications.all()]
            award_form = AwardForm(data=request.POST, choices=choices)
            if not award_form.is_valid():
                raise ValidationError(_form_error_text(award_form))
            winners = award_form.cleaned_data["winners"] or None
            service.challenge_award(challenge_id=challenge.pk, user=request.user, winner_ids=winners)
            messages.success(request, _("The challenge is awarded."))
        elif action == "phase":
            phase_form = PhaseForm(data=request.POST)
            if not phase_form.is_valid():
                raise ValidationError(_form_error_text(phase_form))
            service.phase_save(challenge_id=challenge.pk, user=request.user, data=phase_form.to_input())
            messages.success(request, _("The phase gate is saved."))
        else:
            service.challenge_close(challenge_id=challenge.pk, user=request.user)
            messages.success(request, _("The challenge is closed."))
    except ValidationError as exc:
        return refused(request, exc, back=_detail_url(challenge))
    return redirect(_detail_url(challenge))


@require_POST
def challenge_publish(request: HttpRequest, code: str) -> HttpResponse:
    return _lifecycle(request, code, "publish")


@require_POST
def challenge_start_review(request: HttpRequest, code: str) -> HttpResponse:
    return _lifecycle(request, code, "review")


@require_POST
def challenge_award(request: HttpRequest, code: str) -> HttpResponse:
    return _lifecycle(request, code, "award")


@require_POST
def challenge_close(request: HttpRequest, code: str) -> HttpResponse:
    return _lifecycle(request, code, "close")


@require_POST
def challenge_phase_save(request: HttpRequest, code: str) -> HttpResponse:
    return _lifecycle(request, code, "phase")


# --- applications -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def challenge_apply(request: HttpRequest, code: str) -> HttpResponse:
    challenge = _challenge_or_404(request, code)
    if not permissions.can_apply(user=request.user, challenge=challenge):
        raise PermissionDenied
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.application_submit(challenge_id=challenge.pk, user=request.user, data=form.to_input())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your application is submitted."))
            return redirect(_detail_url(challenge))
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/challenges/apply.html", {"form": form, "challenge": challenge}, status=status)


@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_or_404(request, pk)
    if roles.member_enterprise_id(request.user) != application.enterprise_id:
        raise PermissionDenied
    try:
        service.application_withdraw(application_id=application.pk, user=request.user)
    except ValidationError as exc:  # 400 with the reason, as the API
        return refused(request, exc, back=_detail_url(application.challenge))
    messages.success(request, _("Your application is withdrawn."))
    return redirect(_detail_url(application.challenge))


@require_http_methods(["GET", "HEAD", "POST"])
def application_score(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_or_404(request, pk)
    service.check_can_score(user=request.user, application=application)  # 403, as the API
    try:
        service.check_challenge_reviewing(challenge=application.challenge)
    except ValidationError as error:  # not under review: 400 naming the status, as the API
        return refused(request, error, back=_detail_url(application.challenge))
    mine = {s.criterion: s for s in pm.ReviewScore.objects.filter(application=application, reviewer_id=request.user.pk)}
    initial: dict[str, Any] = {}
    for criterion, score in mine.items():
        initial[f"score_{criterion}"] = score.score
        initial[f"comment_{criterion}"] = score.comment
    form = ScoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.application_score(application_id=application.pk, reviewer=request.user, scores=form.scores())
        except ValidationError as error:
            form.add_error(None, validation_message(error))
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect(_detail_url(application.challenge))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "application": application, "challenge": application.challenge}
    return render(request, "projects/challenges/score.html", context, status=status)


@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application_or_404(request, pk)
    service.check_can_manage_challenge(user=request.user, challenge=application.challenge)  # 403, as the API
    form = DecisionForm(data=request.POST)
    back = _detail_url(application.challenge)
    if not form.is_valid():
        return refused(request, ValidationError(_form_error_text(form)), back=back)
    try:
        service.application_decide(
            application_id=application.pk,
            user=request.user,
            decision=form.cleaned_data["decision"],
            phase_position=form.cleaned_data["phase"],
        )
    except ValidationError as exc:  # 400 with the reason, as the API
        return refused(request, exc, back=back)
    messages.success(request, _("The decision is recorded."))
    return redirect(back)
