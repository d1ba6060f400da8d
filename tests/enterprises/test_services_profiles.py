"""Capability profiles: the lifecycle service, tokens at save, matching sees only approved versions,
the editor and review pages with their permission matrix, conflicts, bad input and query budgets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from chainmap import models as m
from chainmap.core.exceptions import ConflictError
from chainmap.enterprises.services import profiles as svc
from chainmap.matching.services.engine import BOTTLENECK, Weights, rank_candidates
from chainmap.matching.services.loading import matching_inputs
from chainmap.matching.services.matches import matching_run
from tests import factories as f

pytestmark = pytest.mark.django_db

S = m.ProfileStatus


# --- data --------------------------------------------------------------------------------------


@pytest.fixture
def h2(regions):
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    stack = f.NodeFactory(chain=chain, code="H2-MID-01", name="电堆", segment=m.Segment.MIDSTREAM)
    pem = f.NodeFactory(chain=chain, code="H2-UP-01", name="质子交换膜", parent=stack, key_technologies="全氟磺酸树脂")
    plate = f.NodeFactory(chain=chain, code="H2-UP-02", name="双极板", parent=stack)
    return {"chain": chain, "stack": stack, "pem": pem, "plate": plate}


@pytest.fixture
def other_enterprise(regions):
    return f.EnterpriseFactory(name="北京另一家科技有限公司", region=regions["BJ"])


@pytest.fixture
def other_member(other_enterprise):
    return f.member("other_member", m.Role.ENTERPRISE_MEMBER, enterprise=other_enterprise)


PERSONAS = (
    "joint_office",
    "bj_official",
    "tj_official",
    "he_official",
    "enterprise_member",
    "other_member",
    "subscriber",
    "anonymous",
)


def persona_user(request, persona: str):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


def draft_with_content(member, enterprise, node, *, products="全氟磺酸质子交换膜", trl=6) -> m.CapabilityProfile:
    draft = svc.profile_start_draft(enterprise_id=enterprise.pk, user=member)
    return svc.profile_update(
        profile_id=draft.pk,
        user=member,
        expected_edit_version=draft.edit_version,
        changes={"products": products, "core_technologies": "连续涂布 质子交换膜", "trl": trl},
    )


def submitted(member, enterprise, node) -> m.CapabilityProfile:
    draft = draft_with_content(member, enterprise, node)
    svc.offer_save(profile_id=draft.pk, user=member, node_id=node.pk, title="质子交换膜样品", description="批量供货")
    return svc.profile_submit(profile_id=draft.pk, user=member)


def approved(member, enterprise, node, reviewer) -> m.CapabilityProfile:
    return svc.profile_approve(profile_id=submitted(member, enterprise, node).pk, reviewer=reviewer)


# --- lifecycle ---------------------------------------------------------------------------------


def test_it_runs_the_full_lifecycle_and_supersedes_the_old_version(
    h2, enterprise_member, member_enterprise, tj_official
):
    draft = draft_with_content(enterprise_member, member_enterprise, h2["pem"])
    assert (draft.version, draft.status) == (1, S.DRAFT)
    svc.offer_save(profile_id=draft.pk, user=enterprise_member, node_id=h2["pem"].pk, title="质子交换膜")
    svc.need_save(profile_id=draft.pk, user=enterprise_member, node_id=h2["plate"].pk, title="双极板涂层")

    assert svc.profile_submit(profile_id=draft.pk, user=enterprise_member).status == S.SUBMITTED
    returned = svc.profile_return(profile_id=draft.pk, reviewer=tj_official, comment="请补充产能")
    assert (returned.status, returned.review_comment, returned.reviewed_by) == (S.RETURNED, "请补充产能", tj_official)

    returned = svc.profile_update(
        profile_id=draft.pk,
        user=enterprise_member,
        expected_edit_version=returned.edit_version,
        changes={"capacity": "年产10万平方米"},
    )
    svc.profile_submit(profile_id=draft.pk, user=enterprise_member)
    first = svc.profile_approve(profile_id=draft.pk, reviewer=tj_official, comment="同意")
    assert first.status == S.APPROVED and first.capacity == "年产10万平方米"

    # A new version starts as a copy of the approved one, offers and needs included.
    second = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    assert (second.version, second.status, second.capacity) == (2, S.DRAFT, "年产10万平方米")
    assert list(second.offers.values_list("title", "node")) == [("质子交换膜", h2["pem"].pk)]
    assert list(second.needs.values_list("title", "node")) == [("双极板涂层", h2["plate"].pk)]
    assert "质子交换膜" in second.offers.get().tokens
    # Starting again reuses the working version.
    assert svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member) == second

    svc.profile_update(
        profile_id=second.pk, user=enterprise_member, expected_edit_version=second.edit_version, changes={"trl": 8}
    )
    svc.profile_submit(profile_id=second.pk, user=enterprise_member)
    svc.profile_approve(profile_id=second.pk, reviewer=tj_official)

    statuses = dict(member_enterprise.profiles.values_list("version", "status"))
    assert statuses == {1: S.SUPERSEDED, 2: S.APPROVED}
    # The first version's offers are kept with it.
    assert m.SupplyOffer.objects.filter(profile__version=1, profile__enterprise=member_enterprise).count() == 1


def test_earlier_versions_stay_viewable(h2, enterprise_member, member_enterprise, tj_official, client_for):
    approved(enterprise_member, member_enterprise, h2["pem"], tj_official)
    second = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    svc.profile_update(
        profile_id=second.pk,
        user=enterprise_member,
        expected_edit_version=second.edit_version,
        changes={"products": "第二版产品"},
    )
    svc.profile_submit(profile_id=second.pk, user=enterprise_member)
    svc.profile_approve(profile_id=second.pk, reviewer=tj_official)

    url = reverse("chainmap:profile_version", args=[member_enterprise.credit_code, 1])
    for user in (enterprise_member, tj_official):
        response = client_for(user).get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "全氟磺酸质子交换膜" in body and "质子交换膜样品" in body
        assert "第二版产品" not in body
    body = client_for(enterprise_member).get(reverse("chainmap:my_profile")).content.decode()
    assert reverse("chainmap:profile_version", args=[member_enterprise.credit_code, 1]) in body
    assert "第二版产品" in body


def test_only_a_draft_or_returned_version_can_change(h2, enterprise_member, member_enterprise):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    with pytest.raises(ValidationError) as exc:
        svc.profile_update(
            profile_id=profile.pk,
            user=enterprise_member,
            expected_edit_version=profile.edit_version,
            changes={"products": "改"},
        )
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError):
        svc.offer_save(profile_id=profile.pk, user=enterprise_member, node_id=h2["pem"].pk, title="新")
    assert m.CapabilityProfile.objects.get(pk=profile.pk).products == "全氟磺酸质子交换膜"


def test_return_needs_a_comment(h2, enterprise_member, member_enterprise, tj_official):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    with pytest.raises(ValidationError) as exc:
        svc.profile_return(profile_id=profile.pk, reviewer=tj_official, comment="  ")
    assert "comment" in exc.value.message_dict
    assert m.CapabilityProfile.objects.get(pk=profile.pk).status == S.SUBMITTED


@pytest.mark.parametrize("persona", ["bj_official", "he_official", "enterprise_member", "subscriber"])
def test_only_the_region_or_joint_office_reviews(h2, enterprise_member, member_enterprise, persona, request):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    with pytest.raises(PermissionDenied):
        svc.profile_approve(profile_id=profile.pk, reviewer=request.getfixturevalue(persona))
    assert m.CapabilityProfile.objects.get(pk=profile.pk).status == S.SUBMITTED


def test_the_joint_office_reviews_any_region(h2, enterprise_member, member_enterprise, joint_office):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    assert svc.profile_approve(profile_id=profile.pk, reviewer=joint_office).status == S.APPROVED


@pytest.mark.parametrize("persona", ["other_member", "tj_official", "joint_office"])
def test_only_the_enterprises_members_edit_its_profile(member_enterprise, persona, request, regions):
    with pytest.raises(PermissionDenied):
        svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=request.getfixturevalue(persona))
    assert not member_enterprise.profiles.exists()


# --- tokens and matching -----------------------------------------------------------------------


def test_it_stores_tokens_when_a_profile_offer_or_need_is_saved(h2, enterprise_member, member_enterprise):
    profile = draft_with_content(enterprise_member, member_enterprise, h2["pem"])
    offer = svc.offer_save(
        profile_id=profile.pk,
        user=enterprise_member,
        node_id=h2["pem"].pk,
        title="全氟磺酸树脂",
        description="增强复合膜",
    )
    need = svc.need_save(profile_id=profile.pk, user=enterprise_member, node_id=h2["plate"].pk, title="金属双极板涂层")

    profile.refresh_from_db()
    offer.refresh_from_db()
    need.refresh_from_db()
    assert {"质子交换膜", "全氟", "涂布"} <= set(profile.tokens)
    assert "全氟磺酸树脂" in offer.tokens
    assert "双极板" in need.tokens

    svc.offer_save(
        profile_id=profile.pk, user=enterprise_member, offer_id=offer.pk, node_id=h2["pem"].pk, title="电解槽隔膜"
    )
    offer.refresh_from_db()
    assert "全氟磺酸树脂" not in offer.tokens
    assert "隔膜" in "".join(offer.tokens)


def _bottleneck_on(h2) -> m.Bottleneck:
    bottleneck = f.BottleneckFactory(
        chain=h2["chain"], title="质子交换膜国产化", description="全氟磺酸质子交换膜批量制备", raised_by=f.region("HE")
    )
    bottleneck.nodes.add(h2["pem"])
    from chainmap.matching.services import text

    text.tokens_refresh_bottleneck(bottleneck_id=bottleneck.pk)
    return bottleneck


def test_matching_never_sees_an_unapproved_version(h2, enterprise_member, member_enterprise, tj_official):
    bottleneck = _bottleneck_on(h2)
    f.PlacementFactory(enterprise=member_enterprise, node=h2["pem"])
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])

    def ranked_profiles() -> set[int]:
        targets, candidates, structure = matching_inputs(chain_ids=[h2["chain"].pk])
        ranking = rank_candidates(targets=targets, candidates=candidates, structure=structure, weights=Weights())
        return {r.profile_id for r in ranking.get((BOTTLENECK, bottleneck.pk), [])}

    assert profile.pk not in ranked_profiles()
    round_ = f.RoundFactory(chain=h2["chain"])
    matching_run(round_id=round_.pk)
    assert not m.Match.objects.filter(profile=profile).exists()

    # The same version, once approved, is matched: the test above could fail.
    svc.profile_approve(profile_id=profile.pk, reviewer=tj_official)
    assert profile.pk in ranked_profiles()
    matching_run(round_id=f.RoundFactory(chain=h2["chain"], period=dt.date(2026, 12, 1)).pk)
    assert m.Match.objects.filter(profile=profile, bottleneck=bottleneck).exists()

    # A new working version of an approved profile stays invisible; the approved one keeps matching.
    working = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    assert ranked_profiles() == {profile.pk}
    assert working.pk != profile.pk


# --- conflicts and bad input -------------------------------------------------------------------


def test_a_stale_edit_version_is_a_conflict_not_an_overwrite(h2, enterprise_member, member_enterprise):
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    seen = draft.edit_version
    svc.profile_update(
        profile_id=draft.pk, user=enterprise_member, expected_edit_version=seen, changes={"products": "第一次保存"}
    )
    with pytest.raises(ConflictError) as exc:
        svc.profile_update(
            profile_id=draft.pk, user=enterprise_member, expected_edit_version=seen, changes={"products": "第二次保存"}
        )
    assert exc.value.current.products == "第一次保存"
    assert m.CapabilityProfile.objects.get(pk=draft.pk).products == "第一次保存"


def test_the_editor_shows_a_conflict_message_on_a_stale_save(h2, enterprise_member, member_enterprise, client_for):
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    client = client_for(enterprise_member)
    url = reverse("chainmap:profile_update", args=[draft.pk])
    form = {"products": "甲的修改", "trl": "5", "edit_version": str(draft.edit_version)}
    assert client.post(url, form).status_code == 302
    response = client.post(url, {**form, "products": "乙的修改"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "其他人" in body or "Someone else" in body
    assert "甲的修改" in body and "乙的修改" in body  # the saved value and what the user typed
    assert m.CapabilityProfile.objects.get(pk=draft.pk).products == "甲的修改"
    # The form now carries the current edit version: saving again is a deliberate overwrite.
    assert f'name="edit_version" value="{draft.edit_version + 1}"' in body
    assert client.post(url, {**form, "products": "乙的修改", "edit_version": draft.edit_version + 1}).status_code == 302
    assert m.CapabilityProfile.objects.get(pk=draft.pk).products == "乙的修改"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trl": 0}, "trl"),
        ({"trl": 10}, "trl"),
        ({"trl": "七"}, "trl"),
        ({"products": "长" * 4001}, "products"),
        ({"capacity": "长" * 2001, "products": "合法"}, "capacity"),
        ({"edit_version": 9}, "edit_version"),
    ],
)
def test_bad_profile_input_names_the_field_and_writes_nothing(enterprise_member, member_enterprise, changes, field):
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    with pytest.raises(ValidationError) as exc:
        svc.profile_update(
            profile_id=draft.pk, user=enterprise_member, expected_edit_version=draft.edit_version, changes=changes
        )
    assert field in exc.value.message_dict
    fresh = m.CapabilityProfile.objects.get(pk=draft.pk)
    assert (fresh.products, fresh.capacity, fresh.trl, fresh.edit_version) == ("", "", 1, draft.edit_version)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"node_id": 999999}, "node"),
        ({"title": ""}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"description": "长" * 4001}, "description"),
        ({"trl": 10}, "trl"),
    ],
)
def test_bad_offer_input_names_the_field_and_writes_nothing(h2, enterprise_member, member_enterprise, kwargs, field):
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    values = {"node_id": h2["pem"].pk, "title": "样品", **kwargs}
    with pytest.raises(ValidationError) as exc:
        svc.offer_save(profile_id=draft.pk, user=enterprise_member, **values)
    assert field in exc.value.message_dict
    assert not m.SupplyOffer.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"trl": "0"}, "trl"),
        ({"trl": "10"}, "trl"),
        ({"products": "长" * 4001}, "products"),
    ],
)
def test_the_editor_shows_field_errors_for_bad_input(member_enterprise, enterprise_member, client_for, data, field):
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    form = {"products": "合法的产品", "trl": "5", "edit_version": str(draft.edit_version), **data}
    response = client_for(enterprise_member).post(reverse("chainmap:profile_update", args=[draft.pk]), form)
    assert response.status_code == 400
    assert field in response.context["profile_form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert m.CapabilityProfile.objects.get(pk=draft.pk).products == ""


def test_the_offer_form_refuses_an_unknown_node(h2, member_enterprise, enterprise_member, client_for):
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    url = reverse("chainmap:offer_create", args=[draft.pk])
    client = client_for(enterprise_member)
    response = client.post(url, {"node": "NO-SUCH-NODE", "title": "样品"})
    assert response.status_code == 400
    assert "node" in response.context["form"].errors
    assert not m.SupplyOffer.objects.exists()
    # The node select is grouped by chain and segment.
    body = client.get(url).content.decode()
    assert '<optgroup label="氢能 · 上游">' in body and "H2-UP-01 · 质子交换膜" in body
    assert client.post(url, {"node": "H2-UP-01", "title": "样品", "trl": "7"}).status_code == 302
    assert m.SupplyOffer.objects.get().node == h2["pem"]


# --- pages: permission matrix ------------------------------------------------------------------

MY_PROFILE = {
    "joint_office": 404,
    "bj_official": 404,
    "tj_official": 404,
    "he_official": 404,
    "enterprise_member": 200,
    "other_member": 200,
    "subscriber": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize(("persona", "expected"), MY_PROFILE.items())
def test_my_profile_page(persona, expected, request, client_for, enterprise_member, other_member):
    response = client_for(persona_user(request, persona)).get(reverse("chainmap:my_profile"))
    assert response.status_code == expected


SUBMITTED_VERSION = {
    "joint_office": 200,
    "bj_official": 404,
    "tj_official": 200,
    "he_official": 404,
    "enterprise_member": 200,
    "other_member": 404,
    "subscriber": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize(("persona", "expected"), SUBMITTED_VERSION.items())
def test_a_submitted_version_is_seen_by_the_enterprise_and_its_region(
    persona, expected, request, client_for, h2, enterprise_member, member_enterprise, other_member
):
    submitted(enterprise_member, member_enterprise, h2["pem"])
    url = reverse("chainmap:profile_version", args=[member_enterprise.credit_code, 1])
    assert client_for(persona_user(request, persona)).get(url).status_code == expected


APPROVED_VERSION = {**SUBMITTED_VERSION, "bj_official": 200, "he_official": 200}


@pytest.mark.parametrize(("persona", "expected"), APPROVED_VERSION.items())
def test_an_approved_version_is_seen_by_every_official(
    persona, expected, request, client_for, h2, enterprise_member, member_enterprise, other_member, tj_official
):
    approved(enterprise_member, member_enterprise, h2["pem"], tj_official)
    url = reverse("chainmap:profile_version", args=[member_enterprise.credit_code, 1])
    assert client_for(persona_user(request, persona)).get(url).status_code == expected


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
# Who sees the approve / return buttons for the Tianjin enterprise's submitted version.
REVIEWS_TJ = {"joint_office", "tj_official"}


@pytest.mark.parametrize(("persona", "expected"), QUEUE.items())
def test_profile_review_queue(
    persona, expected, request, client_for, h2, enterprise_member, member_enterprise, other_member
):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    response = client_for(persona_user(request, persona)).get(reverse("chainmap:profile_review_queue"))
    assert response.status_code == expected
    if expected != 200:
        return
    body = response.content.decode()
    approve = reverse("chainmap:profile_approve", args=[profile.pk])
    give_back = reverse("chainmap:profile_return", args=[profile.pk])
    assert (approve in body) == (persona in REVIEWS_TJ)
    assert (give_back in body) == (persona in REVIEWS_TJ)
    assert (member_enterprise.name in body) == (persona in REVIEWS_TJ)
    if persona in REVIEWS_TJ:
        assert "质子交换膜样品" in body  # the diff lists the new offer


APPROVE = {
    "joint_office": 302,
    "bj_official": 404,
    "tj_official": 302,
    "he_official": 404,
    "enterprise_member": 403,
    "other_member": 404,
    "subscriber": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize(("persona", "expected"), APPROVE.items())
@pytest.mark.parametrize("action", ["profile_approve", "profile_return"])
def test_approve_and_return_actions(
    action, persona, expected, request, client_for, h2, enterprise_member, member_enterprise, other_member
):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    response = client_for(persona_user(request, persona)).post(
        reverse(f"chainmap:{action}", args=[profile.pk]), {"comment": "意见"}
    )
    assert response.status_code == expected
    status = m.CapabilityProfile.objects.get(pk=profile.pk).status
    if expected == 302 and persona != "anonymous":
        assert status == (S.APPROVED if action == "profile_approve" else S.RETURNED)
    else:
        assert status == S.SUBMITTED


def test_returning_without_a_comment_keeps_the_version_submitted(
    h2, client_for, enterprise_member, member_enterprise, tj_official
):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    client = client_for(tj_official)
    response = client.post(reverse("chainmap:profile_return", args=[profile.pk]), {"comment": ""})
    assert response.status_code == 400  # what the API answers for the same request
    assert m.CapabilityProfile.objects.get(pk=profile.pk).status == S.SUBMITTED
    assert reverse("chainmap:profile_review_queue") in response.content.decode()


@pytest.mark.parametrize("action", ["approve", "return"])
def test_a_version_reviewed_meanwhile_gets_the_same_answer_from_page_api_and_service(
    action, h2, client_for, enterprise_member, member_enterprise, tj_official, joint_office
):
    """Two reviewers open the queue; one approves, the other then clicks too: 400 naming the status
    everywhere (it used to be a redirect on the page and a 403 over the API)."""
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    svc.profile_approve(profile_id=profile.pk, reviewer=joint_office)
    with pytest.raises(ValidationError) as exc:
        svc.profile_approve(profile_id=profile.pk, reviewer=tj_official)
    assert "status" in exc.value.message_dict

    page = client_for(tj_official).post(reverse(f"chainmap:profile_{action}", args=[profile.pk]), {"comment": "意见"})
    assert page.status_code == 400
    with translation.override("zh-hans"):
        assert translation.gettext("Only a submitted version can be reviewed.") in page.content.decode()

    api = client_for(tj_official).post(
        f"/api/profiles/{profile.pk}/{action}/", {"comment": "意见"}, content_type="application/json"
    )
    assert api.status_code == 400
    assert "status" in api.json()["error"]["fields"]
    assert m.CapabilityProfile.objects.get(pk=profile.pk).status == S.APPROVED


def test_a_member_reviewing_their_own_version_is_refused_alike_by_page_and_api(
    h2, client_for, enterprise_member, member_enterprise
):
    profile = submitted(enterprise_member, member_enterprise, h2["pem"])
    client = client_for(enterprise_member)
    assert client.post(reverse("chainmap:profile_approve", args=[profile.pk]), {"comment": ""}).status_code == 403
    api = client.post(f"/api/profiles/{profile.pk}/approve/", {"comment": ""}, content_type="application/json")
    assert api.status_code == 403
    assert m.CapabilityProfile.objects.get(pk=profile.pk).status == S.SUBMITTED


def test_the_member_edits_submits_and_sees_the_review_comment_through_the_pages(
    h2, client_for, enterprise_member, member_enterprise, tj_official
):
    client = client_for(enterprise_member)
    body = client.get(reverse("chainmap:my_profile")).content.decode()
    assert reverse("chainmap:profile_start") in body
    assert client.post(reverse("chainmap:profile_start")).status_code == 302
    draft = member_enterprise.profiles.get()
    form = {"products": "质子交换膜", "trl": "6", "edit_version": str(draft.edit_version)}
    assert client.post(reverse("chainmap:profile_update", args=[draft.pk]), form).status_code == 302
    offer = {"node": "H2-UP-01", "title": "膜样品"}
    assert client.post(reverse("chainmap:offer_create", args=[draft.pk]), offer).status_code == 302
    need = {"node": "H2-UP-02", "title": "双极板涂层", "status": "open"}
    assert client.post(reverse("chainmap:need_create", args=[draft.pk]), need).status_code == 302
    assert client.post(reverse("chainmap:profile_submit", args=[draft.pk])).status_code == 302

    body = client.get(reverse("chainmap:my_profile")).content.decode()
    assert reverse("chainmap:profile_update", args=[draft.pk]) not in body  # no editor while submitted
    assert reverse("chainmap:profile_withdraw", args=[draft.pk]) in body

    svc.profile_return(profile_id=draft.pk, reviewer=tj_official, comment="请补充认证信息")
    body = client.get(reverse("chainmap:my_profile")).content.decode()
    assert "请补充认证信息" in body
    assert reverse("chainmap:profile_update", args=[draft.pk]) in body
    assert reverse("chainmap:profile_approve", args=[draft.pk]) not in body
    offer_id = draft.offers.get().pk
    assert client.post(reverse("chainmap:offer_delete", args=[offer_id])).status_code == 302
    assert not draft.offers.exists()


def test_an_enterprise_member_gets_404_for_another_enterprises_profile_and_items(
    h2, client_for, enterprise_member, member_enterprise, other_member
):
    profile = draft_with_content(enterprise_member, member_enterprise, h2["pem"])
    offer = svc.offer_save(profile_id=profile.pk, user=enterprise_member, node_id=h2["pem"].pk, title="样品")
    client = client_for(other_member)
    assert client.get(reverse("chainmap:profile_version", args=[member_enterprise.credit_code, 1])).status_code == 404
    assert client.get(reverse("chainmap:offer_edit", args=[offer.pk])).status_code == 404
    assert client.post(reverse("chainmap:offer_delete", args=[offer.pk])).status_code == 404
    form = {"products": "篡改", "trl": "5", "edit_version": str(profile.edit_version)}
    assert client.post(reverse("chainmap:profile_update", args=[profile.pk]), form).status_code == 404
    assert client.post(reverse("chainmap:profile_submit", args=[profile.pk])).status_code == 404
    assert m.SupplyOffer.objects.filter(pk=offer.pk).exists()
    assert m.CapabilityProfile.objects.get(pk=profile.pk).products == "全氟磺酸质子交换膜"


def test_an_official_may_see_but_not_edit_a_profile(h2, client_for, enterprise_member, member_enterprise, tj_official):
    profile = draft_with_content(enterprise_member, member_enterprise, h2["pem"])
    form = {"products": "官员改", "trl": "5", "edit_version": str(profile.edit_version)}
    assert client_for(tj_official).post(reverse("chainmap:profile_update", args=[profile.pk]), form).status_code == 403
    assert m.CapabilityProfile.objects.get(pk=profile.pk).products == "全氟磺酸质子交换膜"


# --- enterprise page ---------------------------------------------------------------------------

PENDING_SHOWN = {
    "joint_office": True,
    "bj_official": False,
    "tj_official": True,
    "he_official": False,
    "enterprise_member": True,
}


@pytest.mark.parametrize(("persona", "shown"), PENDING_SHOWN.items())
def test_the_enterprise_page_shows_the_approved_profile_and_pending_versions_to_the_right_people(
    persona, shown, request, client_for, h2, enterprise_member, member_enterprise, tj_official
):
    approved(enterprise_member, member_enterprise, h2["pem"], tj_official)
    second = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)
    svc.profile_submit(profile_id=second.pk, user=enterprise_member)
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("chainmap:enterprise_detail", args=[member_enterprise.credit_code])
    )
    body = response.content.decode()
    assert "全氟磺酸质子交换膜" in body  # the approved version, for everyone who sees the enterprise
    assert (reverse("chainmap:profile_version", args=[member_enterprise.credit_code, 2]) in body) == shown


def test_the_nav_links_my_profile_for_members_and_reviews_for_officials(
    client_for, enterprise_member, tj_official, subscriber
):
    member_body = client_for(enterprise_member).get(reverse("chainmap:dashboard")).content.decode()
    assert f'href="{reverse("chainmap:my_profile")}"' in member_body
    assert reverse("chainmap:profile_review_queue") not in member_body
    official_body = client_for(tj_official).get(reverse("chainmap:dashboard")).content.decode()
    assert f'href="{reverse("chainmap:profile_review_queue")}"' in official_body
    assert reverse("chainmap:my_profile") not in official_body
    subscriber_body = client_for(subscriber).get(reverse("chainmap:dashboard")).content.decode()
    assert reverse("chainmap:my_profile") not in subscriber_body
    assert reverse("chainmap:profile_review_queue") not in subscriber_body


# --- query budgets -----------------------------------------------------------------------------


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _submitted_profiles(count: int, node: m.Node, *, start: int) -> None:
    for i in range(count):
        enterprise = f.EnterpriseFactory(region=f.region("TJ"))
        f.ProfileFactory(enterprise=enterprise, products=f"旧产品{i}")
        new = f.ProfileFactory(
            enterprise=enterprise,
            version=2,
            status=S.SUBMITTED,
            products=f"新产品{i}",
            submitted_at=timezone.now(),
        )
        f.OfferFactory(profile=new, node=node, title=f"供给{start + i}")
        f.NeedFactory(profile=new, node=node, title=f"需求{start + i}")


def test_the_review_queue_runs_a_constant_number_of_queries(client_for, tj_official, h2):
    client = client_for(tj_official)
    url = reverse("chainmap:profile_review_queue")
    _submitted_profiles(2, h2["pem"], start=0)
    small = _count(client, url)
    _submitted_profiles(18, h2["pem"], start=100)
    assert _count(client, url) == small <= 12


def test_my_profile_runs_a_constant_number_of_queries(client_for, h2, enterprise_member, member_enterprise):
    client = client_for(enterprise_member)
    url = reverse("chainmap:my_profile")
    draft = svc.profile_start_draft(enterprise_id=member_enterprise.pk, user=enterprise_member)

    def add(n: int, start: int) -> None:
        for i in range(n):
            f.OfferFactory(profile=draft, node=h2["pem"], title=f"供给{start + i}")
            f.NeedFactory(profile=draft, node=h2["plate"], title=f"需求{start + i}")
            f.ProfileFactory(enterprise=member_enterprise, version=100 + start + i, status=S.SUPERSEDED)

    add(2, 0)
    small = _count(client, url)
    add(18, 100)
    assert _count(client, url) == small <= 10
