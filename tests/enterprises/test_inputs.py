"""One input per write: the page's form and the API's serializer produce the same input dataclass, and
the page and the API give the same answer (404 / 403 / 400) for the same refused case, the service's one check."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chainmap import models as m
from chainmap.enterprises.api import serializers as api
from chainmap.enterprises.forms import profiles as forms
from chainmap.enterprises.selectors.profiles import node_options
from chainmap.enterprises.services import profiles as svc
from chainmap.enterprises.services.placements import PlacementProposeInput, PlacementReviewInput, placement_propose
from chainmap.enterprises.services.profiles import NeedInput, OfferInput, ProfileInput
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def pem(regions) -> m.Node:
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    return f.NodeFactory(chain=chain, code="H2-UP-01", name="质子交换膜", segment=m.Segment.UPSTREAM)


def _valid(serializer):
    assert serializer.is_valid(), serializer.errors
    return serializer


def _form(form):
    assert form.is_valid(), form.errors
    return form


# --- form and serializer: the same input ------------------------------------------------------


def test_placement_proposals_give_the_same_input(pem, enterprise_member, member_enterprise) -> None:
    options = node_options(user=enterprise_member)
    form = _form(
        forms.PlacementProposeForm(data={"node": "H2-UP-01", "role": "technology", "evidence": "专利"}, options=options)
    )
    body = {"enterprise": member_enterprise.pk, "node": "H2-UP-01", "role": "technology", "evidence": "专利"}
    serializer = _valid(api.PlacementCreateSerializer(data=body))
    assert (
        form.to_input()
        == serializer.to_input()
        == PlacementProposeInput(node_id=pem.pk, role="technology", evidence="专利")
    )


def test_placement_reviews_give_the_same_input() -> None:
    form = _form(forms.PlacementReviewForm(data={"status": "rejected", "comment": "证据不足", "expected_version": "2"}))
    serializer = _valid(api.PlacementReviewSerializer(data={"status": "rejected", "comment": "证据不足"}))
    assert form.to_input() == serializer.to_input() == PlacementReviewInput(status="rejected", comment="证据不足")


def test_profile_edits_give_the_same_input() -> None:
    fields = {"products": "膜", "core_technologies": "涂布", "capacity": "万平米", "trl": 6, "certifications": ""}
    form = _form(forms.ProfileForm(data={**fields, "edit_version": "1"}))
    serializer = _valid(api.ProfileUpdateSerializer(data=fields))
    assert form.to_input() == serializer.to_input() == ProfileInput(**fields)
    assert serializer.new_items() == ([], [])


def test_offers_give_the_same_input(pem, enterprise_member) -> None:
    options = node_options(user=enterprise_member)
    post = {"node": "H2-UP-01", "title": "样品", "description": "批量", "trl": "7"}
    form = _form(forms.OfferForm(data=post, options=options))
    created = _valid(api.OfferCreateSerializer(data={**post, "trl": 7, "profile": 1}))
    changed = _valid(api.OfferInputSerializer(data={**post, "trl": 7}))
    expected = OfferInput(node_id=pem.pk, title="样品", description="批量", trl=7)
    assert form.to_input() == created.to_input() == changed.to_input() == expected
    # A partial update gives only what was sent: the service keeps the rest.
    assert _valid(api.OfferInputSerializer(data={"title": "新"}, partial=True)).to_input().given() == {"title": "新"}


def test_needs_give_the_same_input(pem, enterprise_member) -> None:
    options = node_options(user=enterprise_member)
    post = {"node": "H2-UP-01", "title": "树脂", "description": "", "is_bottleneck": True, "status": "resolved"}
    form = _form(forms.NeedForm(data=post, options=options))
    serializer = _valid(api.NeedCreateSerializer(data={**post, "profile": 1}))
    expected = NeedInput(node_id=pem.pk, title="树脂", description="", is_bottleneck=True, status="resolved")
    assert form.to_input() == serializer.to_input() == expected


def test_an_unknown_node_code_over_the_api_names_the_node(pem) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        _valid(api.OfferInputSerializer(data={"node": "NOPE-1", "title": "x"})).to_input()
    assert set(caught.value.message_dict) == {"node"}


def test_a_partial_offer_change_keeps_the_other_fields(pem, enterprise_member, member_enterprise) -> None:
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    offer = svc.offer_save(
        profile_id=draft.pk, user=enterprise_member, data=OfferInput(node_id=pem.pk, title="样品", trl=5)
    )
    changed = svc.offer_save(
        profile_id=draft.pk, user=enterprise_member, data=OfferInput(title="新名"), offer_id=offer.pk
    )
    assert (changed.title, changed.node_id, changed.trl, changed.version) == ("新名", pem.pk, 5, 2)


# --- page and API: the same answer ------------------------------------------------------------


def _submitted(member: m.User, enterprise: m.Enterprise, node: m.Node) -> m.CapabilityProfile:
    draft = svc.profile_start_draft(enterprise_id=enterprise.pk, user=member)
    svc.profile_update(
        profile_id=draft.pk, user=member, expected_edit_version=draft.edit_version, changes={"products": "膜"}
    )
    svc.offer_save(profile_id=draft.pk, user=member, data=OfferInput(node_id=node.pk, title="样品"))
    return svc.profile_submit(profile_id=draft.pk, user=member)


def test_submitting_a_submitted_version_is_400_naming_the_status_on_page_and_api(
    pem, client_for, enterprise_member, member_enterprise
) -> None:
    profile = _submitted(enterprise_member, member_enterprise, pem)
    client = client_for(enterprise_member)
    assert client.post(reverse("chainmap:profile_submit", args=[profile.pk])).status_code == 400
    api_answer = client.post(f"/api/profiles/{profile.pk}/submit/", content_type="application/json")
    assert api_answer.status_code == 400
    assert "status" in api_answer.json()["error"]["fields"]


def test_adding_an_offer_to_a_submitted_version_is_400_on_page_and_api(
    pem, client_for, enterprise_member, member_enterprise
) -> None:
    profile = _submitted(enterprise_member, member_enterprise, pem)
    client = client_for(enterprise_member)
    offer = {"node": "H2-UP-01", "title": "新样品"}
    assert client.post(reverse("chainmap:offer_create", args=[profile.pk]), offer).status_code == 400
    api_answer = client.post("/api/offers/", {**offer, "profile": profile.pk}, content_type="application/json")
    assert api_answer.status_code == 400
    assert "status" in api_answer.json()["error"]["fields"]
    assert profile.offers.count() == 1


def test_an_official_deleting_an_offer_is_403_on_page_and_api(
    pem, client_for, enterprise_member, member_enterprise, tj_official
) -> None:
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    offer = svc.offer_save(profile_id=draft.pk, user=enterprise_member, data=OfferInput(node_id=pem.pk, title="样品"))
    client = client_for(tj_official)
    assert client.post(reverse("chainmap:offer_delete", args=[offer.pk])).status_code == 403
    assert client.delete(f"/api/offers/{offer.pk}/").status_code == 403
    assert m.SupplyOffer.objects.filter(pk=offer.pk).exists()


def test_a_placement_review_by_a_non_reviewer_is_403_and_a_bad_status_400_on_page_and_api(
    pem, client_for, enterprise_member, member_enterprise, he_official, tj_official
) -> None:
    placement = placement_propose(
        enterprise_id=member_enterprise.pk,
        user=enterprise_member,
        data=PlacementProposeInput(node_id=pem.pk, role="product", evidence="量产"),
    )
    page_url = reverse("chainmap:placement_review", args=[placement.pk])
    api_url = f"/api/placements/{placement.pk}/"
    if_match = {"HTTP_IF_MATCH": f'"{placement.pk}-{placement.version}"'}
    client = client_for(he_official)
    assert client.post(page_url, {"status": "confirmed", "expected_version": "1"}).status_code == 403
    body = {"status": "confirmed"}
    assert client.patch(api_url, body, content_type="application/json", **if_match).status_code == 403
    client = client_for(tj_official)
    assert client.post(page_url, {"status": "proposed", "expected_version": "1"}).status_code == 400
    bad = client.patch(api_url, {"status": "proposed"}, content_type="application/json", **if_match)
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["fields"]
    assert m.Placement.objects.get(pk=placement.pk).status == m.Placement.Status.PROPOSED
