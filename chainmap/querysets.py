"""Reusable filters, and the visibility gate (``visible_to``) used by every page and endpoint."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import Count, Q

from chainmap import roles


class ChainQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ChainQuerySet:
        return self if roles.role_of(user) is not None else self.none()


class NodeQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> NodeQuerySet:
        return self if roles.role_of(user) is not None else self.none()

    def with_open_bottleneck_count(self) -> NodeQuerySet:
        from chainmap.models.bottlenecks import OPEN_BOTTLENECK_STATUSES

        return self.annotate(
            open_bottlenecks=Count(
                "bottlenecks", filter=Q(bottlenecks__status__in=OPEN_BOTTLENECK_STATUSES), distinct=True
            )
        )


class EdgeQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> EdgeQuerySet:
        return self if roles.role_of(user) is not None else self.none()


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> EnterpriseQuerySet:
        """Officials see every enterprise; an enterprise member only their own."""
        if roles.is_official(user):
            return self
        enterprise_id = roles.member_enterprise_id(user)
        if enterprise_id is not None:
            return self.filter(pk=enterprise_id)
        return self.none()

    def with_qualification(self, field: str) -> EnterpriseQuerySet:
        from chainmap.models.enterprises import QUALIFICATIONS

        if field not in QUALIFICATIONS:
            raise ValueError(f"unknown qualification {field!r}")
        return self.filter(**{field: True})

    def on_chain(self, chain_id: int) -> EnterpriseQuerySet:
        return self.filter(
            exists_placement(Q(node__chain_id=chain_id)),
        )

    def on_node(self, node_id: int) -> EnterpriseQuerySet:
        return self.filter(exists_placement(Q(node_id=node_id)))


def exists_placement(condition: Q) -> models.Exists:
    from chainmap.models.enterprises import Placement

    return models.Exists(
        Placement.objects.filter(condition, enterprise=models.OuterRef("pk")).exclude(status=Placement.Status.REJECTED)
    )


class PlacementQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> PlacementQuerySet:
        if roles.is_official(user):
            return self
        enterprise_id = roles.member_enterprise_id(user)
        if enterprise_id is not None:
            return self.filter(enterprise_id=enterprise_id)
        return self.none()

    def confirmed(self) -> PlacementQuerySet:
        return self.filter(status="confirmed")


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ProfileQuerySet:
        """Joint office: all. Region officials: every version in their region, approved ones elsewhere.
        Enterprise members: their own enterprise's versions only."""
        if roles.is_joint_office(user):
            return self
        region_id = roles.official_region_id(user)
        if region_id is not None:
            return self.filter(Q(enterprise__region_id=region_id) | Q(status="approved"))
        enterprise_id = roles.member_enterprise_id(user)
        if enterprise_id is not None:
            return self.filter(enterprise_id=enterprise_id)
        return self.none()

    def approved(self) -> ProfileQuerySet:
        return self.filter(status="approved")


class TermQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> TermQuerySet:
        return self if roles.role_of(user) is not None else self.none()

    def covering(self, day: date) -> TermQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def in_effect(self, day: date) -> TermQuerySet:
        """Candidates for the term in effect on ``day``: the calendar's term for the day, and any later
        term the rotation job has already opened (``rotate_leadership --date`` run ahead of the calendar).
        Pick the latest start per chain with ``terms_in_effect``."""
        return self.filter(Q(starts_on__lte=day, ends_on__gte=day) | Q(opened_at__isnull=False, starts_on__gt=day))


def terms_in_effect(terms: Any) -> dict[int, Any]:
    """chain id → the term in effect, from an ``in_effect`` queryset (the latest start wins)."""
    chosen: dict[int, Any] = {}
    for term in terms:
        held = chosen.get(term.chain_id)
        if held is None or term.starts_on > held.starts_on:
            chosen[term.chain_id] = term
    return chosen


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ProposalQuerySet:
        return self if roles.is_official(user) else self.none()

    def open(self) -> ProposalQuerySet:
        return self.filter(status="open")


class BottleneckQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> BottleneckQuerySet:
        """Officials see all; others see bottlenecks once published (collected ones are internal)."""
        if roles.is_official(user):
            return self
        if roles.role_of(user) is not None:
            return self.exclude(status="collected")
        return self.none()

    def open(self) -> BottleneckQuerySet:
        from chainmap.models.bottlenecks import OPEN_BOTTLENECK_STATUSES

        return self.filter(status__in=OPEN_BOTTLENECK_STATUSES)
