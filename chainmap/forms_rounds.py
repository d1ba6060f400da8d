"""Forms of the matching-round and calendar pages: they parse and validate; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chainmap.models import Match, Outcome, RoundKind, RoundStatus
from chainmap.services.rounds import MAX_YEAR, MIN_YEAR

TOP_CHOICES = [("5", "5"), ("10", "10"), ("20", "20")]


class RoundFilterForm(forms.Form):
    """The rounds list's filters, from the query string (``?kind=chain_month&year=2026&status=matched``)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All")), *RoundKind.choices], required=False)
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *RoundStatus.choices], required=False)


class MatchFilterForm(forms.Form):
    """The round page's filters: candidates of one region, bottlenecks or needs, how many ranks."""

    region = forms.ChoiceField(
        label=_("Candidate region"),
        choices=[("", _("All")), ("BJ", _("Beijing")), ("TJ", _("Tianjin")), ("HE", _("Hebei"))],
        required=False,
    )
    target = forms.ChoiceField(
        label=_("Show"),
        choices=[("", _("Bottlenecks and needs")), ("bottleneck", _("Bottlenecks")), ("need", _("Technology needs"))],
        required=False,
    )
    top = forms.TypedChoiceField(
        label=_("Top candidates"), choices=TOP_CHOICES, coerce=int, required=False, empty_value=5
    )


class HoldForm(forms.Form):
    held_on = forms.DateField(label=_("Meeting held on"), widget=forms.DateInput(attrs={"type": "date"}))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, required=False)
    note = forms.CharField(
        label=_("Note"), max_length=Match._meta.get_field("outcome_note").max_length, required=False, strip=True
    )


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)


class CalendarEntryForm(forms.Form):
    kind = forms.ChoiceField(choices=RoundKind.choices)
    period = forms.DateField()
    subject = forms.IntegerField(label=_("Subject"), min_value=1)


class CalendarFillForm(forms.Form):
    kind = forms.ChoiceField(choices=RoundKind.choices)
    year = forms.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)
