"""The profile editor's offer and need forms: the node select grouped by chain and segment."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainmap import models as m
from chainmap.enterprises.services import profiles as svc
from tests import factories as f

pytestmark = pytest.mark.django_db

OPTGROUP = re.compile(r'<optgroup label="([^"]*)">(.*?)</optgroup>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')


@pytest.fixture
def chains(regions):
    """Two chains whose nodes are created out of map order (downstream first, the later chain first)."""
    h2 = f.ChainFactory(code="H2", name="氢能", position=1)
    nev = f.ChainFactory(code="NEV", name="新能源汽车", position=2)
    f.NodeFactory(chain=nev, code="NEV-DN-01", name="整车", segment=m.Segment.DOWNSTREAM)
    f.NodeFactory(chain=h2, code="H2-DN-01", name="氢燃料电池汽车", segment=m.Segment.DOWNSTREAM)
    f.NodeFactory(chain=h2, code="H2-UP-02", name="双极板", segment=m.Segment.UPSTREAM, position=2)
    f.NodeFactory(chain=h2, code="H2-MID-01", name="电堆", segment=m.Segment.MIDSTREAM)
    f.NodeFactory(chain=h2, code="H2-UP-01", name="质子交换膜", segment=m.Segment.UPSTREAM, position=1)
    f.NodeFactory(chain=nev, code="NEV-UP-01", name="动力电池", segment=m.Segment.UPSTREAM)
    return {"h2": h2, "nev": nev}


def _draft(member, enterprise) -> m.CapabilityProfile:
    return svc.profile_start_draft(enterprise_id=enterprise.pk, user=member)


def _groups(body: str) -> list[tuple[str, list[tuple[str, str]]]]:
    select = body[body.index('name="node"') :]
    select = select[: select.index("</select>")]
    return [(label, OPTION.findall(options)) for label, options in OPTGROUP.findall(select)]


@pytest.mark.parametrize("url_name", ["chainmap:offer_create", "chainmap:need_create"])
def test_it_groups_the_node_select_by_chain_then_segment_in_map_order(
    chains, member_enterprise, enterprise_member, client_for, url_name
):
    url = reverse(url_name, args=[_draft(enterprise_member, member_enterprise).pk])
    body = client_for(enterprise_member).get(url).content.decode()
    assert _groups(body) == [
        ("氢能 · 上游", [("H2-UP-01", "H2-UP-01 · 质子交换膜"), ("H2-UP-02", "H2-UP-02 · 双极板")]),
        ("氢能 · 中游", [("H2-MID-01", "H2-MID-01 · 电堆")]),
        ("氢能 · 下游", [("H2-DN-01", "H2-DN-01 · 氢燃料电池汽车")]),
        ("新能源汽车 · 上游", [("NEV-UP-01", "NEV-UP-01 · 动力电池")]),
        ("新能源汽车 · 下游", [("NEV-DN-01", "NEV-DN-01 · 整车")]),
    ]
    assert '<option value="" selected>' in body  # "choose a node" first, outside the groups


def test_editing_an_offer_selects_its_node_inside_its_group(chains, member_enterprise, enterprise_member, client_for):
    draft = _draft(enterprise_member, member_enterprise)
    node = m.Node.objects.get(code="H2-MID-01")
    offer = svc.offer_save(profile_id=draft.pk, user=enterprise_member, node_id=node.pk, title="电堆样机")
    body = client_for(enterprise_member).get(reverse("chainmap:offer_edit", args=[offer.pk])).content.decode()
    assert '<option value="H2-MID-01" selected>H2-MID-01 · 电堆</option>' in body


def test_the_node_select_is_built_with_a_constant_number_of_queries(
    chains, member_enterprise, enterprise_member, client_for
):
    url = reverse("chainmap:need_create", args=[_draft(enterprise_member, member_enterprise).pk])
    client = client_for(enterprise_member)
    client.get(url)  # warm caches (session, site settings)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for index in range(40):
        chain = chains["h2"] if index % 2 else chains["nev"]
        segment = [m.Segment.UPSTREAM, m.Segment.MIDSTREAM, m.Segment.DOWNSTREAM][index % 3]
        f.NodeFactory(chain=chain, code=f"{chain.code}-X-{index:02d}", segment=segment)
    assert queries() == before
    assert sum(len(options) for _label, options in _groups(client.get(url).content.decode())) == 6 + 40


def test_a_posted_node_is_checked_against_the_visible_codes_and_saved(
    chains, member_enterprise, enterprise_member, client_for
):
    draft = _draft(enterprise_member, member_enterprise)
    client = client_for(enterprise_member)
    url = reverse("chainmap:need_create", args=[draft.pk])
    response = client.post(url, {"node": "H2-XX-99", "title": "膜电极", "status": "open"})
    assert response.status_code == 400 and "node" in response.context["form"].errors
    response = client.post(url, {"node": "NEV-UP-01", "title": "固态电池", "status": "open"})
    assert response.status_code == 302
    assert m.TechnologyNeed.objects.get().node.code == "NEV-UP-01"
