"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.models import TimeStampedModel


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user: Actor) -> ProposalQuerySet:
        return self if roles.is_official(user) else self.none()

    def open(self) -> ProposalQuerySet:
        return self.filter(status="open")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    STALE = "stale", _("Stale")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeProposal(TimeStampedModel):
    """A set of changes to a chain map proposed by a non-leading region, reviewed by the leader."""

    chain = models.ForeignKey(
        "chainmap.Chain", on_delete=models.CASCADE, related_name="proposals", verbose_name=_("chain")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("author")
    )
    author_region = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The leading region that must review it; re-routed when leadership rotates.
    routed_to = models.ForeignKey(
        "chainmap.Region", on_delete=models.PROTECT, related_name="proposals_to_review", verbose_name=_("routed to")
    )
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True, max_length=2000)
    stale_details = models.JSONField(_("what changed meanwhile"), default=list, blank=True)
    reverts = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reverted_by", verbose_name=_("reverts")
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change proposal")
        verbose_name_plural = _("change proposals")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="chainmap_proposal_status_valid"
            ),
            models.CheckConstraint(condition=~Q(reviewer=models.F("author")), name="chainmap_proposal_four_eyes"),
            models.CheckConstraint(condition=~Q(reason=""), name="chainmap_proposal_reason_required"),
        ]
        indexes = [models.Index(fields=["status", "routed_to"], name="chainmap_proposal_queue")]

    def __str__(self) -> str:
        return self.title


class Operation(models.TextChoices):
    ADD_NODE = "add_node", _("Add node")
    RENAME_NODE = "rename_node", _("Rename node")
    MOVE_NODE = "move_node", _("Move node")
    DELETE_NODE = "delete_node", _("Delete node")
    ADD_EDGE = "add_edge", _("Add edge")
    REMOVE_EDGE = "remove_edge", _("Remove edge")
    CONFIRM_PLACEMENT = "confirm_placement", _("Confirm placement")
    REJECT_PLACEMENT = "reject_placement", _("Reject placement")


class ProposalItem(models.Model):
    """One change inside a proposal, with the state of its target when proposed (to detect staleness)."""

    Operation = Operation

    proposal = models.ForeignKey(ChangeProposal, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    operation = models.CharField(_("operation"), max_length=20, choices=Operation.choices)
    node = models.ForeignKey("chainmap.Node", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    edge = models.ForeignKey("chainmap.Edge", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    placement = models.ForeignKey(
        "chainmap.Placement", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    base = models.JSONField(_("base state"), default=dict, blank=True)

    class Meta:
        ordering = ["proposal", "position"]
        verbose_name = _("proposal item")
        verbose_name_plural = _("proposal items")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "position"], name="chainmap_proposal_item_position"),
            models.CheckConstraint(condition=Q(operation__in=Operation.values), name="chainmap_proposal_item_op_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}#{self.position} {self.operation}"
