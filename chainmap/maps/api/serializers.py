"""API representations of regions, chains, clusters, nodes, edges and proposals, and their inputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainmap import models as m
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer, reason_field
from chainmap.maps.models.chains import EdgeKind
from chainmap.maps.models.proposals import Operation
from chainmap.maps.services.mapedit import EdgeInput, NodeInput

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def node_id_by_code(code: str | None, *, field: str, chain_id: int | None = None) -> int | None:
    """The id of the node of this code (of the chain, given one); an unknown code is a 400 naming ``field``."""
    if code is None:
        return None
    nodes = m.Node.objects.filter(code=code)
    if chain_id is not None:
        nodes = nodes.filter(chain_id=chain_id)
    node_id = nodes.values_list("pk", flat=True).first()
    if node_id is None:
        raise ValidationError({field: _("Unknown node code %(code)s.") % {"code": code}})
    return node_id


# --- regions, chains, clusters -------------------------------------------------------------------


class SubRegionSerializer(StrictModelSerializer):
    class Meta:
        model = m.SubRegion
        fields = ["id", "name", "kind"]


class RegionSerializer(StrictModelSerializer):
    subregions = SubRegionSerializer(many=True, read_only=True)

    class Meta:
        model = m.Region
        fields = ["id", "code", "name", "name_en", "stage", "role", "position", "subregions"]


class ChainSerializer(StrictModelSerializer):
    leading_region = serializers.SerializerMethodField(help_text="Code of the region leading the chain today.")

    class Meta:
        model = m.Chain
        fields = ["id", "code", "slug", "name", "name_en", "description", "position", "leading_region"]

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_leading_region(self, obj: m.Chain) -> str | None:
        # The view puts chain id → region code for today in the context (one query for the page).
        return self.context.get("leaders", {}).get(obj.pk)


class ClusterSerializer(StrictModelSerializer):
    chains: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug"
    )

    class Meta:
        model = m.Cluster
        fields = ["id", "code", "slug", "name", "name_en", "description", "tier", "position", "chains"]


# --- nodes and edges -----------------------------------------------------------------------------


class NodeSerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    # DRF's stubs type Field.parent (the serializer a field is bound to); a declared field of that
    # name is popped from the class by SerializerMetaclass, so it never clashes at runtime.
    parent: serializers.SlugRelatedField[m.Node] = serializers.SlugRelatedField(  # type: ignore[assignment]
        read_only=True, slug_field="code", allow_null=True
    )

    class Meta:
        model = m.Node
        fields = [
            "id",
            "chain",
            "code",
            "name",
            "segment",
            "parent",
            "description",
            "key_technologies",
            "position",
            "version",
        ]


class EdgeSerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    # DRF's stubs type Field.source (the attribute a field reads); a declared field of that name is
    # popped from the class by SerializerMetaclass, so it never clashes at runtime.
    source: serializers.SlugRelatedField[m.Node] = serializers.SlugRelatedField(  # type: ignore[assignment]
        read_only=True, slug_field="code"
    )
    target: serializers.SlugRelatedField[m.Node] = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.Edge
        fields = ["id", "chain", "source", "target", "kind", "note", "version"]


class ChainMapSerializer(serializers.Serializer):
    chain = ChainSerializer()
    nodes = NodeSerializer(many=True)
    edges = EdgeSerializer(many=True)


class NodeCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    code = StrictCharField(max_length=40)
    name = StrictCharField(max_length=100)
    segment = serializers.ChoiceField(choices=m.Segment.choices)
    parent = StrictCharField(  # type: ignore[assignment]  # see NodeSerializer.parent
        max_length=40, required=False, allow_null=True, help_text="Parent node code."
    )
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    key_technologies = StrictCharField(max_length=2000, required=False, allow_blank=True)
    reason = reason_field()

    def to_input(self) -> NodeInput:
        """The new node as the service's input (the same the editor's form produces): the parent by
        code, of the node's chain."""
        data = {key: value for key, value in self.validated_data.items() if key not in ("chain", "reason")}
        if "parent" in data:
            chain_id = self.validated_data["chain"].pk
            data["parent_id"] = node_id_by_code(data.pop("parent"), field="parent", chain_id=chain_id)
        return NodeInput.from_data(data)


class NodeUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    segment = serializers.ChoiceField(choices=m.Segment.choices)
    parent = StrictCharField(  # type: ignore[assignment]  # see NodeSerializer.parent
        max_length=40, required=False, allow_null=True, help_text="Parent node code."
    )
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    key_technologies = StrictCharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    reason = reason_field()

    def to_input(self, *, chain_id: int) -> NodeInput:
        """The given fields as the service's input (the same the editor's form produces): the parent
        by code, of the node's chain."""
        data = {key: value for key, value in self.validated_data.items() if key != "reason"}
        if "parent" in data:
            data["parent_id"] = node_id_by_code(data.pop("parent"), field="parent", chain_id=chain_id)
        return NodeInput.from_data(data)


class EdgeCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    source = StrictCharField(  # type: ignore[assignment]  # see EdgeSerializer.source
        max_length=40, help_text="Source node code."
    )
    target = StrictCharField(max_length=40, help_text="Target node code.")
    kind = serializers.ChoiceField(choices=EdgeKind.choices, default=EdgeKind.COMPONENT)
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    reason = reason_field()

    def to_input(self) -> EdgeInput:
        """The new edge as the service's input (the same the editor's form produces): nodes by code."""
        data = self.validated_data
        return EdgeInput(
            source_id=node_id_by_code(data["source"], field="source"),  # type: ignore[arg-type]
            target_id=node_id_by_code(data["target"], field="target"),  # type: ignore[arg-type]
            kind=data["kind"],
            note=data.get("note", ""),
        )


class EdgeUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EdgeKind.choices)
    note = StrictCharField(max_length=500, required=False, allow_blank=True)
    reason = reason_field()

    def to_input(self) -> EdgeInput:
        """The given fields as the service's input."""
        return EdgeInput.from_data({key: value for key, value in self.validated_data.items() if key != "reason"})


class ProposalItemSerializer(StrictModelSerializer):
    class Meta:
        model = m.ProposalItem
        fields = ["position", "operation", "payload", "node", "edge", "placement"]


class ProposalSerializer(StrictModelSerializer):
    chain: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    author = StrictCharField(source="author.username", read_only=True)
    author_region: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(
        read_only=True, slug_field="code", allow_null=True
    )
    routed_to: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(read_only=True, slug_field="code")
    reviewer: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        read_only=True, slug_field="username", allow_null=True
    )
    items = ProposalItemSerializer(many=True, read_only=True)

    class Meta:
        model = m.ChangeProposal
        fields = [
            "id",
            "chain",
            "author",
            "author_region",
            "routed_to",
            "title",
            "reason",
            "status",
            "reviewer",
            "reviewed_at",
            "review_comment",
            "stale_details",
            "reverts",
            "created_at",
            "items",
        ]


class ProposalItemInputSerializer(serializers.Serializer):
    """One change, by natural keys. Which keys an operation needs: see ``chainmap.maps.services.proposals``."""

    operation = serializers.ChoiceField(choices=Operation.choices)
    code = StrictCharField(max_length=40, required=False)
    name = StrictCharField(max_length=100, required=False)
    segment = serializers.ChoiceField(choices=m.Segment.choices, required=False)
    parent = StrictCharField(  # type: ignore[assignment]  # see NodeSerializer.parent
        max_length=40, required=False, allow_null=True
    )
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    key_technologies = StrictCharField(max_length=2000, required=False, allow_blank=True)
    node = StrictCharField(max_length=40, required=False)
    source = StrictCharField(  # type: ignore[assignment]  # see EdgeSerializer.source
        max_length=40, required=False
    )
    target = StrictCharField(max_length=40, required=False)
    kind = serializers.ChoiceField(choices=EdgeKind.choices, required=False)
    placement = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class ProposalCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    title = StrictCharField(max_length=200)
    reason = reason_field()
    # Spelled out (what ``many=True`` builds): the stubs do not know min_length/max_length with many=True.
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=ProposalItemInputSerializer(), min_length=1, max_length=200
    )


class ReviewCommentSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=2000)


class RevertSerializer(serializers.Serializer):
    reason = reason_field()
