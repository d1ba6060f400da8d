"""Change proposals: create, four eyes, approve, reject, stale, revert, withdraw, re-route."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from chainmap import models as m
from chainmap.maps.services import mapedit, proposals
from tests import factories as f
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def propose(chain_map, author, *items, reason="天津调研发现该环节需调整"):
    return proposals.proposal_create(chain_id=chain_map.chain.pk, author=author, reason=reason, items=list(items))


def test_a_proposal_is_routed_to_the_leading_region_with_its_base(chain_map, tj_official):
    proposal = propose(chain_map, tj_official, {"operation": "rename_node", "node": "h2-up-01", "name": "电解水制氢"})
    assert proposal.routed_to.code == "BJ" and proposal.author_region.code == "TJ"
    assert proposal.status == "open" and proposal.title == "将 H2-UP-01 更名为 电解水制氢"
    [item] = proposal.items.all()
    assert item.node == chain_map.up and item.base["version"] == 1 and item.base["name"] == "制氢"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"operation": "rename_node", "node": "NOPE-01", "name": "x"}, "items[0].node"),
        ({"operation": "add_node", "code": "H2-UP-01", "name": "重复", "segment": "up"}, "items[0].code"),
        ({"operation": "add_node", "code": "H2-UP-09", "name": "新", "segment": "sideways"}, "items[0].segment"),
        ({"operation": "add_edge", "source": "H2-UP-01", "target": "H2-MID-01"}, "items[0].target"),
        ({"operation": "explode"}, "items[0].operation"),
    ],
    ids=["unknown-node", "duplicate-code", "bad-segment", "duplicate-edge", "bad-operation"],
)
def test_bad_items_are_refused_naming_the_field_and_nothing_is_written(chain_map, tj_official, item, field):
    with pytest.raises(ValidationError) as error:
        propose(chain_map, tj_official, item)
    assert field in error.value.message_dict
    assert not m.ChangeProposal.objects.exists()


def test_a_reason_is_required(chain_map, tj_official):
    with pytest.raises(ValidationError) as error:
        propose(chain_map, tj_official, {"operation": "delete_node", "node": "H2-DOWN-01"}, reason=" ")
    assert "reason" in error.value.message_dict


def test_enterprises_cannot_propose(chain_map, enterprise_member):
    with pytest.raises(PermissionDenied):
        propose(chain_map, enterprise_member, {"operation": "delete_node", "node": "H2-DOWN-01"})


def test_the_leader_approves_and_the_whole_proposal_applies_with_history(chain_map, tj_official, bj_official):
    proposal = propose(
        chain_map,
        tj_official,
        {"operation": "add_node", "code": "H2-MID-02", "name": "膜电极", "segment": "mid", "parent": "H2-MID-01"},
        {"operation": "add_edge", "source": "H2-MID-02", "target": "H2-DOWN-01", "kind": "component"},
        {"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"},
        {"operation": "remove_edge", "source": "H2-UP-01", "target": "H2-MID-01"},
    )
    approved = proposals.proposal_approve(proposal_id=proposal.pk, reviewer=bj_official, comment="同意")
    assert approved.status == "approved" and approved.reviewer == bj_official
    new = m.Node.objects.get(code="H2-MID-02")
    assert new.parent == chain_map.mid
    assert m.Edge.objects.filter(source=new, target=chain_map.down).exists()
    assert not m.Edge.objects.filter(pk=chain_map.up_mid.pk).exists()
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "电解水制氢"
    record = chain_map.up.history.first()
    assert record.history_user == tj_official
    assert f"#{proposal.pk}" in record.history_change_reason and "天津调研" in record.history_change_reason


def test_the_author_can_never_approve_their_own_proposal(chain_map, joint_office):
    proposal = propose(chain_map, joint_office, {"operation": "delete_node", "node": "H2-DOWN-01"})
    with pytest.raises(PermissionDenied):
        proposals.proposal_approve(proposal_id=proposal.pk, reviewer=joint_office)
    proposal.refresh_from_db()
    assert proposal.status == "open" and m.Node.objects.filter(code="H2-DOWN-01").exists()


@pytest.mark.parametrize("persona", ["tj_official", "he_official", "enterprise_member"])
def test_only_the_leader_or_joint_office_may_review(chain_map, tj_official, persona, request):
    proposal = propose(chain_map, tj_official, {"operation": "delete_node", "node": "H2-DOWN-01"})
    with pytest.raises(PermissionDenied):
        proposals.proposal_approve(proposal_id=proposal.pk, reviewer=request.getfixturevalue(persona))


def test_rejecting_needs_a_comment_and_applies_nothing(chain_map, tj_official, bj_official):
    proposal = propose(chain_map, tj_official, {"operation": "delete_node", "node": "H2-DOWN-01"})
    with pytest.raises(ValidationError) as error:
        proposals.proposal_reject(proposal_id=proposal.pk, reviewer=bj_official, comment="")
    assert "comment" in error.value.message_dict
    rejected = proposals.proposal_reject(proposal_id=proposal.pk, reviewer=bj_official, comment="该环节仍需保留")
    assert rejected.status == "rejected" and m.Node.objects.filter(code="H2-DOWN-01").exists()
    with pytest.raises(ValidationError):
        proposals.proposal_approve(proposal_id=proposal.pk, reviewer=bj_official)


def test_a_proposal_whose_base_changed_is_marked_stale_and_applies_nothing(chain_map, tj_official, bj_official):
    proposal = propose(
        chain_map,
        tj_official,
        {"operation": "add_node", "code": "H2-UP-02", "name": "储氢", "segment": "up"},
        {"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"},
    )
    mapedit.node_update(
        node_id=chain_map.up.pk, user=bj_official, reason="北京先改了", expected_version=1, changes={"name": "绿氢制备"}
    )
    stale = proposals.proposal_approve(proposal_id=proposal.pk, reviewer=bj_official)
    assert stale.status == "stale"
    [detail] = stale.stale_details
    assert detail["position"] == 1 and "H2-UP-01" in detail["problem"]
    assert detail["changes"][0]["reason"] == "北京先改了"
    assert ["名称", "制氢", "绿氢制备"] in detail["changes"][0]["fields"]
    assert not m.Node.objects.filter(code="H2-UP-02").exists()
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "绿氢制备"


def test_a_proposal_that_became_invalid_is_stale_and_rolled_back_entirely(chain_map, tj_official, bj_official):
    proposal = propose(
        chain_map,
        tj_official,
        {"operation": "add_node", "code": "H2-UP-02", "name": "储氢", "segment": "up"},
        {"operation": "add_edge", "source": "H2-DOWN-01", "target": "H2-UP-01", "kind": "service"},
    )
    stale = proposals.proposal_approve(proposal_id=proposal.pk, reviewer=bj_official)
    assert stale.status == "stale" and "回路" in stale.stale_details[0]["problem"]
    assert not m.Node.objects.filter(code="H2-UP-02").exists()


def test_an_approved_proposal_is_reverted_by_a_new_reviewed_proposal(chain_map, tj_official, bj_official, he_official):
    original = propose(
        chain_map,
        tj_official,
        {"operation": "add_node", "code": "H2-UP-02", "name": "储氢", "segment": "up"},
        {"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"},
        {"operation": "move_node", "node": "H2-MID-01", "segment": "mid", "parent": "H2-UP-01"},
        {"operation": "remove_edge", "source": "H2-MID-01", "target": "H2-DOWN-01"},
    )
    proposals.proposal_approve(proposal_id=original.pk, reviewer=bj_official)
    revert = proposals.proposal_revert(proposal_id=original.pk, author=he_official, reason="试点结束，恢复原状")
    assert revert.reverts == original and revert.status == "open"
    assert [item.operation for item in revert.items.all()] == ["add_edge", "move_node", "rename_node", "delete_node"]
    with pytest.raises(ValidationError):
        proposals.proposal_revert(proposal_id=original.pk, author=he_official, reason="再来一次")
    proposals.proposal_approve(proposal_id=revert.pk, reviewer=bj_official)
    chain_map.up.refresh_from_db()
    chain_map.mid.refresh_from_db()
    assert chain_map.up.name == "制氢" and chain_map.mid.parent is None
    assert not m.Node.objects.filter(code="H2-UP-02").exists()
    assert m.Edge.objects.filter(source=chain_map.mid, target=chain_map.down).exists()


def test_only_approved_proposals_can_be_reverted(chain_map, tj_official):
    proposal = propose(chain_map, tj_official, {"operation": "delete_node", "node": "H2-DOWN-01"})
    with pytest.raises(ValidationError) as error:
        proposals.proposal_revert(proposal_id=proposal.pk, author=tj_official, reason="撤销")
    assert "status" in error.value.message_dict


def test_only_the_author_withdraws(chain_map, tj_official, he_official):
    proposal = propose(chain_map, tj_official, {"operation": "delete_node", "node": "H2-DOWN-01"})
    with pytest.raises(PermissionDenied):
        proposals.proposal_withdraw(proposal_id=proposal.pk, user=he_official)
    assert proposals.proposal_withdraw(proposal_id=proposal.pk, user=tj_official).status == "withdrawn"


def test_deleting_a_node_with_enterprises_cannot_even_be_proposed(chain_map, tj_official):
    f.PlacementFactory(node=chain_map.down, status="confirmed")
    with pytest.raises(ValidationError) as error:
        propose(chain_map, tj_official, {"operation": "delete_node", "node": "H2-DOWN-01"})
    assert "企业挂接" in " ".join(error.value.message_dict["items[0].node"])


def test_the_history_of_an_approved_change_names_the_approver_as_well_as_the_author(
    chain_map, tj_official, bj_official, client_for
):
    bj_official.last_name, bj_official.first_name = "李", "文博"
    bj_official.save()
    proposal = propose(chain_map, tj_official, {"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"})
    proposals.proposal_approve(proposal_id=proposal.pk, reviewer=bj_official, comment="同意")
    record = chain_map.up.history.first()
    assert record.history_user == tj_official
    assert "李文博" in record.history_change_reason and "批准" in record.history_change_reason
    page = client_for(bj_official).get("/nodes/H2-UP-01/history/").content.decode()
    assert "李文博 批准" in page and "天津调研" in page
