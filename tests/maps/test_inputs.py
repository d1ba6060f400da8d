"""One input per write: the page's form and the API's serializer produce the same service input, and
page and API give the same answer for the same refused case."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from chainmap.bottlenecks.api.serializers import BottleneckCreateSerializer, BottleneckUpdateSerializer
from chainmap.bottlenecks.forms import BottleneckForm
from chainmap.core.inputs import UNSET
from chainmap.leadership.api.serializers import LeadershipTermUpdateSerializer
from chainmap.leadership.services.calendar import TermInput
from chainmap.leadership.views import TermForm
from chainmap.maps.api.serializers import (
    EdgeCreateSerializer,
    EdgeUpdateSerializer,
    NodeCreateSerializer,
    NodeUpdateSerializer,
)
from chainmap.maps.forms import EdgeForm, NodeForm
from chainmap.maps.services import mapedit, proposals
from chainmap.models import BottleneckStatus
from tests import factories as f
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _valid(serializer):
    assert serializer.is_valid(), serializer.errors
    return serializer


def _valid_form(form):
    assert form.is_valid(), form.errors
    return form


# --- the form and the serializer produce the same input ------------------------------------------


def test_node_create_form_and_serializer_give_the_same_input(chain_map) -> None:
    fields = {"code": "H2-UP-09", "name": "储氢", "segment": "up", "description": "d", "key_technologies": "k"}
    form = _valid_form(NodeForm(fields | {"parent": chain_map.up.pk, "reason": "补充"}, chain=chain_map.chain))
    serializer = _valid(
        NodeCreateSerializer(data=fields | {"chain": "hydrogen", "parent": "H2-UP-01", "reason": "补充"})
    )
    assert form.to_input() == serializer.to_input()
    assert form.to_input() == mapedit.NodeInput(**fields, parent_id=chain_map.up.pk)


def test_node_update_form_and_serializer_give_the_same_input(chain_map) -> None:
    node = chain_map.mid
    post = {
        "name": "电堆",
        "segment": node.segment,
        "parent": chain_map.up.pk,
        "description": node.description,
        "key_technologies": node.key_technologies,
        "reason": "更名",
        "version": node.version,
    }
    form = _valid_form(NodeForm(post, chain=chain_map.chain, node=node, direct=True))
    serializer = _valid(
        NodeUpdateSerializer(data={"name": "电堆", "parent": "H2-UP-01", "reason": "更名"}, partial=True)
    )
    assert form.to_input() == serializer.to_input(chain_id=node.chain_id)
    assert form.to_input().given() == {"name": "电堆", "parent_id": chain_map.up.pk}


def test_an_unknown_parent_code_is_refused_naming_parent(chain_map) -> None:
    serializer = _valid(NodeUpdateSerializer(data={"parent": "H2-NONE", "reason": "r"}, partial=True))
    with pytest.raises(ValidationError) as caught:
        serializer.to_input(chain_id=chain_map.chain.pk)
    assert set(caught.value.message_dict) == {"parent"}


def test_edge_create_form_and_serializer_give_the_same_input(chain_map) -> None:
    form = _valid_form(
        EdgeForm(
            {"source": chain_map.up.pk, "target": chain_map.down.pk, "kind": "material", "reason": "补充"},
            chain=chain_map.chain,
        )
    )
    serializer = _valid(
        EdgeCreateSerializer(
            data={
                "chain": "hydrogen",
                "source": "H2-UP-01",
                "target": "H2-DOWN-01",
                "kind": "material",
                "reason": "补充",
            }
        )
    )
    assert form.to_input() == serializer.to_input()
    assert form.to_input().given() == {
        "source_id": chain_map.up.pk,
        "target_id": chain_map.down.pk,
        "kind": "material",
        "note": "",
    }


def test_edge_update_serializer_gives_only_the_given_fields() -> None:
    serializer = _valid(EdgeUpdateSerializer(data={"note": "n", "reason": "r"}, partial=True))
    assert serializer.to_input() == mapedit.EdgeInput(note="n")


def test_an_update_input_naming_a_create_only_field_is_refused_naming_it(chain_map, bj_official) -> None:
    with pytest.raises(ValidationError) as caught:
        mapedit.node_update(
            node_id=chain_map.up.pk,
            user=bj_official,
            reason="r",
            expected_version=None,
            changes=mapedit.NodeInput(code="H2-X"),
        )
    assert set(caught.value.message_dict) == {"code"}
    with pytest.raises(ValidationError) as caught:
        mapedit.NodeInput.from_data({"name": "x", "colour": "red"})
    assert set(caught.value.message_dict) == {"colour"}


def test_bottleneck_create_form_and_serializer_give_the_same_input(chain_map, regions) -> None:
    fields = {"code": "KD-900", "title": "膜", "description": "d", "severity": 2, "mechanism": "jiebang"}
    post = fields | {"raised_by": regions["TJ"].pk, "status": "collected", "nodes": [chain_map.up.pk], "reason": "r"}
    form = _valid_form(BottleneckForm(post, chain=chain_map.chain))
    serializer = _valid(
        BottleneckCreateSerializer(
            data=fields
            | {"chain": "hydrogen", "raised_by": "TJ", "target_date": None, "nodes": ["H2-UP-01"], "reason": "r"}
        )
    )
    # The API's create has no status: it takes the service's default, the one the form starts with.
    assert form.to_input().status == BottleneckStatus.COLLECTED
    assert dataclasses.replace(form.to_input(), status=UNSET) == serializer.to_input()
    assert serializer.to_input().node_ids == [chain_map.up.pk]


def test_bottleneck_update_form_and_serializer_give_the_same_input(chain_map) -> None:
    bottleneck = f.BottleneckFactory(chain=chain_map.chain)
    post = {
        "title": "新标题",
        "description": bottleneck.description,
        "severity": bottleneck.severity,
        "mechanism": bottleneck.mechanism,
        "status": bottleneck.status,
        "target_date": bottleneck.target_date.isoformat() if bottleneck.target_date else "",
        "nodes": [chain_map.mid.pk],
        "reason": "r",
        "version": bottleneck.version,
    }
    form = _valid_form(BottleneckForm(post, chain=chain_map.chain, bottleneck=bottleneck))
    serializer = _valid(
        BottleneckUpdateSerializer(data={"title": "新标题", "nodes": ["H2-MID-01"], "reason": "r"}, partial=True)
    )
    assert form.to_input() == serializer.to_input(chain_id=chain_map.chain.pk)
    assert form.to_input().given() == {"title": "新标题", "node_ids": [chain_map.mid.pk]}


def test_term_form_and_serializer_give_the_same_input(chain_map, regions) -> None:
    days = {"starts_on": "2026-09-01", "ends_on": "2026-12-20"}
    form = _valid_form(TermForm(days | {"region": regions["TJ"].pk, "reason": "r"}))
    serializer = _valid(LeadershipTermUpdateSerializer(data=days | {"region": "TJ", "reason": "r"}))
    assert form.to_input() == serializer.to_input()
    assert form.to_input() == TermInput(
        region_id=regions["TJ"].pk, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 12, 20)
    )


# --- page and API answer the same for the same refused case --------------------------------------


@pytest.fixture
def rejected(chain_map, tj_official, bj_official):
    proposal = proposals.proposal_create(
        chain_id=chain_map.chain.pk,
        author=tj_official,
        reason="天津调研",
        items=[{"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"}],
    )
    return proposals.proposal_reject(proposal_id=proposal.pk, reviewer=bj_official, comment="不需要")


def test_approving_a_closed_proposal_is_400_on_page_and_api(rejected, client_for, api_for, bj_official) -> None:
    page = client_for(bj_official).post(f"/proposals/{rejected.pk}/approve/", {"comment": "同意"})
    api = api_for(bj_official).post(f"/api/proposals/{rejected.pk}/approve/", {"comment": "同意"}, format="json")
    assert page.status_code == api.status_code == 400
    assert "status" in str(api.json())


def test_withdrawing_a_closed_proposal_is_400_on_page_and_api(rejected, client_for, api_for, tj_official) -> None:
    page = client_for(tj_official).post(f"/proposals/{rejected.pk}/withdraw/")
    api = api_for(tj_official).post(f"/api/proposals/{rejected.pk}/withdraw/", {}, format="json")
    assert page.status_code == api.status_code == 400


def test_reverting_a_proposal_not_approved_is_400_on_page_and_api(rejected, client_for, api_for, he_official) -> None:
    page = client_for(he_official).post(f"/proposals/{rejected.pk}/revert/", {"reason": "恢复"})
    api = api_for(he_official).post(f"/api/proposals/{rejected.pk}/revert/", {"reason": "恢复"}, format="json")
    assert page.status_code == api.status_code == 400


def test_a_non_author_withdrawing_is_403_on_page_and_api(chain_map, tj_official, client_for, api_for, he_official):
    proposal = proposals.proposal_create(
        chain_id=chain_map.chain.pk,
        author=tj_official,
        reason="天津调研",
        items=[{"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"}],
    )
    page = client_for(he_official).post(f"/proposals/{proposal.pk}/withdraw/")
    api = api_for(he_official).post(f"/api/proposals/{proposal.pk}/withdraw/", {}, format="json")
    assert page.status_code == api.status_code == 403
