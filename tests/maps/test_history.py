"""History pages, the chain as of a date, the changes between two dates, and who may see them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainmap import models as m
from chainmap.maps.selectors import history as selectors_history
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY0, DAY1, DAY2, DAY3 = (dt.date(2026, 10, day) for day in (1, 2, 3, 4))
AFTER = dt.datetime(2026, 10, 10, 9, tzinfo=SHANGHAI)


def at(day: dt.date, hour: int = 10) -> time_machine.travel:
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


def save(obj, *, user, reason: str) -> None:
    obj._change_reason = reason
    obj._history_user = user
    obj.version = getattr(obj, "version", 0) + 1
    obj.save()


@pytest.fixture
def edited(joint_office, bj_official, member_enterprise, regions):
    """A chain edited over four days: day 0 set-up, day 1 node added, day 2 renamed, day 3 edge
    removed and placement confirmed."""
    with at(DAY0):
        chain = f.ChainFactory(slug="h2", name="氢能")
        source = f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢", segment="up")
        target = f.NodeFactory(chain=chain, code="H2-MID-01", name="燃料电池系统", segment="mid")
        edge = f.EdgeFactory(chain=chain, source=source, target=target, kind="material")
        placement = f.PlacementFactory(
            enterprise=member_enterprise, node=target, status=m.Placement.Status.PROPOSED, role="product"
        )
    with at(DAY1):
        added = m.Node(chain=chain, code="H2-DN-01", name="重卡", segment="down")
        save(added, user=bj_official, reason="补充下游应用")
    with at(DAY2):
        added.name = "氢燃料重卡"
        save(added, user=joint_office, reason="统一名称")
    edge_id = edge.pk
    with at(DAY3):
        edge._change_reason, edge._history_user = "供应关系不成立", joint_office
        edge.delete()
        placement.status = m.Placement.Status.CONFIRMED
        placement.reviewed_by = bj_official
        save(placement, user=bj_official, reason="核实产品")
    return {
        "chain": chain,
        "source": source,
        "target": target,
        "added": added,
        "edge_id": edge_id,
        "placement": placement,
    }


# --- object history --------------------------------------------------------------------------------


def test_node_history_shows_who_when_reason_and_before_after(client_for, edited, joint_office):
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get("/nodes/h2-dn-01/history/")
    assert response.status_code == 200
    entries = list(response.context["page_obj"].object_list)
    assert [entry.action for entry in entries] == ["~", "+"]
    renamed, created = entries
    assert renamed.user == "alice" and renamed.reason == "统一名称"
    assert renamed.at == dt.datetime(2026, 10, 3, 10, tzinfo=SHANGHAI)
    assert [(c.field, c.before, c.after) for c in renamed.changes] == [("name", "重卡", "氢燃料重卡")]
    assert created.user == "bj_official" and created.reason == "补充下游应用"
    # Choices are shown by label, not by stored value.
    assert ("segment", "—", str(m.Segment.DOWNSTREAM.label)) in [(c.field, c.before, c.after) for c in created.changes]
    body = response.content.decode()
    assert "统一名称" in body and "2026-10-03 10:00" in body and "氢燃料重卡" in body


def test_placement_history_shows_foreign_keys_by_name_and_choice_labels(client_for, edited, he_official):
    placement = edited["placement"]
    with time_machine.travel(AFTER, tick=False):
        response = client_for(he_official).get(f"/placements/{placement.pk}/history/")
    assert response.status_code == 200
    confirmed = response.context["page_obj"].object_list[0]
    changes = {c.field: (c.before, c.after) for c in confirmed.changes}
    assert changes["status"] == (str(m.Placement.Status.PROPOSED.label), str(m.Placement.Status.CONFIRMED.label))
    assert changes["reviewed_by"] == ("—", "bj_official")
    assert "version" not in changes
    assert confirmed.object_label == "天津示例氢能科技有限公司 @ H2-MID-01 燃料电池系统"


def test_a_deleted_edge_keeps_its_history_for_officials(client_for, edited, tj_official, enterprise_member):
    edge_id = edited["edge_id"]
    with time_machine.travel(AFTER, tick=False):
        response = client_for(tj_official).get(f"/edges/{edge_id}/history/")
        hidden = client_for(enterprise_member).get(f"/edges/{edge_id}/history/")
    assert response.status_code == 200
    assert response.context["history"].deleted is True
    deleted = response.context["page_obj"].object_list[0]
    assert deleted.action == "-" and deleted.reason == "供应关系不成立" and deleted.user == "alice"
    assert "H2-UP-01 制氢 → H2-MID-01 燃料电池系统" in response.content.decode()
    assert hidden.status_code == 404


def test_a_deleted_node_history_is_reachable_by_its_code(client_for, joint_office, regions):
    with at(DAY0):
        node = m.Node(chain=f.ChainFactory(), code="X-UP-09", name="将删除", segment="up")
        save(node, user=joint_office, reason="新建")
    with at(DAY1):
        node._change_reason, node._history_user = "误建", joint_office
        node.delete()
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get("/nodes/X-UP-09/history/")
    assert response.status_code == 200
    assert [entry.action for entry in response.context["page_obj"].object_list] == ["-", "+"]
    assert "误建" in response.content.decode()
    assert client_for(joint_office).get("/nodes/NEVER-UP-01/history/").status_code == 404


def test_bottleneck_history_lists_node_changes(client_for, joint_office, regions):
    chain = f.ChainFactory()
    one = f.NodeFactory(chain=chain, code="B-UP-01", name="质子交换膜")
    two = f.NodeFactory(chain=chain, code="B-UP-02", name="催化剂")
    with at(DAY0):
        bottleneck = f.BottleneckFactory(chain=chain, code="KD-900", title="膜寿命")
        bottleneck.nodes.set([one])
    with at(DAY1):
        bottleneck.severity = m.Bottleneck.Severity.CRITICAL
        save(bottleneck, user=joint_office, reason="升级")
        bottleneck.nodes.add(two)
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get("/bottlenecks/KD-900/history/")
    assert response.status_code == 200
    changes = [(c.field, c.before, c.after) for e in response.context["page_obj"].object_list for c in e.changes]
    assert ("severity", str(m.Bottleneck.Severity.HIGH.label), str(m.Bottleneck.Severity.CRITICAL.label)) in changes
    assert ("nodes", "B-UP-01 质子交换膜", "B-UP-01 质子交换膜、B-UP-02 催化剂") in changes


# --- chain history ------------------------------------------------------------------------------


def test_chain_history_merges_every_kind_newest_first(client_for, edited, joint_office):
    term = f.TermFactory(chain=edited["chain"], starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 4, 30))
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get("/chains/h2/history/")
    assert response.status_code == 200
    entries = list(response.context["page_obj"].object_list)
    kinds = {entry.kind for entry in entries}
    assert kinds == {"node", "edge", "placement", "term"}
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    reasons = [entry.reason for entry in entries]
    assert reasons.index("核实产品") < reasons.index("统一名称") < reasons.index("补充下游应用")
    assert f"/terms/{term.pk}/history/" in response.content.decode()


def _chain_with_node_history(count: int, user) -> m.Chain:
    chain = f.ChainFactory()
    parent = None
    for index in range(count):
        node = m.Node(chain=chain, code=f"Q{count}-UP-{index:02d}", name=f"节点{index}", segment="up", parent=parent)
        save(node, user=user, reason="批量")
        parent = parent or node
    return chain


def test_chain_history_runs_a_constant_number_of_queries(client_for, joint_office):
    client = client_for(joint_office)
    counts = []
    for rows in (2, 20):
        chain = _chain_with_node_history(rows, joint_office)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/chains/{chain.slug}/history/")
        assert response.status_code == 200 and len(response.context["page_obj"].object_list) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- as of a date, and the changes between two dates ------------------------------------------------


def _as_of(client, day: dt.date):
    response = client.get(f"/chains/h2/as-of/?date={day.isoformat()}")
    assert response.status_code == 200
    state = response.context["state"]
    nodes = {node.code: node.name for block in state.segments for node in block.nodes}
    edges = [(edge.source, edge.target) for edge in state.edges]
    placements = [(p.enterprise, p.node) for p in state.placements]
    return nodes, edges, placements


def test_as_of_each_day_shows_the_map_of_that_day(client_for, edited, joint_office):
    client = client_for(joint_office)
    edge = ("H2-UP-01 制氢", "H2-MID-01 燃料电池系统")
    placement = ("天津示例氢能科技有限公司", "H2-MID-01 燃料电池系统")
    with time_machine.travel(AFTER, tick=False):
        assert _as_of(client, DAY0) == ({"H2-UP-01": "制氢", "H2-MID-01": "燃料电池系统"}, [edge], [])
        nodes, edges, placements = _as_of(client, DAY1)
        assert nodes["H2-DN-01"] == "重卡" and edges == [edge] and placements == []
        nodes, edges, placements = _as_of(client, DAY2)
        assert nodes["H2-DN-01"] == "氢燃料重卡" and edges == [edge] and placements == []
        nodes, edges, placements = _as_of(client, DAY3)
        assert len(nodes) == 3 and edges == [] and placements == [placement]
        # Today reads the live tables: the same map as day 3.
        assert _as_of(client, AFTER.date()) == _as_of(client, DAY3)


def test_as_of_before_any_data_shows_an_empty_map_with_a_note(client_for, edited, joint_office):
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get("/chains/h2/as-of/?date=2020-01-01")
    assert response.status_code == 200
    assert response.context["state"].is_empty
    assert "2026-10-01" in response.content.decode()  # where the recorded history starts


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "", "2099-01-01"])
def test_as_of_with_a_bad_date_answers_a_form_error(client_for, edited, joint_office, value):
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get(f"/chains/h2/as-of/?date={value}")
    assert response.status_code == 400
    assert "date" in response.context["form"].errors


def test_as_of_links_the_diagram_of_that_day(client_for, edited, joint_office):
    with time_machine.travel(AFTER, tick=False):
        response = client_for(joint_office).get(f"/chains/h2/as-of/?date={DAY1.isoformat()}")
    assert "/chains/h2/diff/?from=2026-10-02&amp;to=2026-10-10" in response.content.decode()


def test_changes_from_day_one_to_day_three_are_exactly_the_edits(edited):
    with time_machine.travel(AFTER, tick=False):
        changes = selectors_history.chain_changes(chain_id=edited["chain"].pk, from_date=DAY1, to_date=DAY3)
    assert (changes.nodes.added, changes.nodes.removed) == ([], [])
    [renamed] = changes.nodes.changed
    assert renamed.label == "H2-DN-01 氢燃料重卡"
    assert [(c.field, c.before, c.after) for c in renamed.changes] == [("name", "重卡", "氢燃料重卡")]
    assert [item.label for item in changes.edges.removed] == ["H2-UP-01 制氢 → H2-MID-01 燃料电池系统"]
    assert changes.edges.added == [] and changes.edges.changed == []
    assert [item.label for item in changes.placements.added] == [
        f"天津示例氢能科技有限公司 @ H2-MID-01 燃料电池系统 ({m.Placement.Role.PRODUCT.label})"
    ]
    assert changes.placements.removed == [] and changes.placements.changed == []
    assert changes.count == 3


def test_changes_from_day_zero_list_the_node_as_added(edited):
    with time_machine.travel(AFTER, tick=False):
        changes = selectors_history.chain_changes(chain_id=edited["chain"].pk, from_date=DAY0, to_date=DAY3)
    assert [item.label for item in changes.nodes.added] == ["H2-DN-01 氢燃料重卡"]
    assert changes.nodes.changed == []
    assert changes.count == 3


def test_the_diff_page_lists_the_changes_next_to_the_diagram(client_for, edited, tj_official, enterprise_member):
    url = f"/chains/h2/diff/?from={DAY1.isoformat()}&to={DAY3.isoformat()}"
    with time_machine.travel(AFTER, tick=False):
        response = client_for(tj_official).get(url)
        member_view = client_for(enterprise_member).get(url)
    assert response.status_code == 200
    assert response.context["changes"].count == 3
    body = response.content.decode()
    assert "H2-UP-01 制氢 → H2-MID-01 燃料电池系统" in body and "<del>重卡</del>" in body
    # The diagram stays public to the chain's viewers; the listed changes are history, officials only.
    assert member_view.status_code == 200 and "changes" not in member_view.context
    assert "<del>重卡</del>" not in member_view.content.decode()


# --- permissions ----------------------------------------------------------------------------------


@pytest.fixture
def objects(member_enterprise, joint_office, regions):
    chain = f.ChainFactory(slug="perm")
    node = f.NodeFactory(chain=chain, code="P-UP-01")
    edge = f.EdgeFactory(chain=chain, source=node)
    placement = f.PlacementFactory(enterprise=member_enterprise, node=node)
    published = f.BottleneckFactory(chain=chain, code="KD-P1", status=m.BottleneckStatus.PUBLISHED)
    collected = f.BottleneckFactory(chain=chain, code="KD-P2", status=m.BottleneckStatus.COLLECTED)
    other = f.PlacementFactory(enterprise=f.EnterpriseFactory(region=regions["BJ"]), node=node)
    term = f.TermFactory(chain=chain)
    return {
        "node": "/nodes/P-UP-01/history/",
        "edge": f"/edges/{edge.pk}/history/",
        "placement": f"/placements/{placement.pk}/history/",
        "other_placement": f"/placements/{other.pk}/history/",
        "published": f"/bottlenecks/{published.code}/history/",
        "collected": f"/bottlenecks/{collected.code}/history/",
        "term": f"/terms/{term.pk}/history/",
        "chain": "/chains/perm/history/",
        "as_of": "/chains/perm/as-of/",
        "diff": "/chains/perm/diff/",
    }


PERSONAS = ("joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber", None)
# page → status per persona, in PERSONAS order (None: anonymous, sent to the login page).
MATRIX = {
    "node": (200, 200, 200, 200, 403, 403, 302),
    "edge": (200, 200, 200, 200, 403, 403, 302),
    "placement": (200, 200, 200, 200, 403, 404, 302),
    "other_placement": (200, 200, 200, 200, 404, 404, 302),
    "published": (200, 200, 200, 200, 403, 403, 302),
    "collected": (200, 200, 200, 200, 404, 404, 302),
    "term": (200, 200, 200, 200, 403, 403, 302),
    "chain": (200, 200, 200, 200, 403, 403, 302),
    "as_of": (200, 200, 200, 200, 403, 403, 302),
}


@pytest.mark.parametrize(
    ("page", "persona", "expected"),
    [(page, persona, statuses[index]) for page, statuses in MATRIX.items() for index, persona in enumerate(PERSONAS)],
)
def test_history_page_permissions(client_for, objects, request, page, persona, expected):
    user = request.getfixturevalue(persona) if persona else None
    response = client_for(user).get(objects[page])
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        ("joint_office", True),
        ("bj_official", True),
        ("he_official", True),
        ("enterprise_member", False),
        ("subscriber", False),
    ],
)
def test_history_links_show_only_to_those_who_may_follow_them(client_for, objects, request, persona, links):
    client = client_for(request.getfixturevalue(persona))
    chain_page = client.get("/chains/perm/").content.decode()
    node_page = client.get("/nodes/P-UP-01/").content.decode()
    assert ("/chains/perm/history/" in chain_page) is links
    assert ("/chains/perm/as-of/" in chain_page) is links
    assert ("/nodes/P-UP-01/history/" in node_page) is links


def test_the_default_diff_counts_from_the_first_recorded_day_not_from_an_empty_map(client_for, edited, tj_official):
    # AFTER is nine days after DAY0: the default window (30 days back) starts before anything was recorded.
    with time_machine.travel(AFTER, tick=False):
        response = client_for(tj_official).get("/chains/h2/diff/")
    assert response.status_code == 200
    changes = response.context["changes"]
    # Only the node added on DAY1 is new; the day-zero nodes are not listed as added.
    assert [item.label for item in changes.nodes.added] == ["H2-DN-01 氢燃料重卡"]
    assert response.context["history_starts"] == DAY0
    assert "2026-10-01" in response.content.decode()


def test_the_diff_form_submits_the_dates_it_shows(client_for, edited, tj_official):
    with time_machine.travel(AFTER, tick=False):
        response = client_for(tj_official).get(f"/chains/h2/diff/?from={DAY1.isoformat()}&to={DAY2.isoformat()}")
    body = response.content.decode()
    assert 'name="from" value="2026-10-02"' in body and 'name="to" value="2026-10-03"' in body
    assert response.context["changes"].count == 1


def test_a_chain_recorded_only_today_has_nothing_to_compare_yet(client_for, tj_official, regions):
    with at(DAY0):
        f.NodeFactory(chain=f.ChainFactory(slug="fresh"), code="FR-UP-01", name="新节点", segment="up")
        response = client_for(tj_official).get("/chains/fresh/diff/")
    assert response.status_code == 200 and response.context["diagram"] is None
    assert "changes" not in response.context
