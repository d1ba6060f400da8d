"""Direct edits of a chain map: who may, reasons, history, conflicts, refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from chainmap import models as m
from chainmap.core.exceptions import ConflictError
from chainmap.maps.services import mapedit
from tests import factories as f
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def test_it_lets_the_leading_region_edit_and_records_who_and_why(chain_map, bj_official):
    node = mapedit.node_update(
        node_id=chain_map.up.pk,
        user=bj_official,
        reason="更名以对齐国标",
        expected_version=1,
        changes={"name": "电解水制氢"},
    )
    assert node.name == "电解水制氢" and node.version == 2
    record = node.history.first()
    assert record.history_user == bj_official
    assert record.history_change_reason == "更名以对齐国标"
    assert record.prev_record.name == "制氢"


@pytest.mark.parametrize("persona", ["tj_official", "he_official", "enterprise_member", "subscriber"])
def test_it_refuses_direct_edits_from_non_leaders(chain_map, persona, request):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        mapedit.node_update(
            node_id=chain_map.up.pk, user=user, reason="x", expected_version=1, changes={"name": "新名"}
        )
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "制氢"


def test_the_joint_office_may_edit_any_chain(chain_map, joint_office):
    node = mapedit.node_create(
        chain_id=chain_map.chain.pk, user=joint_office, reason="补充节点", code="h2-up-02", name="储氢", segment="up"
    )
    assert node.code == "H2-UP-02" and node.position > chain_map.up.position


def test_every_edit_needs_a_reason(chain_map, bj_official):
    with pytest.raises(ValidationError) as error:
        mapedit.node_update(
            node_id=chain_map.up.pk, user=bj_official, reason="  ", expected_version=1, changes={"name": "新名"}
        )
    assert "reason" in error.value.message_dict


def test_a_second_save_on_an_old_version_gets_a_conflict_with_the_other_change(chain_map, bj_official, joint_office):
    mapedit.node_update(
        node_id=chain_map.up.pk, user=joint_office, reason="第一次修改", expected_version=1, changes={"name": "甲"}
    )
    with pytest.raises(ConflictError) as conflict:
        mapedit.node_update(
            node_id=chain_map.up.pk, user=bj_official, reason="第二次修改", expected_version=1, changes={"name": "乙"}
        )
    assert conflict.value.current.name == "甲"
    [change] = conflict.value.changes
    assert change["user"] == "alice" and change["reason"] == "第一次修改"
    assert ("名称", "制氢", "甲") in change["fields"]  # labels and display values: shown to people
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "甲" and chain_map.up.version == 2


def test_an_unchanged_save_keeps_the_version_and_writes_no_history(chain_map, bj_official):
    before = chain_map.up.history.count()
    node = mapedit.node_update(
        node_id=chain_map.up.pk, user=bj_official, reason="无变化", expected_version=1, changes={"name": "制氢"}
    )
    assert node.version == 1 and node.history.count() == before


def test_deleting_a_node_with_enterprises_or_bottlenecks_is_refused_with_a_clear_message(chain_map, bj_official):
    f.PlacementFactory(node=chain_map.mid, status=m.Placement.Status.CONFIRMED)
    bottleneck = f.BottleneckFactory(chain=chain_map.chain)
    bottleneck.nodes.add(chain_map.mid)
    with pytest.raises(ValidationError) as error:
        mapedit.node_delete(node_id=chain_map.mid.pk, user=bj_official, reason="删除")
    messages = " ".join(error.value.message_dict["node"])
    assert "企业挂接" in messages and "卡点" in messages
    assert m.Node.objects.filter(pk=chain_map.mid.pk).exists()
    assert m.Edge.objects.filter(pk=chain_map.up_mid.pk).exists()


def test_deleting_a_free_node_removes_its_edges_in_history(chain_map, bj_official):
    mapedit.node_delete(node_id=chain_map.down.pk, user=bj_official, reason="该环节不再单列")
    assert not m.Node.objects.filter(pk=chain_map.down.pk).exists()
    assert not m.Edge.objects.filter(pk=chain_map.mid_down.pk).exists()
    deleted = m.Edge.history.filter(id=chain_map.mid_down.pk, history_type="-").get()
    assert deleted.history_change_reason == "该环节不再单列" and deleted.history_user == bj_official


@pytest.mark.parametrize(
    ("source", "target", "field"),
    [("down", "up", "target"), ("up", "up", "target"), ("up", "mid", "target")],
    ids=["cycle", "self-loop", "duplicate"],
)
def test_bad_edges_are_refused_naming_the_field(chain_map, bj_official, source, target, field):
    with pytest.raises(ValidationError) as error:
        mapedit.edge_create(
            chain_id=chain_map.chain.pk,
            user=bj_official,
            reason="补充供应关系",
            source_id=getattr(chain_map, source).pk,
            target_id=getattr(chain_map, target).pk,
        )
    assert field in error.value.message_dict
    assert m.Edge.objects.count() == 2


def test_an_edge_across_chains_is_refused(chain_map, bj_official):
    other = f.NodeFactory(code="EV-UP-01")
    with pytest.raises(ValidationError) as error:
        mapedit.edge_create(
            chain_id=chain_map.chain.pk,
            user=bj_official,
            reason="跨链",
            source_id=chain_map.up.pk,
            target_id=other.pk,
        )
    assert "target" in error.value.message_dict


def test_a_parent_cycle_is_refused(chain_map, bj_official):
    mapedit.node_update(
        node_id=chain_map.mid.pk,
        user=bj_official,
        reason="挂到上游下",
        expected_version=1,
        changes={"parent_id": chain_map.up.pk},
    )
    with pytest.raises(ValidationError) as error:
        mapedit.node_update(
            node_id=chain_map.up.pk,
            user=bj_official,
            reason="循环",
            expected_version=1,
            changes={"parent_id": chain_map.mid.pk},
        )
    assert "parent" in error.value.message_dict


def test_publishing_a_bottleneck_is_for_the_leader_and_stores_tokens(chain_map, bj_official, tj_official):
    bottleneck = f.BottleneckFactory(chain=chain_map.chain, title="质子交换膜", status="collected")
    with pytest.raises(PermissionDenied):
        mapedit.bottleneck_update(
            bottleneck_id=bottleneck.pk,
            user=tj_official,
            reason="发布",
            expected_version=1,
            changes={"status": "published"},
        )
    published = mapedit.bottleneck_update(
        bottleneck_id=bottleneck.pk,
        user=bj_official,
        reason="发布",
        expected_version=1,
        changes={"status": "published", "title": "高性能质子交换膜"},
    )
    published.refresh_from_db()
    assert published.status == "published" and published.version == 2
    assert {"质子", "高性能"} <= set(published.tokens)


def test_taking_a_bottleneck_without_a_mechanism_is_refused(chain_map, bj_official):
    bottleneck = f.BottleneckFactory(chain=chain_map.chain, status="published")
    with pytest.raises(ValidationError) as error:
        mapedit.bottleneck_update(
            bottleneck_id=bottleneck.pk,
            user=bj_official,
            reason="揭榜",
            expected_version=1,
            changes={"status": "taken"},
        )
    assert "mechanism" in error.value.message_dict


# --- three-way merge of a conflicting edit ------------------------------------------------------------


def test_merge_keeps_each_persons_own_changes_and_flags_fields_both_changed_differently():
    base = {"name": "制氢", "segment": "up", "description": "", "key_technologies": ""}
    theirs = {"name": "绿氢制备", "segment": "mid", "description": "甲", "key_technologies": ""}
    mine = {"name": "电解水制氢", "segment": "mid", "description": "", "key_technologies": "乙"}
    merge = mapedit.merge_three_way(base=base, mine=mine, theirs=theirs)
    assert merge.values == {"name": "电解水制氢", "segment": "mid", "description": "甲", "key_technologies": "乙"}
    assert (merge.mine, merge.theirs, merge.conflicts) == (("key_technologies",), ("description",), ("name",))


def test_merge_without_a_base_calls_every_disagreement_a_conflict():
    merge = mapedit.merge_three_way(
        base=None, mine={"name": "乙", "segment": "up"}, theirs={"name": "甲", "segment": "up"}
    )
    assert (merge.values, merge.mine, merge.theirs, merge.conflicts) == (
        {"name": "乙", "segment": "up"},
        (),
        (),
        ("name",),
    )


def test_values_at_version_reads_the_history(chain_map, bj_official):
    node = mapedit.node_update(
        node_id=chain_map.up.pk, user=bj_official, reason="改名", expected_version=1, changes={"name": "绿氢制备"}
    )
    assert mapedit.values_at_version(node, version=1, fields=["name", "parent_id"]) == {
        "name": "制氢",
        "parent_id": None,
    }
    assert mapedit.values_at_version(node, version=2, fields=["name"]) == {"name": "绿氢制备"}
    assert mapedit.values_at_version(node, version=9, fields=["name"]) is None
