"""Every invariant the database can hold is a constraint: each rejected case, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from chainmap import models as m
from tests import factories as f
from tests.conftest import require

JAN_1 = dt.date(2026, 1, 1)


def rejected(build: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        build()


@pytest.fixture
def chain(regions) -> m.Chain:
    return f.ChainFactory(code="H2", slug="hydrogen", name="氢能")


@pytest.fixture
def node(chain) -> m.Node:
    return f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢")


class TestNodes:
    def test_code_is_unique(self, node) -> None:
        rejected(lambda: f.NodeFactory(chain=node.chain, code="H2-UP-01"))

    def test_node_is_not_its_own_parent(self, node) -> None:
        node.parent_id = node.pk
        rejected(lambda: node.save())

    def test_segment_must_be_known(self, chain) -> None:
        rejected(lambda: f.NodeFactory(chain=chain, segment="side"))

    def test_parent_in_another_chain_fails_validation(self, node) -> None:
        other = f.NodeFactory(chain=f.ChainFactory())
        child = f.NodeFactory.build(chain=node.chain, parent=other, code="H2-UP-02")
        with pytest.raises(ValidationError) as excinfo:
            child.full_clean()
        assert "parent" in excinfo.value.message_dict

    def test_parent_cycle_fails_validation(self, node) -> None:
        child = f.NodeFactory(chain=node.chain, parent=node, code="H2-UP-02")
        node.parent = child
        with pytest.raises(ValidationError) as excinfo:
            node.full_clean()
        assert "parent" in excinfo.value.message_dict

    def test_code_format_is_validated(self, chain) -> None:
        bad = f.NodeFactory.build(chain=chain, code="h2 up 1")
        with pytest.raises(ValidationError) as excinfo:
            bad.full_clean()
        assert "code" in excinfo.value.message_dict

    def test_one_assessment_per_region(self, node, regions) -> None:
        m.NodeAssessment.objects.create(node=node, region=regions["BJ"], level=m.Level.STRONG)
        rejected(lambda: m.NodeAssessment.objects.create(node=node, region=regions["BJ"], level=m.Level.WEAK))

    def test_assessment_level_must_be_known(self, node, regions) -> None:
        rejected(lambda: m.NodeAssessment.objects.create(node=node, region=regions["BJ"], level="superb"))

    def test_history_answers_as_of(self, node) -> None:
        before = node.history.latest().history_date
        node.name = "电解水制氢"
        node.save()
        assert m.Node.history.as_of(before).get(pk=node.pk).name == "制氢"


class TestEdges:
    def test_no_self_loop(self, node) -> None:
        rejected(lambda: m.Edge.objects.create(chain=node.chain, source=node, target=node))

    def test_no_duplicate_pair(self, node) -> None:
        target = f.NodeFactory(chain=node.chain)
        m.Edge.objects.create(chain=node.chain, source=node, target=target)
        rejected(lambda: m.Edge.objects.create(chain=node.chain, source=node, target=target, kind="service"))

    def test_kind_must_be_known(self, node) -> None:
        target = f.NodeFactory(chain=node.chain)
        rejected(lambda: m.Edge.objects.create(chain=node.chain, source=node, target=target, kind="love"))

    def test_edge_across_chains_fails_validation(self, node) -> None:
        foreign = f.NodeFactory(chain=f.ChainFactory())
        edge = m.Edge(chain=node.chain, source=node, target=foreign)
        with pytest.raises(ValidationError) as excinfo:
            edge.full_clean()
        assert "target" in excinfo.value.message_dict


class TestEnterprises:
    def test_credit_code_is_unique(self, regions) -> None:
        f.EnterpriseFactory(credit_code="91350100M000100Y43")
        rejected(lambda: f.EnterpriseFactory(credit_code="91350100M000100Y43"))

    def test_credit_code_has_18_characters_in_the_database(self, regions) -> None:
        rejected(lambda: f.EnterpriseFactory(credit_code="91350100M000100Y4"))

    def test_placement_is_unique_per_role(self, node) -> None:
        placement = f.PlacementFactory(node=node)
        rejected(lambda: f.PlacementFactory(node=node, enterprise=placement.enterprise, role=placement.role))

    def test_placement_status_must_be_known(self, node) -> None:
        rejected(lambda: f.PlacementFactory(node=node, status="maybe"))


class TestProfiles:
    @pytest.mark.parametrize("trl", [0, 10])
    def test_trl_between_1_and_9(self, regions, trl: int) -> None:
        rejected(lambda: f.ProfileFactory(trl=trl))

    def test_one_approved_version_per_enterprise(self, regions) -> None:
        profile = f.ProfileFactory(version=1)
        rejected(lambda: f.ProfileFactory(enterprise=profile.enterprise, version=2))

    def test_one_working_version_per_enterprise(self, regions) -> None:
        draft = f.ProfileFactory(version=2, status=m.ProfileStatus.DRAFT)
        rejected(lambda: f.ProfileFactory(enterprise=draft.enterprise, version=3, status=m.ProfileStatus.SUBMITTED))

    def test_superseded_versions_may_pile_up(self, regions) -> None:
        first = f.ProfileFactory(version=1, status=m.ProfileStatus.SUPERSEDED)
        f.ProfileFactory(enterprise=first.enterprise, version=2, status=m.ProfileStatus.SUPERSEDED)
        f.ProfileFactory(enterprise=first.enterprise, version=3, status=m.ProfileStatus.APPROVED)
        f.ProfileFactory(enterprise=first.enterprise, version=4, status=m.ProfileStatus.DRAFT)
        assert first.enterprise.profiles.count() == 4

    def test_version_numbers_are_unique(self, regions) -> None:
        first = f.ProfileFactory(version=1, status=m.ProfileStatus.SUPERSEDED)
        rejected(lambda: f.ProfileFactory(enterprise=first.enterprise, version=1, status=m.ProfileStatus.DRAFT))

    def test_offer_trl_between_1_and_9(self, node) -> None:
        rejected(lambda: f.OfferFactory(node=node, trl=12))


class TestLeadership:
    def test_term_ends_after_it_starts(self, chain, regions) -> None:
        rejected(lambda: f.TermFactory(chain=chain, starts_on=JAN_1, ends_on=JAN_1 - dt.timedelta(days=1)))

    def test_one_term_starts_per_chain_and_day(self, chain, regions) -> None:
        f.TermFactory(chain=chain, starts_on=JAN_1, ends_on=dt.date(2026, 4, 30))
        rejected(lambda: f.TermFactory(chain=chain, starts_on=JAN_1, ends_on=dt.date(2026, 1, 31)))

    def test_overlapping_terms_are_excluded_on_postgresql(self, chain, regions) -> None:
        require(connection.vendor == "postgresql", "exclusion constraints need PostgreSQL")
        f.TermFactory(chain=chain, starts_on=JAN_1, ends_on=dt.date(2026, 4, 30))
        rejected(lambda: f.TermFactory(chain=chain, starts_on=dt.date(2026, 4, 30), ends_on=dt.date(2026, 8, 31)))

    def test_adjacent_terms_are_fine(self, chain, regions) -> None:
        f.TermFactory(chain=chain, starts_on=JAN_1, ends_on=dt.date(2026, 4, 30))
        f.TermFactory(chain=chain, region=regions["TJ"], starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 8, 31))
        assert chain.terms.covering(dt.date(2026, 5, 1)).get().region.code == "TJ"

    def test_rotation_term_length_is_bounded(self, chain) -> None:
        rejected(lambda: m.RotationRule.objects.create(chain=chain, first_term_starts_on=JAN_1, term_months=0))


class TestProposals:
    def test_author_never_reviews_their_own(self, chain, regions, tj_official) -> None:
        rejected(
            lambda: m.ChangeProposal.objects.create(
                chain=chain, author=tj_official, routed_to=regions["BJ"], title="t", reason="r", reviewer=tj_official
            )
        )

    def test_reason_is_required(self, chain, regions, tj_official) -> None:
        rejected(
            lambda: m.ChangeProposal.objects.create(
                chain=chain, author=tj_official, routed_to=regions["BJ"], title="t", reason=""
            )
        )

    def test_item_positions_are_unique(self, chain, regions, tj_official) -> None:
        proposal = m.ChangeProposal.objects.create(
            chain=chain, author=tj_official, routed_to=regions["BJ"], title="t", reason="r"
        )
        m.ProposalItem.objects.create(proposal=proposal, position=0, operation="add_node")
        rejected(lambda: m.ProposalItem.objects.create(proposal=proposal, position=0, operation="add_edge"))


class TestBottlenecks:
    def test_code_is_unique(self, chain) -> None:
        f.BottleneckFactory(chain=chain, code="KD-H2-001")
        rejected(lambda: f.BottleneckFactory(chain=chain, code="KD-H2-001"))

    def test_severity_between_1_and_4(self, chain) -> None:
        rejected(lambda: f.BottleneckFactory(chain=chain, severity=5))

    def test_taken_needs_a_mechanism(self, chain) -> None:
        rejected(lambda: f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.TAKEN, mechanism=""))

    def test_published_without_mechanism_is_fine(self, chain) -> None:
        assert f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.PUBLISHED).mechanism == ""


class TestMatching:
    def test_calendar_subject_matches_kind(self, chain) -> None:
        rejected(lambda: m.CalendarEntry.objects.create(kind=m.RoundKind.CLUSTER_QUARTER, period=JAN_1, chain=chain))

    def test_calendar_period_is_a_first_day(self, chain) -> None:
        rejected(
            lambda: m.CalendarEntry.objects.create(
                kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 1, 2), chain=chain
            )
        )

    def test_one_calendar_entry_per_period(self, chain) -> None:
        m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=JAN_1, chain=chain)
        rejected(lambda: m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=JAN_1, chain=chain))

    def test_round_has_chain_or_cluster_not_both(self, chain) -> None:
        cluster = f.ClusterFactory()
        rejected(lambda: f.RoundFactory(chain=chain, cluster=cluster))

    def test_one_round_per_period(self, chain) -> None:
        f.RoundFactory(chain=chain)
        rejected(lambda: f.RoundFactory(chain=f.ChainFactory()))

    def test_match_has_exactly_one_target(self, chain, regions) -> None:
        profile = f.ProfileFactory()
        round_ = f.RoundFactory(chain=chain)
        rejected(
            lambda: m.Match.objects.create(
                round=round_, profile=profile, enterprise=profile.enterprise, rank=1, score=1.0
            )
        )

    def test_delivery_once_per_recipient(self, chain) -> None:
        report = m.Report.objects.create(round=f.RoundFactory(chain=chain))
        m.Delivery.objects.create(report=report, email="a@example.cn")
        rejected(lambda: m.Delivery.objects.create(report=report, email="a@example.cn"))


class TestMemberships:
    def test_region_official_needs_a_region(self, db) -> None:
        rejected(lambda: m.Membership.objects.create(user=f.UserFactory(), role=m.Role.REGION_OFFICIAL))

    def test_enterprise_member_needs_an_enterprise(self, db) -> None:
        rejected(lambda: m.Membership.objects.create(user=f.UserFactory(), role=m.Role.ENTERPRISE_MEMBER))

    def test_only_members_are_tied_to_an_enterprise(self, regions) -> None:
        enterprise = f.EnterpriseFactory()
        rejected(
            lambda: m.Membership.objects.create(user=f.UserFactory(), role=m.Role.JOINT_OFFICE, enterprise=enterprise)
        )
