"""The leadership calendar: every chain's terms, today's leader and the next handover; the joint
office edits a term or regenerates a chain's future terms from a new rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from chainmap.accounts import permissions
from chainmap.core.widgets import IsoDateInput
from chainmap.leadership.services import calendar as term_services
from chainmap.maps.selectors import history as selectors_history
from chainmap.models import Chain, LeadershipTerm, Region, RotationRule

REASON_MAX_LENGTH = 500


@require_safe
def leadership(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    calendars = selectors_history.leadership_calendar(user=request.user, today=today)
    return render(
        request,
        "chainmap/leadership/calendar.html",
        {
            "calendars": calendars,
            "today": today,
            "can_manage": permissions.can_manage_calendars(user=request.user),
            "can_view_history": permissions.can_view_history(user=request.user),
        },
    )


class TermForm(forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("Leading region"), queryset=Region.objects.all())
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=IsoDateInput())
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=IsoDateInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=REASON_MAX_LENGTH)

    def to_input(self) -> term_services.TermInput:
        """The term's region and dates as the service's input (the same the API's serializer produces)."""
        data = self.cleaned_data
        return term_services.TermInput(
            region_id=data["region"].pk, starts_on=data["starts_on"], ends_on=data["ends_on"]
        )


class RegenerateForm(forms.Form):
    starts_on = forms.DateField(label=gettext_lazy("New rule from"), widget=IsoDateInput())
    order = forms.CharField(
        label=gettext_lazy("Region order"), max_length=20, help_text=gettext_lazy("Region codes, e.g. BJ,TJ,HE")
    )
    term_months = forms.IntegerField(label=gettext_lazy("Term length (months)"), min_value=1, max_value=24)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=REASON_MAX_LENGTH)

    def clean_order(self) -> list[str]:
        return [
            code.strip().upper() for code in self.cleaned_data["order"].replace("，", ",").split(",") if code.strip()
        ]

    def to_input(self) -> term_services.RuleInput:
        """The new rule as the service's input (the same the API's serializer produces)."""
        data = self.cleaned_data
        return term_services.RuleInput(
            starts_on=data["starts_on"], order=tuple(data["order"]), term_months=data["term_months"]
        )


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field errors on the form's fields (unknown fields on the form itself)."""
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _manageable_term(request: HttpRequest, pk: int) -> LeadershipTerm:
    term = get_object_or_404(LeadershipTerm.objects.visible_to(request.user).select_related("chain", "region"), pk=pk)
    if not permissions.can_manage_calendars(user=request.user):
        raise PermissionDenied
    return term


@require_http_methods(["GET", "HEAD", "POST"])
def term_edit(request: HttpRequest, pk: int) -> HttpResponse:
    term = _manageable_term(request, pk)
    if request.method == "POST":
        form = TermForm(data=request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                term_services.term_update(
                    term_id=term.pk,
                    user=request.user,
                    reason=data["reason"],
                    changes=form.to_input(),
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The leadership calendar was updated."))
                return redirect(reverse("chainmap:leadership") + f"#chain-{term.chain.slug}")
        status = 400
    else:
        form = TermForm(initial={"region": term.region_id, "starts_on": term.starts_on, "ends_on": term.ends_on})
        status = 200
    return render(request, "chainmap/leadership/term_form.html", {"term": term, "form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def terms_regenerate(request: HttpRequest, slug: str) -> HttpResponse:
    chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug)
    if not permissions.can_manage_calendars(user=request.user):
        raise PermissionDenied
    context: dict[str, Any] = {"chain": chain}
    if request.method == "POST":
        form = RegenerateForm(data=request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                term_services.terms_regenerate(
                    chain_id=chain.pk,
                    user=request.user,
                    reason=data["reason"],
                    data=form.to_input(),
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The future terms were regenerated."))
                return redirect(reverse("chainmap:leadership") + f"#chain-{chain.slug}")
        context["form"] = form
        return render(request, "chainmap/leadership/regenerate.html", context, status=400)
    rule = RotationRule.objects.filter(chain=chain).first()
    context["form"] = RegenerateForm(
        initial={
            "starts_on": timezone.localdate(),
            "order": rule.order if rule is not None else ",".join(Region.objects.values_list("code", flat=True)),
            "term_months": rule.term_months if rule is not None else None,
        }
    )
    return render(request, "chainmap/leadership/regenerate.html", context)
