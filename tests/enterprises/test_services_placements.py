"""Placements: proposing and reviewing (service, history, conflicts), the enterprise page's forms
and buttons, the review queue, and their permission matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from chainmap import models as m
from chainmap.core.exceptions import ConflictError
from chainmap.enterprises.services.placements import PlacementProposeInput, placement_propose, placement_review
from tests import factories as f

pytestmark = pytest.mark.django_db

P = m.Placement.Status


@pytest.fixture
def h2(regions):
    """A chain Beijing leads today, with two nodes."""
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    today = timezone.localdate()
    f.TermFactory(
        chain=chain, region=regions["BJ"], starts_on=today - dt.timedelta(days=5), ends_on=today + dt.timedelta(days=5)
    )
    return {
        "chain": chain,
        "pem": f.NodeFactory(chain=chain, code="H2-UP-01", name="质子交换膜"),
        "plate": f.NodeFactory(chain=chain, code="H2-UP-02", name="双极板"),
    }


@pytest.fixture
def other_enterprise(regions):
    return f.EnterpriseFactory(name="北京另一家科技有限公司", region=regions["BJ"])


@pytest.fixture
def other_member(other_enterprise):
    return f.member("other_member", m.Role.ENTERPRISE_MEMBER, enterprise=other_enterprise)


@pytest.fixture
def proposed(h2, member_enterprise, enterprise_member) -> m.Placement:
    return placement_propose(
        enterprise_id=member_enterprise.pk,
        user=enterprise_member,
        data=PlacementProposeInput(node_id=h2["pem"].pk, role="product", evidence="质子交换膜产品已量产"),
    )


def persona_user(request, persona: str):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


# --- service -----------------------------------------------------------------------------------


def test_propose_creates_a_proposed_placement_with_history(proposed, enterprise_member):
    assert (proposed.status, proposed.version, proposed.proposed_by) == (P.PROPOSED, 1, enterprise_member)
    record = proposed.history.get()
    assert record.history_user == enterprise_member
    assert "质子交换膜产品已量产" in record.history_change_reason


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"node_id": 999999}, "node"),
        ({"role": "owner"}, "role"),
        ({"evidence": " "}, "evidence"),
        ({"evidence": "长" * 2001}, "evidence"),
    ],
)
def test_propose_rejects_bad_input_naming_the_field(h2, member_enterprise, enterprise_member, kwargs, field):
    values = {"node_id": h2["pem"].pk, "role": "product", "evidence": "证据", **kwargs}
    with pytest.raises(ValidationError) as exc:
        placement_propose(
            enterprise_id=member_enterprise.pk, user=enterprise_member, data=PlacementProposeInput(**values)
        )
    assert field in exc.value.message_dict
    assert not m.Placement.objects.exists()


def test_propose_refuses_a_duplicate_but_reopens_a_rejected_one(proposed, h2, member_enterprise, tj_official):
    values = PlacementProposeInput(node_id=h2["pem"].pk, role="product", evidence="再次")
    with pytest.raises(ValidationError):
        placement_propose(enterprise_id=member_enterprise.pk, user=tj_official, data=values)
    placement_review(placement_id=proposed.pk, user=tj_official, status=P.REJECTED, comment="证据不足")
    again = placement_propose(enterprise_id=member_enterprise.pk, user=tj_official, data=values)
    assert again.pk == proposed.pk
    assert (again.status, again.version, again.evidence, again.review_comment) == (P.PROPOSED, 3, "再次", "")


@pytest.mark.parametrize("persona", ["bj_official", "he_official", "other_member", "subscriber"])
def test_propose_is_for_the_enterprise_and_its_region(h2, member_enterprise, persona, request, other_member):
    with pytest.raises(PermissionDenied):
        placement_propose(
            enterprise_id=member_enterprise.pk,
            user=request.getfixturevalue(persona),
            data=PlacementProposeInput(node_id=h2["pem"].pk, role="product", evidence="证据"),
        )


def test_review_records_who_when_why_and_bumps_the_version(proposed, tj_official):
    reviewed = placement_review(placement_id=proposed.pk, user=tj_official, status=P.CONFIRMED, expected_version=1)
    assert (reviewed.status, reviewed.version, reviewed.reviewed_by) == (P.CONFIRMED, 2, tj_official)
    assert reviewed.reviewed_at is not None
    latest = reviewed.history.order_by("-history_date").first()
    assert (latest.history_user, latest.history_change_reason) == (tj_official, gettext("Placement confirmed"))

    again = placement_review(placement_id=proposed.pk, user=tj_official, status=P.REJECTED, comment="企业已转产")
    assert again.history.order_by("-history_date").first().history_change_reason == "企业已转产"
    assert again.review_comment == "企业已转产"


def test_review_on_a_stale_version_is_a_conflict_with_the_other_change(proposed, tj_official, bj_official):
    placement_review(placement_id=proposed.pk, user=bj_official, status=P.REJECTED, comment="不属于该环节")
    with pytest.raises(ConflictError) as exc:
        placement_review(placement_id=proposed.pk, user=tj_official, status=P.CONFIRMED, expected_version=1)
    assert exc.value.current.status == P.REJECTED
    [change] = exc.value.changes
    assert (change["user"], change["reason"]) == (bj_official.get_username(), "不属于该环节")
    assert ("状态", "待确认", "已驳回") in change["fields"]
    assert m.Placement.objects.get(pk=proposed.pk).status == P.REJECTED


@pytest.mark.parametrize("persona", ["he_official", "enterprise_member", "subscriber"])
def test_review_is_refused_to_others(proposed, persona, request):
    with pytest.raises(PermissionDenied):
        placement_review(placement_id=proposed.pk, user=request.getfixturevalue(persona), status=P.CONFIRMED)
    assert m.Placement.objects.get(pk=proposed.pk).status == P.PROPOSED


def test_review_without_enforcement_is_for_applying_an_approved_proposal(proposed, he_official):
    reviewed = placement_review(placement_id=proposed.pk, user=he_official, status=P.CONFIRMED, enforce=False)
    assert reviewed.status == P.CONFIRMED


def test_review_rejects_an_unknown_status(proposed, tj_official):
    with pytest.raises(ValidationError) as exc:
        placement_review(placement_id=proposed.pk, user=tj_official, status="proposed")
    assert "status" in exc.value.message_dict


# --- pages: permission matrix ------------------------------------------------------------------

QUEUE = {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 200,
    "he_official": 200,
    "enterprise_member": 403,
    "other_member": 403,
    "subscriber": 403,
    "anonymous": 302,
}
# Tianjin enterprise on a chain Beijing leads: its region, the leader and the joint office review.
REVIEWERS = {"joint_office", "bj_official", "tj_official"}


@pytest.mark.parametrize(("persona", "expected"), QUEUE.items())
def test_placement_review_queue(persona, expected, request, client_for, proposed, other_member):
    response = client_for(persona_user(request, persona)).get(reverse("chainmap:placement_review_queue"))
    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        action = reverse("chainmap:placement_review", args=[proposed.pk])
        assert (action in body) == (persona in REVIEWERS)
        assert ("质子交换膜产品已量产" in body) == (persona in REVIEWERS)


REVIEW_ACTION = {
    "joint_office": 302,
    "bj_official": 302,
    "tj_official": 302,
    "he_official": 403,
    "enterprise_member": 403,
    "other_member": 404,
    "subscriber": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize(("persona", "expected"), REVIEW_ACTION.items())
def test_placement_review_action(persona, expected, request, client_for, proposed, other_member):
    response = client_for(persona_user(request, persona)).post(
        reverse("chainmap:placement_review", args=[proposed.pk]), {"status": "confirmed", "expected_version": "1"}
    )
    assert response.status_code == expected
    status = m.Placement.objects.get(pk=proposed.pk).status
    assert status == (P.CONFIRMED if persona in REVIEWERS else P.PROPOSED)


PROPOSE_ACTION = {
    "joint_office": 302,
    "bj_official": 403,
    "tj_official": 302,
    "he_official": 403,
    "enterprise_member": 302,
    "other_member": 404,
    "subscriber": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize(("persona", "expected"), PROPOSE_ACTION.items())
def test_placement_propose_action(persona, expected, request, client_for, h2, member_enterprise, other_member):
    url = reverse("chainmap:placement_propose", args=[member_enterprise.credit_code])
    data = {"node": "H2-UP-02", "role": "technology", "evidence": "双极板专利"}
    response = client_for(persona_user(request, persona)).post(url, data)
    assert response.status_code == expected
    created = m.Placement.objects.filter(enterprise=member_enterprise, node=h2["plate"]).exists()
    assert created == (expected == 302 and persona != "anonymous")


def test_the_propose_form_names_the_bad_field(client_for, h2, member_enterprise, enterprise_member):
    url = reverse("chainmap:placement_propose", args=[member_enterprise.credit_code])
    response = client_for(enterprise_member).post(url, {"node": "NOPE-1", "role": "product", "evidence": "x" * 2001})
    assert response.status_code == 400
    assert {"node", "evidence"} <= set(response.context["form"].errors)
    assert not m.Placement.objects.exists()


def test_a_stale_review_click_shows_a_conflict_message(client_for, proposed, tj_official, bj_official):
    placement_review(placement_id=proposed.pk, user=bj_official, status=P.REJECTED)
    response = client_for(tj_official).post(
        reverse("chainmap:placement_review", args=[proposed.pk]),
        {"status": "confirmed", "expected_version": "1"},
        follow=True,
    )
    assert any("已驳回" in str(message) or "Rejected" in str(message) for message in response.context["messages"])
    assert m.Placement.objects.get(pk=proposed.pk).status == P.REJECTED


ENTERPRISE_PAGE = {
    # persona: (propose form shown, review buttons shown)
    "joint_office": (True, True),
    "bj_official": (False, True),
    "tj_official": (True, True),
    "he_official": (False, False),
    "enterprise_member": (True, False),
}


@pytest.mark.parametrize(("persona", "shown"), ENTERPRISE_PAGE.items())
def test_the_enterprise_page_shows_only_usable_placement_buttons(
    persona, shown, request, client_for, proposed, member_enterprise
):
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("chainmap:enterprise_detail", args=[member_enterprise.credit_code])
    )
    assert response.status_code == 200
    body = response.content.decode()
    propose, review = shown
    assert (reverse("chainmap:placement_propose", args=[member_enterprise.credit_code]) in body) == propose
    assert (reverse("chainmap:placement_review", args=[proposed.pk]) in body) == review


# --- query budget ------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["joint_office", "bj_official", "tj_official"])
def test_the_placement_queue_runs_a_constant_number_of_queries(persona, request, client_for, h2):
    client = client_for(request.getfixturevalue(persona))
    url = reverse("chainmap:placement_review_queue")

    def add(n: int) -> None:
        for _ in range(n):
            enterprise = f.EnterpriseFactory(region=f.region("TJ"))
            f.PlacementFactory(enterprise=enterprise, node=h2["pem"], status=P.PROPOSED)

    add(2)
    small = _count(client, url)
    add(18)
    assert _count(client, url) == small <= 10
    assert _count(client, url) > 0
