"""Forms of the bottleneck board, the bottleneck editor and the node assessment editor.
They parse; the services decide and write."""

from __future__ import annotations

from typing import Any, TypedDict, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chainmap.bottlenecks.selectors import AssessmentRow
from chainmap.core.actors import Actor
from chainmap.core.forms import RegionChoiceField
from chainmap.core.widgets import IsoDateInput
from chainmap.maps.forms import ChainChoiceField, ReasonField
from chainmap.maps.services.assessments import NOTE_MAX
from chainmap.maps.services.mapedit import BottleneckInput
from chainmap.models import Bottleneck, BottleneckStatus, Chain, Level, Mechanism, Node, Region


class BottleneckFilterForm(forms.Form):
    """The board's filters, read from the query string (``?chain=hydrogen&status=taken&q=膜``)."""

    q = forms.CharField(label=_("Code or title"), max_length=100, required=False, strip=True)
    chain = ChainChoiceField(
        label=_("Chain"), queryset=Chain.objects.none(), to_field_name="slug", required=False, empty_label=_("All")
    )
    raised_by = RegionChoiceField(
        label=_("Raised by"), queryset=Region.objects.all(), to_field_name="code", required=False, empty_label=_("All")
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        choices=[("", _("All")), *Bottleneck.Severity.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    mechanism = forms.ChoiceField(label=_("Mechanism"), choices=[("", _("All")), *Mechanism.choices], required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *BottleneckStatus.choices], required=False)

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ChainChoiceField, self.fields["chain"]).queryset = Chain.objects.visible_to(user)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("e.g. KD-012 or 质子交换膜")})

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "chain": data.get("chain"),
            "raised_by": data.get("raised_by"),
            "severity": data.get("severity"),
            "mechanism": data.get("mechanism") or "",
            "status": data.get("status") or "",
            "q": data.get("q") or "",
        }


class NodeMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Node) -> str:
        return f"{obj.code} {obj.name}"


class _BottleneckFormKwargs(TypedDict):
    chain: Chain
    bottleneck: Bottleneck | None


class BottleneckForm(forms.Form):
    """Create or change a bottleneck of one chain. Code and raising region are fixed once created."""

    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. KD-012; cannot change later."))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    raised_by = RegionChoiceField(label=_("Raised by"), queryset=Region.objects.all(), empty_label=None)
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=Bottleneck.Severity.choices, coerce=int, initial=Bottleneck.Severity.HIGH
    )
    mechanism = forms.ChoiceField(
        label=_("Mechanism"),
        choices=[("", _("Not decided yet")), *Mechanism.choices],
        required=False,
        help_text=_("Required once the bottleneck is taken."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=BottleneckStatus.choices, initial=BottleneckStatus.COLLECTED)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=IsoDateInput())
    nodes = NodeMultipleChoiceField(
        label=_("Nodes"),
        queryset=Node.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The chain's nodes this bottleneck blocks."),
    )
    reason = ReasonField()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, chain: Chain, bottleneck: Bottleneck | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_kwargs: _BottleneckFormKwargs = {"chain": chain, "bottleneck": bottleneck}
        cast(NodeMultipleChoiceField, self.fields["nodes"]).queryset = Node.objects.filter(chain=chain).order_by(
            "position", "code"
        )
        if bottleneck is not None:
            del self.fields["code"]
            del self.fields["raised_by"]
        else:
            del self.fields["version"]

    EDITABLE_FIELDS = ("title", "description", "severity", "mechanism", "status", "target_date")

    def node_ids(self) -> list[int]:
        return [node.pk for node in self.cleaned_data.get("nodes") or []]

    def changes(self) -> dict[str, Any]:
        """What the valid form changes on its bottleneck, in the service's names."""
        bottleneck = self._init_kwargs["bottleneck"]
        assert bottleneck is not None
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for field in self.EDITABLE_FIELDS:
            value = data.get(field)
            if field in ("description", "mechanism"):
                value = value or ""
            if value != getattr(bottleneck, field):
                changes[field] = value
        node_ids = self.node_ids()
        if set(node_ids) != set(bottleneck.nodes.values_list("pk", flat=True)):
            changes["node_ids"] = node_ids
        return changes

    def to_input(self) -> BottleneckInput:
        """The service's input (the same the API's serializer produces): on create the new
        bottleneck's fields, on edit the fields the form changes."""
        if self._init_kwargs["bottleneck"] is not None:
            return BottleneckInput(**self.changes())
        data = self.cleaned_data
        return BottleneckInput(
            code=data["code"],
            title=data["title"],
            raised_by_id=data["raised_by"].pk,
            description=data.get("description") or "",
            severity=data["severity"],
            mechanism=data.get("mechanism") or "",
            status=data["status"],
            target_date=data.get("target_date"),
            node_ids=self.node_ids(),
        )


class AssessmentForm(forms.Form):
    """One level select (and note) per region the user may set at a node, plus one reason.

    Hidden ``was_<REGION>`` fields carry the level read, so a level someone changed meanwhile is
    reported instead of overwritten."""

    reason = ReasonField()

    def __init__(self, *args: Any, rows: list[AssessmentRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        reason = self.fields.pop("reason")
        for row in rows:
            if not row.editable:
                continue
            code = row.region.code
            choices = list(Level.choices)
            if row.assessment is None:
                choices = [("", _("Not assessed yet")), *choices]
            self.fields[f"level_{code}"] = forms.ChoiceField(
                label=_("Level in %(region)s") % {"region": row.region.name},
                choices=choices,
                required=row.assessment is not None,
                initial=row.level,
            )
            self.fields[f"note_{code}"] = forms.CharField(
                label=_("Note on %(region)s") % {"region": row.region.name},
                max_length=NOTE_MAX,
                required=False,
                initial=row.assessment.note if row.assessment is not None else "",
            )
            self.fields[f"was_{code}"] = forms.CharField(widget=forms.HiddenInput, required=False, initial=row.level)
        self.fields["reason"] = reason

    def changes(self) -> list[dict[str, Any]]:
        """What to write: one dict per region whose level or note changed (a blank level is left alone)."""
        data = self.cleaned_data
        changes = []
        for row in self.rows:
            code = row.region.code
            if not row.editable or not data.get(f"level_{code}"):
                continue
            level, note = data[f"level_{code}"], data.get(f"note_{code}", "")
            current_note = row.assessment.note if row.assessment is not None else ""
            if level == row.level and note == current_note:
                continue
            changes.append(
                {
                    "region": row.region,
                    "field": f"level_{code}",
                    "level": level,
                    "note": note,
                    "expected_level": data.get(f"was_{code}") or "",
                }
            )
        return changes
