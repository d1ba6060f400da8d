"""Forms of the challenge pages: they parse and bound the input; ``projects.challenges.services`` decides."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chainmap.core.validators import clean_credit_code
from chainmap.core.widgets import IsoDateInput
from chainmap.models import Bottleneck, Chain, Enterprise
from projects import models as pm
from projects.challenges.services import (
    MAX_CONSORTIUM,
    MAX_PHASES,
    MAX_TEAMS,
    ApplicationInput,
    ChallengeInput,
    PhaseInput,
)


class ChallengeFilterForm(forms.Form):
    """The list's filters, from the query string (``?chain=hydrogen&mechanism=saima&status=published``)."""

    chain = forms.ChoiceField(label=_("Chain"), required=False)
    mechanism = forms.ChoiceField(
        label=_("Mechanism"), choices=[("", _("All")), *pm.ChallengeMechanism.choices], required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *pm.ChallengeStatus.choices], required=False)

    def __init__(self, *args: Any, statuses: list[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chains = Chain.objects.order_by("position", "code").values_list("slug", "name")
        cast(forms.ChoiceField, self.fields["chain"]).choices = [("", _("All")), *chains]
        if statuses is not None:
            cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("All")), *statuses]


class BottleneckChoiceField(forms.ModelChoiceField):
    """A bottleneck by its code, shown as "code title"."""

    def label_from_instance(self, obj: Bottleneck) -> str:
        return f"{obj.code} {obj.title}"


class ChallengeForm(forms.Form):
    """Create (with bottleneck and code) or edit a challenge."""

    bottleneck: forms.ModelChoiceField[Bottleneck] = BottleneckChoiceField(
        label=_("Bottleneck"), queryset=None, to_field_name="code"
    )
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("For example JB-2026-01."))
    mechanism = forms.ChoiceField(label=_("Mechanism"), choices=pm.ChallengeMechanism.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=4000, required=False, widget=forms.Textarea)
    budget = forms.DecimalField(
        label=_("Budget (10k CNY)"), max_digits=12, decimal_places=2, min_value=0, required=False, initial=0
    )
    max_funded_teams = forms.IntegerField(
        label=_("Teams funded"),
        min_value=1,
        max_value=MAX_TEAMS,
        required=False,
        help_text=_("揭榜挂帅: one team; 赛马制: two or more racing in parallel."),
    )
    deadline = forms.DateField(label=_("Application deadline"), required=False, widget=IsoDateInput())

    def __init__(
        self, *args: Any, bottlenecks: QuerySet[Bottleneck] | None = None, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["bottleneck"]
            del self.fields["code"]
        else:
            cast("forms.ModelChoiceField[Bottleneck]", self.fields["bottleneck"]).queryset = bottlenecks

    def to_input(self) -> ChallengeInput:
        """The service's input (the same the API's serializer produces): an empty budget is 0; editing,
        only the fields that differ from the challenge's (the form's initial)."""
        data = {**self.cleaned_data, "budget": self.cleaned_data["budget"] or 0}
        if self.editing:
            data = {name: value for name, value in data.items() if value != self.initial.get(name)}
        return ChallengeInput.from_data(data)


class PhaseForm(forms.Form):
    position = forms.IntegerField(min_value=1, max_value=MAX_PHASES, required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Gate name"), max_length=100)
    gate_on = forms.DateField(label=_("Gate date"), widget=IsoDateInput())

    def to_input(self) -> PhaseInput:
        """The gate as the service's input (the same the API's serializer produces)."""
        return PhaseInput.from_data(self.cleaned_data)


_SPLIT = re.compile(r"[\s,，;；]+")


class ApplicationForm(forms.Form):
    team_lead = forms.CharField(label=_("Team lead"), max_length=100)
    proposal = forms.CharField(label=_("Technical proposal"), max_length=8000, widget=forms.Textarea)
    consortium = forms.CharField(
        label=_("Consortium members"),
        required=False,
        max_length=20 * (MAX_CONSORTIUM + 1),
        help_text=_("Unified social credit codes of the other enterprises, separated by commas or new lines."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_consortium(self) -> list[int]:
        typed = [code for code in _SPLIT.split(self.cleaned_data["consortium"] or "") if code.strip()]
        if len(typed) > MAX_CONSORTIUM:
            raise forms.ValidationError(_("At most %(max)d consortium members.") % {"max": MAX_CONSORTIUM})
        codes, malformed = [], []
        for text in typed:
            try:
                codes.append(clean_credit_code(text))
            except forms.ValidationError as error:  # say what is wrong with it, not "unknown"
                malformed.append(f"{text.strip()}: {' '.join(error.messages)}")
        if malformed:
            raise forms.ValidationError(malformed)
        found = dict(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", "pk"))
        unknown = [code for code in codes if code not in found]
        if unknown:
            message = _("No enterprise has these credit codes: %(codes)s")
            raise forms.ValidationError(message % {"codes": ", ".join(unknown)})
        return [found[code] for code in codes]

    def to_input(self) -> ApplicationInput:
        return ApplicationInput.from_data(self.cleaned_data)


class ScoreForm(forms.Form):
    """One reviewer's scores of one application: a score and a comment per criterion (blank: not scored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in pm.Criterion.choices:
            self.fields[f"score_{value}"] = forms.DecimalField(
                label=label, min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False
            )
            self.fields[f"comment_{value}"] = forms.CharField(label=_("Comment"), max_length=1000, required=False)

    def criteria(self) -> list[tuple[Any, Any]]:
        return [(self[f"score_{value}"], self[f"comment_{value}"]) for value in pm.Criterion.values]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns (typed as possibly None)
        if not any(data.get(f"score_{value}") is not None for value in pm.Criterion.values):
            raise forms.ValidationError(_("Give at least one score."))
        return data

    def scores(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {"criterion": value, "score": data[f"score_{value}"], "comment": data.get(f"comment_{value}", "")}
            for value in pm.Criterion.values
            if data.get(f"score_{value}") is not None
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("shortlist", _("Shortlist")),
            ("fund", _("Fund")),
            ("advance", _("Passes the gate")),
            ("eliminate", _("Eliminate at the gate")),
            ("reject", _("Reject")),
        ],
    )
    phase = forms.IntegerField(label=_("Gate"), min_value=1, max_value=MAX_PHASES, required=False)


class AwardForm(forms.Form):
    winners = forms.TypedMultipleChoiceField(label=_("Winners"), coerce=int, required=False)

    def __init__(self, *args: Any, choices: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["winners"]).choices = choices or []
