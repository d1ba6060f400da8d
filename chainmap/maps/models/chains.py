"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chainmap.core.models import RoleRowsQuerySet, TimeStampedModel


class ChainQuerySet(RoleRowsQuerySet):
    """``visible_to``: every user with a role."""


class NodeQuerySet(RoleRowsQuerySet):
    """``visible_to``: every user with a role."""

    def with_open_bottleneck_count(self) -> NodeQuerySet:
        from chainmap.bottlenecks.models import OPEN_BOTTLENECK_STATUSES

        return self.annotate(
            open_bottlenecks=Count(
                "bottlenecks", filter=Q(bottlenecks__status__in=OPEN_BOTTLENECK_STATUSES), distinct=True
            )
        )


class EdgeQuerySet(RoleRowsQuerySet):
    """``visible_to``: every user with a role."""


node_code_validator = RegexValidator(
    r"^[A-Z0-9]{1,8}(-[A-Z0-9]{1,8}){1,4}$",
    _("Use upper-case letters and digits in dash-separated parts, e.g. H2-UP-03."),
    code="node_code",
)


class Segment(models.TextChoices):
    UPSTREAM = "up", _("Upstream")
    MIDSTREAM = "mid", _("Midstream")
    DOWNSTREAM = "down", _("Downstream")


SEGMENT_ORDER = {Segment.UPSTREAM: 0, Segment.MIDSTREAM: 1, Segment.DOWNSTREAM: 2}


class Level(models.TextChoices):
    """How an official judges a region's presence at a node."""

    STRONG = "strong", _("Strong")
    PRESENT = "present", _("Present")
    WEAK = "weak", _("Weak")
    EMPTY = "empty", _("Empty")


GAP_LEVELS = (Level.WEAK, Level.EMPTY)


class Chain(TimeStampedModel):
    """One of the six key industrial chains, with its jointly drawn map."""

    code = models.CharField(_("code"), max_length=8, unique=True, validators=[RegexValidator(r"^[A-Z0-9]{1,8}$")])
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Moves (in the same transaction) with every change to the chain's nodes, edges, assessments,
    # placements and bottlenecks: the key of the chain's cached counts and map data (``summaries``).
    data_version = models.PositiveBigIntegerField(_("data version"), default=1, editable=False)

    objects = ChainQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("chain")
        verbose_name_plural = _("chains")

    def __str__(self) -> str:
        return self.name


class ClusterQuerySet(RoleRowsQuerySet):
    """``visible_to``: clusters are as public as chains: every user with a role sees them."""


class Cluster(TimeStampedModel):
    """One of the five advanced-manufacturing clusters; spans related chains."""

    code = models.CharField(_("code"), max_length=8, unique=True, validators=[RegexValidator(r"^[A-Z0-9]{1,8}$")])
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    tier = models.CharField(_("tier"), max_length=40, blank=True, help_text=_("Promotion tier, e.g. national."))
    chains = models.ManyToManyField(Chain, related_name="clusters", blank=True, verbose_name=_("related chains"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return self.name


class Node(TimeStampedModel):
    """A link of a chain map (燃料电池 → 电堆 → 膜电极 ...): segment, optional parent, stable code."""

    chain = models.ForeignKey(Chain, on_delete=models.PROTECT, related_name="nodes", verbose_name=_("chain"))
    segment = models.CharField(_("segment"), max_length=4, choices=Segment.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[node_code_validator])
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    key_technologies = models.TextField(
        _("key technologies"), blank=True, max_length=2000, help_text=_("One per line or separated by 、/，")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # Bumped by every write through the services: the optimistic lock behind conflict detection.
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    objects = NodeQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "position", "code"]
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="chainmap_node_not_own_parent"),
            models.CheckConstraint(condition=Q(segment__in=Segment.values), name="chainmap_node_segment_valid"),
        ]
        indexes = [models.Index(fields=["chain", "segment", "position"], name="chainmap_node_chain_seg")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def key_technology_list(self) -> list[str]:
        import re

        return [item.strip() for item in re.split(r"[\n、，,;；]+", self.key_technologies) if item.strip()]

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None:
            return
        parent = self.parent
        assert parent is not None  # parent_id is set: the relation resolves or raises DoesNotExist
        if parent.chain_id != self.chain_id:
            raise ValidationError({"parent": _("The parent node must belong to the same chain.")})
        seen = {self.pk} if self.pk else set()
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError({"parent": _("This parent would make the node its own ancestor.")})
            seen.add(parent.pk)
            parent = parent.parent


class NodeAssessment(TimeStampedModel):
    """An official's judgement of one region at one node: strong, present, weak or empty (空白)."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("node"))
    region = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, related_name="assessments", verbose_name=_("region")
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.EMPTY)
    note = models.CharField(_("note"), max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["node", "region__position"]
        verbose_name = _("node assessment")
        verbose_name_plural = _("node assessments")
        constraints = [
            models.UniqueConstraint(fields=["node", "region"], name="chainmap_assessment_one_per_region"),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="chainmap_assessment_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.node.code} {self.region.code}: {self.get_level_display()}"


class EdgeKind(models.TextChoices):
    MATERIAL = "material", _("Material")
    COMPONENT = "component", _("Component")
    EQUIPMENT = "equipment", _("Equipment")
    SERVICE = "service", _("Service")


class Edge(TimeStampedModel):
    """A supply relation between two nodes of the same chain (source supplies target)."""

    Kind = EdgeKind

    chain = models.ForeignKey(Chain, on_delete=models.PROTECT, related_name="edges", verbose_name=_("chain"))
    source = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="out_edges", verbose_name=_("source"))
    target = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="in_edges", verbose_name=_("target"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPONENT)
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    objects = EdgeQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "source", "target"]
        verbose_name = _("edge")
        verbose_name_plural = _("edges")
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("target")), name="chainmap_edge_no_self_loop"),
            models.UniqueConstraint(fields=["source", "target"], name="chainmap_edge_unique_pair"),
            models.CheckConstraint(condition=Q(kind__in=EdgeKind.values), name="chainmap_edge_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"

    def clean(self) -> None:
        # SQL cannot compare across the two foreign rows without a composite key: checked here and in services.
        super().clean()
        errors = {}
        if self.source_id and self.chain_id and self.source.chain_id != self.chain_id:
            errors["source"] = _("The source node belongs to another chain.")
        if self.target_id and self.chain_id and self.target.chain_id != self.chain_id:
            errors["target"] = _("The target node belongs to another chain.")
        if self.source_id and self.source_id == self.target_id:
            errors["target"] = _("An edge cannot join a node to itself.")
        if errors:
            raise ValidationError(errors)
