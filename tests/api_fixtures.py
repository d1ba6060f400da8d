"""A small world for the API tests: one chain led by Beijing today, its map, an enterprise of each
kind of visibility, a proposal by Tianjin, a round with a match and a report, a project."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chainmap import models as m
from projects import models as pm
from tests import factories as f


@dataclass
class World:
    chain: m.Chain
    node: m.Node
    child: m.Node
    spare: m.Node
    edge: m.Edge
    tj_enterprise: m.Enterprise
    bj_enterprise: m.Enterprise
    placement: m.Placement
    profile: m.CapabilityProfile
    proposal: m.ChangeProposal
    bottleneck: m.Bottleneck
    collected: m.Bottleneck
    term: m.LeadershipTerm
    round: m.MatchingRound
    match: m.Match
    report: m.Report
    subscription: m.Subscription
    challenge: pm.Challenge
    application: pm.Application
    project: pm.JointProject
    milestone: pm.Milestone


@pytest.fixture
def world(
    regions, joint_office, bj_official, tj_official, he_official, enterprise_member, subscriber, member_enterprise
):
    today = timezone.localdate()
    chain = f.ChainFactory(slug="hydrogen", code="H2", name="氢能")
    term = f.TermFactory(
        chain=chain,
        region=regions["BJ"],
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=90),
    )
    node = f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢")
    child = f.NodeFactory(chain=chain, code="H2-UP-02", name="电解槽", parent=node)
    spare = f.NodeFactory(chain=chain, code="H2-MID-01", name="储氢", segment=m.Segment.MIDSTREAM)
    edge = f.EdgeFactory(chain=chain, source=node, target=spare)
    bj_enterprise = f.EnterpriseFactory(name="北京示例", region=regions["BJ"], contact_phone="010-1234")
    placement = f.PlacementFactory(enterprise=member_enterprise, node=node, status=m.Placement.Status.PROPOSED)
    profile = f.ProfileFactory(enterprise=member_enterprise, status=m.ProfileStatus.DRAFT)
    f.OfferFactory(profile=profile, node=node)
    f.NeedFactory(profile=profile, node=spare)
    proposal = m.ChangeProposal.objects.create(
        chain=chain,
        author=tj_official,
        author_region=regions["TJ"],
        routed_to=regions["BJ"],
        title="改名",
        reason="更准确",
    )
    m.ProposalItem.objects.create(
        proposal=proposal,
        position=0,
        operation="rename_node",
        node=spare,
        payload={"node": spare.code, "name": "储运"},
        base={"name": spare.name, "version": spare.version},
    )
    bottleneck = f.BottleneckFactory(chain=chain, code="KD-100", status=m.BottleneckStatus.PUBLISHED)
    bottleneck.nodes.add(node)
    collected = f.BottleneckFactory(chain=chain, code="KD-101", status=m.BottleneckStatus.COLLECTED)
    round_ = f.RoundFactory(chain=chain, status=m.RoundStatus.MATCHED)
    approved = f.ProfileFactory(enterprise=bj_enterprise, status=m.ProfileStatus.APPROVED)
    match = m.Match.objects.create(
        round=round_, bottleneck=bottleneck, profile=approved, enterprise=bj_enterprise, rank=1, score=0.5
    )
    report = m.Report.objects.create(round=round_, status="ready")
    subscription = m.Subscription.objects.create(user=subscriber)
    subscription.chains.add(chain)
    challenge = f.ChallengeFactory(
        bottleneck=bottleneck, status=pm.ChallengeStatus.PUBLISHED, published_on=today - dt.timedelta(days=5)
    )
    application = pm.Application.objects.create(
        challenge=challenge, enterprise=member_enterprise, team_lead="王工", proposal="方案"
    )
    project = f.ProjectFactory(chain=chain)
    pm.Participant.objects.create(project=project, unit_name="北京单位", region=regions["BJ"], role="lead")
    pm.Participant.objects.create(project=project, unit_name="天津单位", region=regions["TJ"])
    milestone = pm.Milestone.objects.create(project=project, position=1, title="样机", due_on=today)
    return World(
        chain=chain,
        node=node,
        child=child,
        spare=spare,
        edge=edge,
        tj_enterprise=member_enterprise,
        bj_enterprise=bj_enterprise,
        placement=placement,
        profile=profile,
        proposal=proposal,
        bottleneck=bottleneck,
        collected=collected,
        term=term,
        round=round_,
        match=match,
        report=report,
        subscription=subscription,
        challenge=challenge,
        application=application,
        project=project,
        milestone=milestone,
    )


@pytest.fixture
def api_for():
    """``api_for(user)`` → an APIClient with the user's session (None: anonymous)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def token_client(bj_official) -> APIClient:
    """A machine client: Beijing official's token, no session."""
    token, _ = Token.objects.get_or_create(user=bj_official)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def etag(response) -> str:
    return response["ETag"]


@pytest.fixture
def wsgi_requests():
    """Let the WSGI app share the test's transaction: Django's test client does the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
