"""Forms of the web pages. Filter forms validate the query string: a bad value is a form error, never a 500."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from chainmap.maps.models.chains import EdgeKind, Segment
from chainmap.maps.services.mapedit import EdgeInput, NodeInput
from chainmap.models import Chain, Node


class ChainChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Chain) -> str:
        return obj.name


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Reason for this change"))
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        kwargs.setdefault("help_text", _("Required. Kept in the history with your name."))
        super().__init__(**kwargs)


RESOLVE_THEIRS, RESOLVE_MINE = "theirs", "mine"

# Node form field → the model attribute (and service field) it edits.
NODE_ATTRS = {
    "name": "name",
    "segment": "segment",
    "parent": "parent_id",
    "description": "description",
    "key_technologies": "key_technologies",
}


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Node) -> str:
        return f"{obj.code} {obj.name}"


def _chain_nodes(chain: Chain, *, exclude: Node | None = None) -> QuerySet[Node]:
    nodes = Node.objects.filter(chain=chain).order_by("position", "code")
    if exclude is not None:
        nodes = nodes.exclude(pk=exclude.pk)
    return nodes


class NodeForm(forms.Form):
    """Create or change a node. The leader's edit writes directly; anyone else's becomes a proposal
    (which covers name, segment and parent only)."""

    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("e.g. H2-UP-03; cannot change later."))
    name = forms.CharField(label=_("Name"), max_length=100)
    segment = forms.ChoiceField(label=_("Segment"), choices=Segment.choices)
    parent = NodeChoiceField(label=_("Parent node"), queryset=Node.objects.none(), required=False)
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    key_technologies = forms.CharField(
        label=_("Key technologies"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = ReasonField()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set by the conflict page: the fields both people changed, each needing a ``resolve_<field>`` answer.
    conflicts = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    VALUE_FIELDS = ("name", "segment", "parent", "description", "key_technologies")

    def __init__(
        self,
        *args: Any,
        chain: Chain,
        node: Node | None = None,
        direct: bool = True,
        conflicts: tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(NodeChoiceField, self.fields["parent"]).queryset = _chain_nodes(chain, exclude=node)
        if node is not None:
            del self.fields["code"]
        if not direct and node is not None:
            # A proposal can rename or move a node; description and technologies are the leader's to edit.
            del self.fields["description"]
            del self.fields["key_technologies"]
        self.node = node
        self.conflict_names: tuple[str, ...] = ()
        if node is None:
            del self.fields["conflicts"]
            return
        if conflicts is None:
            conflicts = tuple(name for name in str(self.data.get("conflicts", "")).split(",") if name)
        self.conflict_names = tuple(name for name in conflicts if name in self.VALUE_FIELDS and name in self.fields)
        self.initial.setdefault("conflicts", ",".join(self.conflict_names))
        order = []
        for name in list(self.fields):
            order.append(name)
            if name in self.conflict_names:
                order.append(self._add_resolve(name, node))
        self.order_fields(order)

    def _add_resolve(self, name: str, node: Node) -> str:
        if name == "parent":
            theirs = node.parent.code if node.parent_id and node.parent else "—"
        elif name == "segment":
            theirs = str(node.get_segment_display())
        else:
            theirs = getattr(node, name) or "—"
        field_label = self.fields[name].label
        self.fields[f"resolve_{name}"] = forms.ChoiceField(
            label=_("You both changed “%(field)s”: which value is kept?") % {"field": field_label},
            choices=[
                (RESOLVE_THEIRS, _("The other person's: %(value)s") % {"value": theirs}),
                (RESOLVE_MINE, _("Mine, as in the field above")),
            ],
            widget=forms.RadioSelect,
        )
        return f"resolve_{name}"

    def kept_theirs(self) -> set[str]:
        """The conflicting fields resolved in favour of the other person's value (valid form only)."""
        return {name for name in self.conflict_names if self.cleaned_data.get(f"resolve_{name}") == RESOLVE_THEIRS}

    def values(self) -> dict[str, Any]:
        """The valid form's values by model attribute, for the fields this form edits."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for name, attr in NODE_ATTRS.items():
            if name not in self.fields:
                continue
            if name == "parent":
                values[attr] = data["parent"].pk if data.get("parent") else None
            else:
                values[attr] = data.get(name, "")
        return values

    def changes(self) -> dict[str, Any]:
        """What the form changes on its node; a conflict resolved as "keep theirs" changes nothing."""
        assert self.node is not None
        kept = {NODE_ATTRS[name] for name in self.kept_theirs()}
        node = self.node
        values = self.values().items()
        return {attr: value for attr, value in values if attr not in kept and value != getattr(node, attr)}

    def to_input(self) -> NodeInput:
        """The service's input (the same the API's serializer produces): on create the new node's
        fields, on edit the fields the form changes."""
        if self.node is not None:
            return NodeInput(**self.changes())
        return NodeInput(code=self.cleaned_data["code"], **self.values())


class EdgeForm(forms.Form):
    source = NodeChoiceField(label=_("Supplier node"), queryset=Node.objects.none())
    target = NodeChoiceField(label=_("Supplied node"), queryset=Node.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=EdgeKind.choices, initial=EdgeKind.COMPONENT)
    reason = ReasonField()

    def __init__(self, *args: Any, chain: Chain, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(NodeChoiceField, self.fields["source"]).queryset = _chain_nodes(chain)
        cast(NodeChoiceField, self.fields["target"]).queryset = _chain_nodes(chain)

    def to_input(self) -> EdgeInput:
        """The new edge as the service's input (the same the API's serializer produces; no note here)."""
        data = self.cleaned_data
        return EdgeInput(source_id=data["source"].pk, target_id=data["target"].pk, kind=data["kind"], note="")


class DeleteForm(forms.Form):
    reason = ReasonField()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RevertForm(forms.Form):
    reason = ReasonField(label=_("Why undo it?"), max_length=2000)


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: ``items[0].name`` or ``name`` on the field
    ``name`` when the form has it, anything else on the form as a whole."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = key.rsplit(".", 1)[-1]
        field = {"node_ids": None, "parent_id": "parent", "source_id": "source", "target_id": "target"}.get(name, name)
        form.add_error(field if field in form.fields else None, messages)
