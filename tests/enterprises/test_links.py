"""Links to enterprise pages: every page shows a link only where the user may open the enterprise's page,
plain text elsewhere (``{% enterprise_link %}``), so no persona meets a link that answers 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from chainmap import models as m
from chainmap.templatetags.enterprise_links import may_view_enterprise
from projects import models as pm
from tests import factories as f

PERSONAS = ("joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber")
ENTERPRISE_HREF = re.compile(r'href="(/enterprises/[^/"]+/)"')


@pytest.fixture
def world(regions, member_enterprise):
    """The member's own enterprise and another region's, both on one node, one project, one challenge."""
    other = f.EnterpriseFactory(name="北京别家电堆有限公司", region=regions["BJ"])
    chain = f.ChainFactory(slug="hydrogen", name="氢能")
    node = f.NodeFactory(chain=chain, code="H2-UP-01", name="质子交换膜")
    for enterprise in (member_enterprise, other):
        f.PlacementFactory(enterprise=enterprise, node=node)
    bottleneck = f.BottleneckFactory(chain=chain, code="KD-H2-001", title="质子交换膜耐久性")
    bottleneck.nodes.add(node)
    project = f.ProjectFactory(code="JP1-01", chain=chain)
    project.bottlenecks.add(bottleneck)
    pm.Participant.objects.create(
        project=project, unit_name=other.name, region=regions["BJ"], role="lead", enterprise=other
    )
    pm.Participant.objects.create(
        project=project, unit_name=member_enterprise.name, region=regions["TJ"], enterprise=member_enterprise
    )
    published = {"status": pm.ChallengeStatus.PUBLISHED, "published_on": dt.date(2026, 11, 2)}
    challenge = f.ChallengeFactory(code="CH-H2-01", bottleneck=bottleneck, **published)
    f.ChallengeFactory(code="CH-H2-02", bottleneck=bottleneck, deadline=dt.date(2027, 12, 31), **published)
    for enterprise in (member_enterprise, other):
        application = pm.Application.objects.create(
            challenge=challenge, enterprise=enterprise, team_lead="张工", proposal="技术方案"
        )
        application.consortium.add(other if enterprise == member_enterprise else member_enterprise)
    return {"own": member_enterprise, "other": other, "node": node, "project": project, "challenge": challenge}


def pages(world) -> list[str]:
    node = world["node"]
    return [
        f"/projects/{world['project'].code}/",
        f"/nodes/{node.code}/",
        f"/enterprises/?chain={node.chain.slug}&node={node.code}",
        f"/projects/challenges/{world['challenge'].code}/",
        "/projects/challenges/CH-H2-02/apply/",
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_links_only_to_enterprise_pages_the_user_may_open(persona, world, client_for, request) -> None:
    client = client_for(request.getfixturevalue(persona))
    dead = []
    for url in pages(world):
        response = client.get(url)
        if response.status_code != 200:
            continue  # pages the persona may not open are the permission matrices' business
        for href in set(ENTERPRISE_HREF.findall(response.content.decode())):
            status = client.get(href).status_code
            if status != 200:
                dead.append((url, href, status))
    assert dead == []


def test_it_shows_other_enterprises_as_plain_text_to_an_enterprise_member(world, enterprise_member, client_for):
    client = client_for(enterprise_member)
    body = client.get(f"/projects/{world['project'].code}/").content.decode()
    own, other = world["own"], world["other"]
    assert f'<a href="/enterprises/{own.credit_code}/">{own.name}</a>' in body
    assert other.name in body
    assert f"/enterprises/{other.credit_code}/" not in body


def test_it_shows_participants_as_plain_text_to_a_subscriber(world, subscriber, client_for):
    body = client_for(subscriber).get(f"/projects/{world['project'].code}/").content.decode()
    assert world["other"].name in body and world["own"].name in body
    assert ENTERPRISE_HREF.findall(body) == []


def test_it_links_every_participant_and_applicant_for_an_official(world, bj_official, client_for):
    client = client_for(bj_official)
    project_page = client.get(f"/projects/{world['project'].code}/").content.decode()
    challenge_page = client.get(f"/projects/challenges/{world['challenge'].code}/").content.decode()
    for enterprise in (world["own"], world["other"]):
        link = f'<a href="/enterprises/{enterprise.credit_code}/">{enterprise.name}</a>'
        assert link in project_page
        assert link in challenge_page


def test_the_rule_agrees_with_the_queryset_for_every_persona(world, request) -> None:
    enterprises = list(m.Enterprise.objects.all())
    for persona in PERSONAS:
        user = request.getfixturevalue(persona)
        visible = set(m.Enterprise.objects.visible_to(user).values_list("pk", flat=True))
        decided = {e.pk for e in enterprises if may_view_enterprise(user=user, enterprise=e)}
        assert decided == visible, persona


def test_the_tag_decides_without_a_query_and_escapes_the_name(
    world, enterprise_member, django_assert_num_queries
) -> None:
    world["other"].name = '<b>"坏"</b>'
    template = Template("{% load enterprise_links %}{% for e in es %}{% enterprise_link e %};{% endfor %}")
    web = RequestFactory().get("/")
    web.user = enterprise_member
    enterprise_member.membership  # noqa: B018 - loaded once per request by the middleware's first role check
    with django_assert_num_queries(0):
        html = template.render(Context({"es": [world["own"], world["other"]], "request": web}))
    own = world["own"]
    assert html == f'<a href="/enterprises/{own.credit_code}/">{own.name}</a>;&lt;b&gt;&quot;坏&quot;&lt;/b&gt;;'
