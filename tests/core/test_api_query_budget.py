"""Every list endpoint runs the same number of queries with 2 and with 20 rows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chainmap import models as m
from projects import models as pm
from tests import factories as f

SEQ = itertools.count()


def _subregions(n: int) -> None:
    for _ in range(n):
        m.SubRegion.objects.create(region=f.region("BJ"), name=f"区{next(SEQ)}")


def _chains(n: int) -> None:
    for _ in range(n):
        f.TermFactory(chain=f.ChainFactory(), starts_on=dt.date(2000, 1, 1), ends_on=dt.date(2100, 1, 1))


def _clusters(n: int) -> None:
    for _ in range(n):
        f.ClusterFactory().chains.add(f.ChainFactory())


def _nodes(n: int) -> None:
    chain = f.ChainFactory()
    parent = f.NodeFactory(chain=chain)
    for _ in range(n - 1):
        f.NodeFactory(chain=chain, parent=parent)


def _edges(n: int) -> None:
    for _ in range(n):
        f.EdgeFactory()


def _enterprises(n: int) -> None:
    for _ in range(n):
        f.EnterpriseFactory()


def _placements(n: int) -> None:
    for _ in range(n):
        f.PlacementFactory()


def _profiles(n: int) -> None:
    for _ in range(n):
        profile = f.ProfileFactory()
        f.OfferFactory(profile=profile)
        f.NeedFactory(profile=profile)


def _terms(n: int) -> None:
    for _ in range(n):
        f.TermFactory()


def _proposals(n: int) -> None:
    author = f.member("author", m.Role.REGION_OFFICIAL, region_code="TJ")
    for i in range(n):
        chain = f.ChainFactory()
        proposal = m.ChangeProposal.objects.create(
            chain=chain,
            author=author,
            author_region=f.region("TJ"),
            routed_to=f.region("BJ"),
            title=f"p{i}",
            reason="r",
        )
        m.ProposalItem.objects.create(proposal=proposal, position=0, operation="add_node", payload={"code": "X-1"})


def _bottlenecks(n: int) -> None:
    for _ in range(n):
        bottleneck = f.BottleneckFactory()
        bottleneck.nodes.add(f.NodeFactory(chain=bottleneck.chain))


def _rounds(n: int) -> list[m.MatchingRound]:
    periods = (next(SEQ) for _ in range(n))
    return [f.RoundFactory(period=dt.date(2000 + k // 12, k % 12 + 1, 1)) for k in periods]


def _matches(n: int) -> None:
    round_ = _rounds(1)[0]
    bottleneck = f.BottleneckFactory(chain=round_.chain)
    for i in range(n):
        profile = f.ProfileFactory()
        m.Match.objects.create(
            round=round_, bottleneck=bottleneck, profile=profile, enterprise=profile.enterprise, rank=i + 1, score=1
        )


def _reports(n: int) -> None:
    for i, round_ in enumerate(_rounds(n)):
        report = m.Report.objects.create(round=round_)
        m.Delivery.objects.create(report=report, email=f"r{i}@example.cn")


def _subscriptions(n: int) -> None:
    for _ in range(n):
        subscription = m.Subscription.objects.create(user=f.UserFactory(username=f"sub{next(SEQ)}"))
        subscription.chains.add(f.ChainFactory())
        subscription.regions.add(f.region("BJ"))


def _challenges(n: int) -> None:
    for _ in range(n):
        challenge = f.ChallengeFactory()
        pm.ChallengePhase.objects.create(challenge=challenge, position=1, name="初赛", gate_on=dt.date(2026, 1, 1))


def _applications(n: int) -> None:
    challenge = f.ChallengeFactory()
    for _ in range(n):
        application = pm.Application.objects.create(
            challenge=challenge, enterprise=f.EnterpriseFactory(), team_lead="李", proposal="p"
        )
        application.consortium.add(f.EnterpriseFactory())


def _projects(n: int) -> None:
    for _ in range(n):
        project = f.ProjectFactory(chain=f.ChainFactory())
        project.bottlenecks.add(f.BottleneckFactory())
        pm.Participant.objects.create(project=project, unit_name="甲", region=f.region("BJ"), role="lead")
        pm.Milestone.objects.create(project=project, position=1, title="m", due_on=dt.date(2026, 1, 1))


def _milestones(n: int) -> None:
    project = f.ProjectFactory()
    for i in range(n):
        pm.Milestone.objects.create(project=project, position=i + 1, title="m", due_on=dt.date(2026, 1, 1))


def _calendar_entries(n: int) -> None:
    for _ in range(n):
        k = next(SEQ)
        chain = f.ChainFactory()
        period = dt.date(2000 + k // 12, k % 12 + 1, 1)
        m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=period, chain=chain)
        f.RoundFactory(period=period, chain=chain, status=m.RoundStatus.MATCHED)


def _deliveries(n: int) -> None:
    report = m.Report.objects.create(round=_rounds(1)[0])
    for _ in range(n):
        m.Delivery.objects.create(report=report, email=f"d{next(SEQ)}@example.cn")


def _users(n: int) -> None:
    for i in range(n):
        k = next(SEQ)
        if i % 2:
            f.member(f"ent{k}", m.Role.ENTERPRISE_MEMBER, enterprise=f.EnterpriseFactory())
        else:
            f.member(f"off{k}", m.Role.REGION_OFFICIAL, region_code="TJ")


LISTS: dict[str, Callable[[int], object]] = {
    "/api/calendar-entries/": _calendar_entries,
    "/api/deliveries/": _deliveries,
    "/api/users/": _users,
    "/api/offers/": _profiles,
    "/api/needs/": _profiles,
    "/api/regions/": _subregions,
    "/api/chains/": _chains,
    "/api/clusters/": _clusters,
    "/api/nodes/": _nodes,
    "/api/edges/": _edges,
    "/api/enterprises/": _enterprises,
    "/api/placements/": _placements,
    "/api/profiles/": _profiles,
    "/api/leadership-terms/": _terms,
    "/api/proposals/": _proposals,
    "/api/bottlenecks/": _bottlenecks,
    "/api/rounds/": _rounds,
    "/api/matches/": _matches,
    "/api/reports/": _reports,
    "/api/subscriptions/": _subscriptions,
    "/api/challenges/": _challenges,
    "/api/applications/": _applications,
    "/api/projects/": _projects,
    "/api/milestones/": _milestones,
}


def _count(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.content[:300]
    # Regions are fixed (three); their nested sub-regions are the rows that grow.
    return len(ctx.captured_queries), sum(1 + len(row.get("subregions", [])) for row in response.json()["results"])


@pytest.mark.parametrize("url", list(LISTS))
def test_list_query_count_does_not_grow_with_rows(url, joint_office) -> None:
    client = APIClient()
    client.force_login(joint_office)
    build = LISTS[url]
    build(2)
    few_queries, few_rows = _count(client, url)
    build(18)
    many_queries, many_rows = _count(client, url)
    assert many_rows > few_rows
    assert many_queries == few_queries


def test_chain_map_query_count_does_not_grow(joint_office) -> None:
    client = APIClient()
    client.force_login(joint_office)
    chain = f.ChainFactory(slug="budget")
    for _ in range(2):
        f.EdgeFactory(chain=chain)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/chains/budget/map/").status_code == 200
    for _ in range(18):
        f.EdgeFactory(chain=chain)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/chains/budget/map/")
    assert len(response.json()["nodes"]) == 40
    assert len(many.captured_queries) == len(few.captured_queries)
