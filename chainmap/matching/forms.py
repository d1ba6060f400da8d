"""Forms of the matching-round and calendar pages: they parse and validate; services decide."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from chainmap.core.widgets import IsoDateInput
from chainmap.matching.services.rounds import MAX_YEAR, MIN_YEAR
from chainmap.models import Chain, Cluster, Match, Outcome, RoundKind, RoundStatus

TOP_CHOICES = [("5", "5"), ("10", "10"), ("20", "20")]
# ``<input type="month">`` sends YYYY-MM; a browser without it lets people type that, or a full date.
PERIOD_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*$")
# What the round page keeps in its links back (after an outcome is saved without htmx).
ROUND_PAGE_PARAMS = ("region", "target", "top", "page")


def parse_period(value: Any) -> dt.date | None:
    """The first day of the month written as ``YYYY-MM`` (or ``YYYY-MM-DD``); None if it is not one."""
    match = PERIOD_PATTERN.match(str(value or ""))
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def round_page_query(raw: str) -> str:
    """The round page's own query parameters out of ``raw`` (anything else dropped), re-encoded."""
    source = QueryDict(raw[:500])
    kept = QueryDict(mutable=True)
    for name in ROUND_PAGE_PARAMS:
        value = source.get(name, "")
        if value and len(value) <= 20:
            kept[name] = value
    return kept.urlencode()


class RoundCreateForm(forms.Form):
    """The rounds list's "new round": kind, month (any month of a quarter for a cluster round) and
    the chain or cluster, by default the calendar's."""

    kind = forms.ChoiceField(label=_("Kind"), choices=RoundKind.choices)
    period = forms.CharField(
        label=_("Month"),
        max_length=10,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-12", "pattern": r"\d{4}-\d{2}"}),
    )
    subject = forms.TypedChoiceField(label=_("Chain"), coerce=int, required=False, empty_value=None)

    def __init__(
        self, *args: Any, kind: str = RoundKind.CHAIN_MONTH, subjects: Sequence[Chain | Cluster] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "round-new-%s")
        super().__init__(*args, **kwargs)
        subject = cast(forms.TypedChoiceField, self.fields["subject"])
        subject.label = _("Chain") if kind == RoundKind.CHAIN_MONTH else _("Cluster")
        subject.choices = [("", _("As the calendar says")), *[(s.pk, s.name) for s in subjects]]

    def clean_period(self) -> dt.date:
        period = parse_period(self.cleaned_data["period"])
        if period is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-12."))
        return period


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
        label=_("Top candidates"),
        choices=TOP_CHOICES,
        coerce=int,
        required=False,
        empty_value=5,  # type: ignore[arg-type]  # the stubs allow only str | None; Django returns any value as is
    )


class HoldForm(forms.Form):
    held_on = forms.DateField(label=_("Meeting held on"), widget=IsoDateInput())


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
