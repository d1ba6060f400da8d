"""Pages of the matching rounds (一月一链 / 一季一群), their follow-up, and the calendars.

Rounds are fetched over ``MatchingRound.objects.visible_to`` (officials and subscribers; 404 for everyone else);
every action is decided by ``chainmap.accounts.permissions`` (403) and carried out by
``chainmap.matching.services.rounds``, whose ValidationErrors come back as messages naming the field.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.exceptions import validation_message
from chainmap.matching import selectors as selectors_rounds
from chainmap.matching.forms import (
    CalendarEntryForm,
    CalendarFillForm,
    CalendarYearForm,
    HoldForm,
    MatchFilterForm,
    OutcomeForm,
    RoundCreateForm,
    RoundFilterForm,
    parse_period,
    round_page_query,
)
from chainmap.matching.services import rounds as service
from chainmap.models import Match, MatchingRound, RoundKind, RoundStatus

logger = logging.getLogger(__name__)
ROUND_PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _form_error_text(form: object) -> str:
    errors = getattr(form, "errors", {})
    return " ".join(f"{name}: {' '.join(str(e) for e in field_errors)}" for name, field_errors in errors.items())


def _round_or_404(request: HttpRequest, pk: int) -> MatchingRound:
    return get_object_or_404(MatchingRound.objects.visible_to(request.user).select_related("chain", "cluster"), pk=pk)


def _round_url(round_: MatchingRound) -> str:
    return reverse("chainmap:round_detail", args=[round_.pk])


# --- rounds ------------------------------------------------------------------------------------


@require_safe
def round_list(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_reports(user=request.user):
        raise PermissionDenied
    form = RoundFilterForm(data=request.GET)
    page_obj = None
    if form.is_valid():
        rounds = selectors_rounds.round_list(
            user=request.user,
            kind=form.cleaned_data["kind"] or None,
            year=form.cleaned_data["year"],
            status=form.cleaned_data["status"] or None,
        )
        page_obj = Paginator(rounds, ROUND_PAGE_SIZE).get_page(request.GET.get("page"))
        for round_ in page_obj.object_list:
            round_.conversion = selectors_rounds.round_conversion(round_)
    context: dict[str, Any] = {"form": form, "page_obj": page_obj}
    if permissions.can_run_round(user=request.user) and not _is_htmx(request):
        context.update(_new_round_context())
    template = (
        "chainmap/matching/rounds/_round_results.html"
        if _is_htmx(request)
        else "chainmap/matching/rounds/round_list.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _new_round_context(source: Any = None, form: RoundCreateForm | None = None) -> dict[str, Any]:
    """The "new round" form and what the calendar says for its kind and month (``source``: the
    query or the posted form; by default this month's chain round)."""
    source = source or {}
    kind = source.get("kind") if source.get("kind") in RoundKind.values else RoundKind.CHAIN_MONTH
    period = parse_period(source.get("period")) or timezone.localdate().replace(day=1)
    defaults = selectors_rounds.new_round_defaults(kind=kind, period=period)
    if form is None:
        subject = source.get("subject") or defaults.subject_id or ""
        form = RoundCreateForm(
            kind=kind,
            subjects=defaults.subjects,
            initial={"kind": kind, "period": f"{period:%Y-%m}", "subject": subject},
        )
    return {"new_form": form, "new_defaults": defaults}


@require_http_methods(["GET", "HEAD", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    """GET: the "new round" form for a kind and month (htmx swaps it in when either changes); POST:
    create the period's round, or open it when it exists already."""
    if not permissions.can_run_round(user=request.user):
        raise PermissionDenied
    if request.method != "POST":
        template = (
            "chainmap/matching/rounds/_round_new.html"
            if _is_htmx(request)
            else "chainmap/matching/rounds/round_new.html"
        )
        response = render(request, template, _new_round_context(request.GET))
        patch_vary_headers(response, ["HX-Request"])
        return response
    kind = request.POST.get("kind")
    form = RoundCreateForm(
        data=request.POST,
        kind=kind if kind in RoundKind.values else RoundKind.CHAIN_MONTH,
        subjects=selectors_rounds.calendar_subjects(kind=kind if kind in RoundKind.values else RoundKind.CHAIN_MONTH),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            round_, created = service.round_create(
                kind=data["kind"], period=data["period"], subject_id=data["subject"], user=request.user
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            label = f"{round_.period:%Y-%m} {round_.chain or round_.cluster}"
            if created:
                messages.success(request, _("The round %(round)s is created.") % {"round": label})
            else:
                messages.info(request, _("The round %(round)s exists already: here it is.") % {"round": label})
            return redirect(_round_url(round_))
    context = _new_round_context(request.POST, form=form)
    return render(request, "chainmap/matching/rounds/round_new.html", context, status=400)


def _lifecycle(*, user: Actor, round_: MatchingRound, has_outcomes: bool) -> dict[str, bool]:
    """Which lifecycle buttons the page shows: only those the user may use in the round's status."""
    may = permissions.can_run_round(user=user)
    status = round_.status
    return {
        "can_open": may and status == RoundStatus.PLANNED,
        "can_match": may
        and (status in (RoundStatus.PLANNED, RoundStatus.OPEN) or (status == RoundStatus.MATCHED and not has_outcomes)),
        "can_hold": may and status == RoundStatus.MATCHED,
        "can_close": may and status == RoundStatus.HELD,
    }


@require_safe
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_or_404(request, pk)
    form = MatchFilterForm(data=request.GET)
    filters = form.cleaned_data if form.is_valid() else {"region": "", "target": "", "top": 5}
    has_outcomes = selectors_rounds.round_has_outcomes(round_=round_)

    # The matches are rendered once per viewer and query until the next write anywhere
    # (``{% viewer_cache %}``): the page of candidates is read only when they are rendered.
    def load_page() -> selectors_rounds.RoundPage:
        return selectors_rounds.round_page(
            user=request.user,
            round_=round_,
            region=filters["region"] or None,
            target=filters["target"] or None,
            top=filters["top"] or 5,
            page=request.GET.get("page"),
        )

    page = cast(selectors_rounds.RoundPage, SimpleLazyObject(load_page))  # stands in for the page it loads
    context = {
        "round": round_,
        "page": page,
        "page_obj": SimpleLazyObject(lambda: page.page_obj),
        "has_outcomes": has_outcomes,
        "back": round_page_query(request.GET.urlencode()),
        "progress": selectors_rounds.round_progress(round_=round_),
        "form": form,
        "hold_form": HoldForm(initial={"held_on": timezone.localdate()}),
        "outcome_choices": cast(forms.ChoiceField, OutcomeForm.base_fields["outcome"]).choices,
        **_lifecycle(user=request.user, round_=round_, has_outcomes=has_outcomes),
    }
    return render(request, "chainmap/matching/rounds/round_detail.html", context)


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponseRedirect:
    round_ = _round_or_404(request, pk)
    if not permissions.can_run_round(user=request.user):
        raise PermissionDenied
    try:
        if action == "open":
            service.round_open(round_id=round_.pk, user=request.user)
            messages.success(request, _("The round is open: enterprises may add needs and offers for it."))
        elif action == "match":
            _match_now(request, round_)
        elif action == "hold":
            form = HoldForm(data=request.POST)
            if not form.is_valid():
                messages.error(request, _form_error_text(form))
                return redirect(_round_url(round_))
            service.round_hold(round_id=round_.pk, user=request.user, held_on=form.cleaned_data["held_on"])
            messages.success(request, _("The round is marked as held."))
        else:
            service.round_close(round_id=round_.pk, user=request.user)
            messages.success(request, _("The round is closed."))
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
    return redirect(_round_url(round_))


def _match_now(request: HttpRequest, round_: MatchingRound) -> None:
    """Enqueue the match job (run right here when tasks are eager) and say what happened."""
    try:
        started = service.round_match_enqueue(round_id=round_.pk, user=request.user)
    except (ValidationError, PermissionDenied):
        raise
    except Exception as exc:
        # Eager tasks run the whole job inside this call, and a broker that is down fails the
        # enqueue: either way the official gets the reason on the page, not an error page.
        logger.exception("matching round %s from the page failed", round_.pk)
        service.round_job_set(round_id=round_.pk, state=service.JOB_FAILED, error=f"{type(exc).__name__}: {exc}")
        messages.error(request, _("Matching could not be run: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"})
        return
    if started is None:
        messages.warning(request, _("This round is being matched already."))
        return
    progress = selectors_rounds.round_progress(round_=round_)
    if progress.state == service.JOB_FAILED:
        messages.error(request, _("Matching failed: %(error)s") % {"error": progress.error})
    elif progress.state == selectors_rounds.REPORT_FAILED:
        messages.error(
            request,
            _("The round is matched, but its report could not be built: %(error)s") % {"error": progress.error},
        )
    elif progress.running:
        messages.success(request, _("Matching has started; this page shows its progress and then the matches."))
    else:
        messages.success(request, _("Matching is done; the report is rebuilt from the new matches."))


@require_safe
def round_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The small status fragment the round page polls every two seconds while the match job runs.
    When a polled job has finished, htmx is told to reload the page (new matches, new report)."""
    round_ = _round_or_404(request, pk)
    progress = selectors_rounds.round_progress(round_=round_)
    response = render(request, "chainmap/matching/rounds/_round_status.html", {"round": round_, "progress": progress})
    if _is_htmx(request) and request.GET.get("polling") == "1" and not progress.running:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    return _transition(request, pk, "open")


@require_POST
def round_match(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    return _transition(request, pk, "match")


@require_POST
def round_hold(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    return _transition(request, pk, "hold")


@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    return _transition(request, pk, "close")


@require_POST
def match_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a match's follow-up. htmx gets the updated table row back; a plain form a redirect."""
    match = get_object_or_404(
        Match.objects.filter(round__in=MatchingRound.objects.visible_to(request.user)).select_related("round"),
        pk=pk,
    )
    if not permissions.can_record_outcome(user=request.user, match=match):
        raise PermissionDenied
    form = OutcomeForm(data=request.POST)
    error = ""
    if form.is_valid():
        try:
            service.match_record_outcome(
                match_id=match.pk,
                user=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            error = validation_message(exc)
    else:
        error = _form_error_text(form)
    back = round_page_query(request.POST.get("back", ""))
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("The outcome is recorded."))
        return redirect(f"{_round_url(match.round)}{'?' + back if back else ''}#match-{match.pk}")
    row = selectors_rounds.match_row(user=request.user, match_id=match.pk)
    if row is None:  # re-matched meanwhile: the row is gone
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    context = {
        "match": row,
        "error": error,
        "saved": not error,
        "back": back,
        "outcome_choices": cast(forms.ChoiceField, OutcomeForm.base_fields["outcome"]).choices,
    }
    return render(request, "chainmap/matching/rounds/_match_row.html", context)


# --- calendars ---------------------------------------------------------------------------------


def _calendar_url(year: int) -> str:
    return f"{reverse('chainmap:calendars')}?year={year}"


@require_safe
def calendars(request: HttpRequest) -> HttpResponse:
    """Both calendars of a year: editable by the joint office, read-only for everyone else with a role."""
    if roles.role_of(request.user) is None:
        raise PermissionDenied
    form = CalendarYearForm(data=request.GET)
    year = (form.cleaned_data["year"] if form.is_valid() else None) or timezone.localdate().year
    page = selectors_rounds.calendar_page(year=year)
    context = {
        "page": page,
        "form": form,
        "can_edit": permissions.can_manage_calendars(user=request.user),
        "can_view_rounds": permissions.can_view_reports(user=request.user),
    }
    return render(request, "chainmap/matching/calendars.html", context)


@require_POST
def calendar_entry_set(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_calendars(user=request.user):
        raise PermissionDenied
    form = CalendarEntryForm(data=request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            service.calendar_entry_set(
                kind=data["kind"], period=data["period"], subject_id=data["subject"], user=request.user
            )
        except ValidationError as exc:
            error = validation_message(exc)
    else:
        error = _form_error_text(form)
    if not form.is_valid() or not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("The calendar is updated."))
        period = form.cleaned_data.get("period") if form.is_valid() else None
        return redirect(_calendar_url(period.year if period else timezone.localdate().year))
    kind = form.cleaned_data["kind"]
    period = service.period_start(kind=kind, day=form.cleaned_data["period"])
    row = selectors_rounds.calendar_row(kind=kind, period=period)
    subjects = selectors_rounds.calendar_subjects(kind=kind)
    context = {
        "row": row,
        "subjects": subjects,
        "can_edit": True,
        "can_view_rounds": permissions.can_view_reports(user=request.user),
        "error": error,
        "saved": not error,
    }
    return render(request, "chainmap/matching/calendars_row.html", context)


@require_POST
def calendar_fill(request: HttpRequest) -> HttpResponseRedirect:
    if not permissions.can_manage_calendars(user=request.user):
        raise PermissionDenied
    form = CalendarFillForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect(_calendar_url(timezone.localdate().year))
    try:
        service.calendar_fill_round_robin(
            kind=form.cleaned_data["kind"], year=form.cleaned_data["year"], user=request.user
        )
        messages.success(request, _("The calendar follows the default rotation again (locked periods are kept)."))
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
    return redirect(_calendar_url(form.cleaned_data["year"]))
