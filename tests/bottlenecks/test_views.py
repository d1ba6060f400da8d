"""The bottleneck board and pages: persona × page matrix, buttons only for those who may use them,
create and edit with a reason kept in the history, the conflict page on a stale version, errors that
name the field, Chinese text, and a query budget on the board."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainmap import models as m
from chainmap.maps.services import mapedit
from tests import factories as f
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

PERSONAS = ["joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber", None]


def user_of(request, persona):
    return request.getfixturevalue(persona) if persona else None


@pytest.fixture
def board(chain_map):
    """Beijing leads the chain today: a published bottleneck on two nodes and a collected one."""
    published = f.BottleneckFactory(
        chain=chain_map.chain,
        code="KD-001",
        title="高性能质子交换膜",
        status=m.BottleneckStatus.PUBLISHED,
        severity=m.Bottleneck.Severity.CRITICAL,
    )
    published.nodes.add(chain_map.up, chain_map.mid)
    collected = f.BottleneckFactory(
        chain=chain_map.chain, code="KD-002", title="内部收集卡点", status=m.BottleneckStatus.COLLECTED
    )
    return published, collected


ALL_ROLES = {persona: 200 for persona in PERSONAS} | {None: 302}
OFFICIALS_ONLY = ALL_ROLES | {"enterprise_member": 404, "subscriber": 404}
# Editing: the leading region (BJ) and the joint office; the others see the bottleneck but may not.
EDITORS = {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 403,
    "he_official": 403,
    "enterprise_member": 403,
    "subscriber": 403,
    None: 302,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/bottlenecks/", ALL_ROLES),
        ("/bottlenecks/KD-001/", ALL_ROLES),
        ("/bottlenecks/KD-002/", OFFICIALS_ONLY),
        ("/chains/hydrogen/bottlenecks/new/", EDITORS),
        ("/bottlenecks/KD-001/edit/", EDITORS),
        ("/bottlenecks/KD-002/edit/", EDITORS | {"enterprise_member": 404, "subscriber": 404}),
    ],
)
def test_bottleneck_pages_permission_matrix(board, client_for, request, persona, url, expected):
    response = client_for(user_of(request, persona)).get(url)
    assert response.status_code == expected[persona]
    if persona is None:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["joint_office", "bj_official", "tj_official", "he_official"])
def test_a_forbidden_edit_post_writes_nothing(board, client_for, request, persona):
    response = client_for(user_of(request, persona)).post(
        "/bottlenecks/KD-001/edit/",
        {"title": "改了", "severity": 4, "status": "published", "reason": "试试", "version": 1},
    )
    assert response.status_code == (403 if persona in ("tj_official", "he_official") else 302)
    board[0].refresh_from_db()
    assert (board[0].title == "改了") == (persona in ("joint_office", "bj_official"))


def test_unknown_bottleneck_and_chain_are_404(board, client_for, joint_office):
    client = client_for(joint_office)
    assert client.get("/bottlenecks/NOPE-9/").status_code == 404
    assert client.get("/bottlenecks/NOPE-9/edit/").status_code == 404
    assert client.get("/chains/nope/bottlenecks/new/").status_code == 404


@pytest.mark.parametrize(
    ("persona", "edit", "history"),
    [
        ("joint_office", True, True),
        ("bj_official", True, True),
        ("tj_official", False, True),
        ("he_official", False, True),
        ("enterprise_member", False, False),
        ("subscriber", False, False),
    ],
)
def test_the_bottleneck_page_shows_only_usable_links(board, client_for, request, persona, edit, history):
    body = client_for(user_of(request, persona)).get("/bottlenecks/KD-001/").content.decode()
    assert ("/bottlenecks/KD-001/edit/" in body) == edit
    assert ("/bottlenecks/KD-001/history/" in body) == history
    # Nodes link to their pages, the chain to its page.
    assert "/nodes/H2-UP-01/" in body and "/nodes/H2-MID-01/" in body and "/chains/hydrogen/" in body


def test_the_bottleneck_page_shows_every_field_in_chinese(board, client_for, tj_official):
    f.ChallengeFactory(bottleneck=board[0])
    response = client_for(tj_official).get("/bottlenecks/KD-001/")
    body = response.content.decode()
    assert "高性能质子交换膜" in body and "KD-001" in body and "制氢" in body
    assert "卡点看板" in body and "严重程度" in body and "已发布" in body
    assert response.context["page"].challenge_count == 1
    assert response.context["page"].project_count == 0


def test_the_board_lists_visible_bottlenecks_with_status_counts_and_coverage(board, client_for, enterprise_member):
    f.BottleneckFactory(
        chain=board[0].chain, code="KD-003", status=m.BottleneckStatus.TAKEN, mechanism=m.Mechanism.JIEBANG
    )
    response = client_for(enterprise_member).get("/bottlenecks/")
    body = response.content.decode()
    assert "卡点看板" in body and "高性能质子交换膜" in body
    assert "内部收集卡点" not in body  # collected ones are internal
    assert 'href="/bottlenecks/KD-001/"' in body
    counts = {item.status: item.count for item in response.context["board"].statuses}
    assert counts == {
        "collected": 0,
        "published": 1,
        "taken": 1,
        "in_progress": 0,
        "breakthrough": 0,
        "accepted": 0,
    }
    coverage = response.context["board"].coverage
    assert (coverage.covered, coverage.total) == (1, 3)
    assert "1<small>/3</small>" in body


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({}, ["KD-001", "KD-002", "KD-003", "KD-004"]),
        ({"q": "质子"}, ["KD-001"]),
        ({"q": "kd-00"}, ["KD-001", "KD-002", "KD-003", "KD-004"]),
        ({"status": "taken"}, ["KD-003"]),
        ({"mechanism": "saima"}, ["KD-004"]),
        ({"severity": "4"}, ["KD-001"]),
        ({"raised_by": "HE"}, ["KD-004"]),
        ({"chain": "other"}, ["KD-004"]),
    ],
)
def test_the_board_filters(board, client_for, joint_office, regions, query, codes):
    f.BottleneckFactory(
        chain=board[0].chain, code="KD-003", status=m.BottleneckStatus.TAKEN, mechanism=m.Mechanism.JIEBANG
    )
    other = f.ChainFactory(slug="other")
    f.BottleneckFactory(
        chain=other,
        code="KD-004",
        raised_by=regions["HE"],
        status=m.BottleneckStatus.IN_PROGRESS,
        mechanism=m.Mechanism.SAIMA,
    )
    response = client_for(joint_office).get("/bottlenecks/", query)
    assert response.status_code == 200
    assert sorted(b.code for b in response.context["page_obj"]) == codes


def test_the_status_strip_counts_the_other_filters_but_not_the_status(board, client_for, joint_office):
    response = client_for(joint_office).get("/bottlenecks/", {"status": "published"})
    counts = {item.status: item.count for item in response.context["board"].statuses}
    assert counts["published"] == 1 and counts["collected"] == 1
    assert [b.code for b in response.context["page_obj"]] == ["KD-001"]


def test_a_bad_filter_value_names_the_field_and_never_500s(board, client_for, joint_office):
    response = client_for(joint_office).get("/bottlenecks/", {"status": "bogus", "severity": "9", "chain": "nope"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"status", "severity", "chain"} <= set(errors)
    assert response.context["page_obj"] is None


def test_the_board_paginates(board, client_for, joint_office):
    for index in range(55):
        f.BottleneckFactory(chain=board[0].chain, code=f"KD-P{index:02d}")
    client = client_for(joint_office)
    first = client.get("/bottlenecks/")
    assert len(first.context["page_obj"].object_list) == 50 and first.context["page_obj"].paginator.count == 57
    assert len(client.get("/bottlenecks/", {"page": 2}).context["page_obj"].object_list) == 7


def test_the_board_runs_a_constant_number_of_queries(chain_map, client_for, tj_official):
    def make(n):
        for _ in range(n):
            bottleneck = f.BottleneckFactory(chain=f.ChainFactory(), status=m.BottleneckStatus.PUBLISHED)
            bottleneck.nodes.add(f.NodeFactory(chain=bottleneck.chain), f.NodeFactory(chain=bottleneck.chain))

    client = client_for(tj_official)
    make(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/bottlenecks/").status_code == 200
    make(18)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/bottlenecks/")
    assert response.context["page_obj"].paginator.count == 20
    assert len(many) == len(few) <= 14


def test_the_dashboard_and_the_chain_page_link_to_the_board_and_pages(board, client_for, he_official):
    client = client_for(he_official)
    assert 'href="/bottlenecks/"' in client.get("/").content.decode()
    assert 'href="/bottlenecks/KD-001/"' in client.get("/chains/hydrogen/").content.decode()
    assert 'href="/bottlenecks/KD-001/"' in client.get("/nodes/H2-UP-01/").content.decode()


# --- create and edit ----------------------------------------------------------------------------


def _create_data(chain_map, **overrides):
    data = {
        "code": "KD-050",
        "title": "低铂催化剂",
        "description": "降低铂载量",
        "raised_by": str(chain_map.bj_term.region_id),
        "severity": "3",
        "mechanism": "",
        "status": "collected",
        "target_date": "2027-06-30",
        "nodes": [str(chain_map.mid.pk)],
        "reason": "北京调研新增",
    }
    data.update(overrides)
    return data


def test_the_leader_adds_a_bottleneck_with_nodes_and_a_reason(board, chain_map, client_for, bj_official):
    response = client_for(bj_official).post("/chains/hydrogen/bottlenecks/new/", _create_data(chain_map))
    assert response.status_code == 302
    assert response["Location"] == "/bottlenecks/KD-050/"
    created = m.Bottleneck.objects.get(code="KD-050")
    assert created.chain == chain_map.chain and created.raised_by.code == "BJ"
    assert list(created.nodes.values_list("code", flat=True)) == ["H2-MID-01"]
    record = created.history.latest("history_date")
    assert record.history_change_reason == "北京调研新增" and record.history_user == bj_official


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "KD-001"}, "code"),
        ({"code": ""}, "code"),
        ({"title": ""}, "title"),
        ({"reason": ""}, "reason"),
        ({"reason": "  "}, "reason"),
        ({"status": "taken", "mechanism": ""}, "mechanism"),
        ({"status": "bogus"}, "status"),
        ({"severity": "7"}, "severity"),
        ({"target_date": "2027-13-45"}, "target_date"),
        ({"title": "长" * 201}, "title"),
        ({"nodes": ["999999"]}, "nodes"),
    ],
)
def test_bad_input_on_create_names_the_field(board, chain_map, client_for, bj_official, overrides, field):
    response = client_for(bj_official).post("/chains/hydrogen/bottlenecks/new/", _create_data(chain_map, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not m.Bottleneck.objects.filter(code="KD-050").exists()


def test_a_node_of_another_chain_cannot_be_chosen(board, chain_map, client_for, bj_official):
    foreign = f.NodeFactory(chain=f.ChainFactory())
    response = client_for(bj_official).post(
        "/chains/hydrogen/bottlenecks/new/", _create_data(chain_map, nodes=[str(foreign.pk)])
    )
    assert response.status_code == 400 and "nodes" in response.context["form"].errors


def _edit_data(**overrides):
    data = {
        "title": "高性能质子交换膜",
        "description": "",
        "severity": "4",
        "mechanism": "jiebang",
        "status": "taken",
        "target_date": "",
        "nodes": [],
        "reason": "已有团队揭榜",
        "version": "1",
    }
    data.update(overrides)
    return data


def test_the_leader_moves_a_bottleneck_on_and_the_history_keeps_the_reason(board, chain_map, client_for, bj_official):
    published = board[0]
    client = client_for(bj_official)
    page = client.get("/bottlenecks/KD-001/edit/")
    assert page.status_code == 200 and 'name="version"' in page.content.decode()
    data = _edit_data(nodes=[str(chain_map.up.pk), str(chain_map.down.pk)])
    response = client.post("/bottlenecks/KD-001/edit/", data)
    assert response.status_code == 302 and response["Location"] == "/bottlenecks/KD-001/"
    published.refresh_from_db()
    assert (published.status, published.mechanism, published.version) == ("taken", "jiebang", 2)
    assert sorted(published.nodes.values_list("code", flat=True)) == ["H2-DOWN-01", "H2-UP-01"]
    history = client.get("/bottlenecks/KD-001/history/").content.decode()
    assert "已有团队揭榜" in history and "bj_official" in history


def test_taking_a_bottleneck_without_a_mechanism_names_the_field(board, client_for, joint_office):
    response = client_for(joint_office).post("/bottlenecks/KD-001/edit/", _edit_data(mechanism=""))
    assert response.status_code == 400
    assert "mechanism" in response.context["form"].errors
    board[0].refresh_from_db()
    assert board[0].status == "published" and board[0].version == 1


def test_an_unchanged_save_says_so_and_writes_nothing(board, chain_map, client_for, joint_office):
    data = _edit_data(
        status="published", mechanism="", nodes=[str(chain_map.up.pk), str(chain_map.mid.pk)], reason="无"
    )
    response = client_for(joint_office).post("/bottlenecks/KD-001/edit/", data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    board[0].refresh_from_db()
    assert board[0].version == 1


def test_a_stale_version_gets_the_conflict_page_and_overwrites_nothing(board, client_for, joint_office, bj_official):
    mapedit.bottleneck_update(
        bottleneck_id=board[0].pk,
        user=joint_office,
        reason="联合办统一口径",
        expected_version=1,
        changes={"title": "质子交换膜（联合办）"},
    )
    client = client_for(bj_official)
    response = client.post("/bottlenecks/KD-001/edit/", _edit_data(title="北京口径", version="1"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "联合办统一口径" in body and "质子交换膜（联合办）" in body and "alice" in body
    assert 'name="version" value="2"' in body
    board[0].refresh_from_db()
    assert board[0].title == "质子交换膜（联合办）"
    # Submitting again from the conflict page (which carries the current version) saves deliberately.
    again = client.post("/bottlenecks/KD-001/edit/", _edit_data(title="北京口径", version="2"))
    assert again.status_code == 302
    board[0].refresh_from_db()
    assert board[0].title == "北京口径" and board[0].version == 3


def test_the_edit_form_offers_only_the_chains_nodes(board, chain_map, client_for, bj_official):
    foreign = f.NodeFactory(chain=f.ChainFactory(), code="ZZ-UP-99")
    form = client_for(bj_official).get("/bottlenecks/KD-001/edit/").context["form"]
    offered = set(form.fields["nodes"].queryset.values_list("code", flat=True))
    assert offered == {"H2-UP-01", "H2-MID-01", "H2-DOWN-01"} and foreign.code not in offered
    assert "code" not in form.fields and "raised_by" not in form.fields
