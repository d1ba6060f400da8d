"""Forms of the joint-project pages: they parse and validate the input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chainmap.core.actors import Actor
from chainmap.core.widgets import IsoDateInput
from chainmap.enterprises.forms.enterprises import CreditCodeField
from chainmap.models import Bottleneck, Chain, Enterprise, Region
from projects.joint.models import Batch, JointProject, Milestone, Participant, ProjectStatus
from projects.joint.services import (
    MAX_BUDGET,
    MAX_PARTICIPANTS,
    MAX_SMALL,
    BatchInput,
    MilestoneInput,
    ProjectInput,
    participant_row,
)


class ProjectFilterForm(forms.Form):
    """The list page's filters, from the query string (``?batch=2&chain=hydrogen&region=TJ&status=...``)."""

    batch = forms.ModelChoiceField(
        label=_("Batch"), queryset=Batch.objects.all(), to_field_name="number", required=False, empty_label=_("All")
    )
    chain = forms.ModelChoiceField(
        label=_("Chain"), queryset=Chain.objects.all(), to_field_name="slug", required=False, empty_label=_("All")
    )
    region = forms.ModelChoiceField(
        label=_("Participating region"),
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *ProjectStatus.choices], required=False)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "batch": data["batch"],
            "chain_id": data["chain"].pk if data["chain"] else None,
            "region_id": data["region"].pk if data["region"] else None,
            "status": data["status"] or None,
        }

    def is_filtered(self) -> bool:
        return any(self.filters().values())


class BottleneckChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Bottleneck) -> str:
        return f"{obj.code} {obj.title}"


class ProjectForm(forms.Form):
    """A project's fields; the participants come in ``ParticipantFormSet`` alongside."""

    code = forms.CharField(
        label=_("Code"),
        max_length=JointProject._meta.get_field("code").max_length,
        help_text=_("Letters, digits and hyphens, e.g. JP2-16."),
    )
    batch = forms.ModelChoiceField(label=_("Batch"), queryset=Batch.objects.all())
    title = forms.CharField(label=_("Title"), max_length=JointProject._meta.get_field("title").max_length)
    description = forms.CharField(label=_("Description"), max_length=4000, required=False, widget=forms.Textarea)
    chain = forms.ModelChoiceField(label=_("Chain"), queryset=Chain.objects.all(), required=False)
    bottlenecks = BottleneckChoiceField(
        label=_("Bottlenecks attacked"),
        queryset=Bottleneck.objects.none(),
        required=False,
        help_text=_("Bottlenecks of the project's chain."),
    )
    lead_region = forms.ModelChoiceField(label=_("Lead region"), queryset=Region.objects.all())
    budget = forms.DecimalField(
        label=_("Budget (10k CNY)"), min_value=0, max_value=MAX_BUDGET, max_digits=12, decimal_places=2
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=IsoDateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=IsoDateInput())

    def __init__(self, *args: Any, user: Actor, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bottlenecks"].queryset = Bottleneck.objects.visible_to(user).order_by("code")  # type: ignore[attr-defined]
        if not creating:
            del self.fields["code"]

    def to_input(self, participants: BaseParticipantFormSet) -> ProjectInput:
        """The fields and the formset's participants as the service's input (the same the API's
        serializer produces)."""
        return ProjectInput.from_data({**self.cleaned_data, "participants": participants.rows()})


class ParticipantForm(forms.Form):
    unit_name = forms.CharField(label=_("Unit"), max_length=Participant._meta.get_field("unit_name").max_length)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all())
    role = forms.ChoiceField(label=_("Role"), choices=Participant.Role.choices, initial=Participant.Role.PARTICIPANT)
    enterprise = CreditCodeField(
        label=_("Enterprise credit code"), required=False, help_text=_("When the unit is an enterprise.")
    )

    def clean_enterprise(self) -> Enterprise | None:
        code = self.cleaned_data["enterprise"]  # normalized and well formed (CreditCodeField)
        if not code:
            return None
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("No enterprise has this credit code."))
        return enterprise


class BaseParticipantFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict[str, Any]]:
        """The filled rows → the service's participant rows."""
        return [participant_row(data) for data in (form.cleaned_data for form in self.forms) if data]


# A subclass of ``formset`` (django-stubs type the result as the plain BaseFormSet).
ParticipantFormSet = cast(
    "type[BaseParticipantFormSet]",
    forms.formset_factory(
        ParticipantForm,
        formset=BaseParticipantFormSet,
        extra=2,
        max_num=MAX_PARTICIPANTS,
        validate_max=True,
        absolute_max=MAX_PARTICIPANTS,
    ),
)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ProjectStatus.choices)
    accepted_on = forms.DateField(
        label=_("Accepted on"), required=False, widget=IsoDateInput(), help_text=_("Needed to accept the project.")
    )


class MilestoneForm(forms.Form):
    position = forms.IntegerField(
        label=_("Position"), min_value=1, max_value=MAX_SMALL, required=False, help_text=_("Empty: after the last.")
    )
    title = forms.CharField(label=_("Title"), max_length=Milestone._meta.get_field("title").max_length)
    due_on = forms.DateField(label=_("Due on"), widget=IsoDateInput())
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=MAX_SMALL, initial=1)
    progress = forms.IntegerField(
        label=_("Progress (%)"), min_value=0, max_value=100, initial=0, help_text=_("100 marks it complete.")
    )

    def to_input(self) -> MilestoneInput:
        """The fields as the service's input; an empty position is not given (last, or unchanged)."""
        data = {k: v for k, v in self.cleaned_data.items() if not (k == "position" and v is None)}
        return MilestoneInput.from_data(data)


class BatchForm(forms.Form):
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=MAX_SMALL)
    name = forms.CharField(label=_("Name"), max_length=Batch._meta.get_field("name").max_length)
    launched_on = forms.DateField(label=_("Launched on"), required=False, widget=IsoDateInput())
    description = forms.CharField(label=_("Description"), max_length=4000, required=False, widget=forms.Textarea)

    def to_input(self) -> BatchInput:
        return BatchInput.from_data(self.cleaned_data)
