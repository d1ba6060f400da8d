"""The enterprise master-data service and its edit page: who may edit, the version check with the other
change shown, field errors, history with the reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainmap import models as m
from chainmap.core.exceptions import ConflictError
from chainmap.enterprises.services import enterprises as services
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def bj_enterprise(regions) -> m.Enterprise:
    return f.EnterpriseFactory(name="北京示例", region=regions["BJ"])


def _url(enterprise: m.Enterprise) -> str:
    return reverse("chainmap:enterprise_edit", args=[enterprise.credit_code])


def _post(enterprise: m.Enterprise, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": enterprise.name,
        "size": enterprise.size,
        "version": enterprise.version,
        "reason": "核实",
        "subregion": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not False}


# --- service ---------------------------------------------------------------------------------------


def test_it_bumps_the_version_and_records_who_and_why(bj_enterprise, bj_official) -> None:
    saved = services.enterprise_update(
        enterprise_id=bj_enterprise.pk,
        user=bj_official,
        reason="更名",
        expected_version=1,
        changes={"name": "北京新名", "is_listed": True},
    )
    assert (saved.name, saved.is_listed, saved.version) == ("北京新名", True, 2)
    record = bj_enterprise.history.latest()
    assert (record.history_user, record.history_change_reason) == (bj_official, "更名")


def test_it_writes_nothing_when_nothing_changes(bj_enterprise, bj_official) -> None:
    saved = services.enterprise_update(
        enterprise_id=bj_enterprise.pk, user=bj_official, reason="r", expected_version=1, changes={"name": "北京示例"}
    )
    assert saved.version == 1


def test_it_refuses_a_stale_version_with_the_other_change(bj_enterprise, bj_official, joint_office) -> None:
    services.enterprise_update(
        enterprise_id=bj_enterprise.pk, user=joint_office, reason="先改", expected_version=1, changes={"name": "甲"}
    )
    with pytest.raises(ConflictError) as caught:
        services.enterprise_update(
            enterprise_id=bj_enterprise.pk, user=bj_official, reason="后改", expected_version=1, changes={"name": "乙"}
        )
    assert caught.value.changes[0]["reason"] == "先改"
    assert ("名称", "北京示例", "甲") in caught.value.changes[0]["fields"]


def test_other_regions_may_not_edit(bj_enterprise, tj_official, enterprise_member) -> None:
    for user in (tj_official, enterprise_member):
        with pytest.raises(PermissionDenied):
            services.enterprise_update(
                enterprise_id=bj_enterprise.pk, user=user, reason="r", expected_version=None, changes={"name": "x"}
            )


def test_credit_code_never_changes(bj_enterprise, joint_office) -> None:
    with pytest.raises(ValidationError) as caught:
        services.enterprise_update(
            enterprise_id=bj_enterprise.pk,
            user=joint_office,
            reason="r",
            expected_version=None,
            changes={"credit_code": f.make_credit_code(7)},
        )
    assert "credit_code" in caught.value.message_dict


def test_create_checks_region_and_code(bj_official, regions) -> None:
    with pytest.raises(PermissionDenied):
        services.enterprise_create(
            user=bj_official,
            reason="r",
            credit_code=f.make_credit_code(1),
            data={"name": "x", "region_id": regions["TJ"].pk},
        )
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            user=bj_official, reason="r", credit_code="123", data={"name": "x", "region_id": regions["BJ"].pk}
        )
    assert "credit_code" in caught.value.message_dict
    created = services.enterprise_create(
        user=bj_official,
        reason="新增",
        credit_code=f.make_credit_code(2),
        data={"name": "北京新", "region_id": regions["BJ"].pk},
    )
    assert (created.version, created.region_id) == (1, regions["BJ"].pk)
    assert created.history.latest().history_change_reason == "新增"


# --- page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("joint_office", 200),
        ("bj_official", 200),
        ("tj_official", 403),
        ("he_official", 403),
        ("enterprise_member", 404),
        ("subscriber", 404),
    ],
)
def test_edit_page_permissions(persona, expected, bj_enterprise, client_for, request) -> None:
    assert client_for(request.getfixturevalue(persona)).get(_url(bj_enterprise)).status_code == expected


def test_anonymous_goes_to_login(bj_enterprise, client) -> None:
    response = client.get(_url(bj_enterprise))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_edit_page_speaks_chinese_and_saves(bj_enterprise, bj_official, client_for, regions) -> None:
    district = m.SubRegion.objects.create(region=regions["BJ"], name="海淀区")
    m.SubRegion.objects.create(region=regions["TJ"], name="滨海新区")
    client = client_for(bj_official)
    page = client.get(_url(bj_enterprise)).content.decode()
    assert "编辑企业" in page
    assert "海淀区" in page
    assert "滨海新区" not in page  # only the enterprise's region's sub-regions
    response = client.post(
        _url(bj_enterprise), _post(bj_enterprise, name="北京新名", subregion=district.pk, is_high_tech="on")
    )
    assert response.status_code == 302
    bj_enterprise.refresh_from_db()
    assert (bj_enterprise.name, bj_enterprise.subregion, bj_enterprise.is_high_tech) == ("北京新名", district, True)
    assert bj_enterprise.version == 2


def test_page_names_the_bad_field(bj_enterprise, bj_official, client_for) -> None:
    response = client_for(bj_official).post(
        _url(bj_enterprise), _post(bj_enterprise, contact_email="坏地址", reason="")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"contact_email", "reason"}
    bj_enterprise.refresh_from_db()
    assert bj_enterprise.version == 1


def test_page_shows_the_other_change_on_conflict(bj_enterprise, bj_official, joint_office, client_for) -> None:
    stale = _post(bj_enterprise, name="我的名字")
    services.enterprise_update(
        enterprise_id=bj_enterprise.pk,
        user=joint_office,
        reason="联合办先改",
        expected_version=1,
        changes={"name": "他人"},
    )
    response = client_for(bj_official).post(_url(bj_enterprise), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "联合办先改" in page
    assert "他人" in page
    bj_enterprise.refresh_from_db()
    assert bj_enterprise.name == "他人"
    # Submitting again (the form now carries the current version) saves the user's values.
    again = client_for(bj_official).post(_url(bj_enterprise), _post(bj_enterprise, name="我的名字"))
    assert again.status_code == 302
    bj_enterprise.refresh_from_db()
    assert bj_enterprise.name == "我的名字"


def test_edit_page_query_count_is_bounded(bj_enterprise, bj_official, client_for, regions) -> None:
    client = client_for(bj_official)
    with CaptureQueriesContext(connection) as few:
        client.get(_url(bj_enterprise))
    for i in range(15):
        m.SubRegion.objects.create(region=regions["BJ"], name=f"区{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(_url(bj_enterprise))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_edit_button_only_for_who_may_edit(bj_enterprise, bj_official, he_official, client_for) -> None:
    url = reverse("chainmap:enterprise_detail", args=[bj_enterprise.credit_code])
    assert _url(bj_enterprise) in client_for(bj_official).get(url).content.decode()
    assert _url(bj_enterprise) not in client_for(he_official).get(url).content.decode()


def test_the_page_form_and_the_api_serializer_produce_the_same_input(bj_enterprise, regions) -> None:
    """One input per write: the edit form and the API serializer both give an ``EnterpriseInput``."""
    from chainmap.enterprises.api.serializers import EnterpriseUpdateSerializer
    from chainmap.enterprises.forms.enterprises import EnterpriseForm

    post = EnterpriseForm.initial_for(bj_enterprise) | {"name": "北京新名", "founded_year": 2001, "reason": "更名"}
    form = EnterpriseForm({k: v for k, v in post.items() if v is not None}, enterprise=bj_enterprise)
    assert form.is_valid(), form.errors
    serializer = EnterpriseUpdateSerializer(
        data={"name": "北京新名", "founded_year": 2001, "reason": "更名"}, partial=True
    )
    assert serializer.is_valid(), serializer.errors
    assert form.to_input() == serializer.to_input()
    assert form.to_input().given() == {"name": "北京新名", "founded_year": 2001}


def test_an_input_naming_no_field_of_the_write_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        services.EnterpriseInput.from_data({"name": "x", "credit_code": "9111", "colour": "red"})
    assert set(caught.value.message_dict) == {"credit_code", "colour"}  # every one, in one answer
    assert "不能修改" in caught.value.message_dict["credit_code"][0]  # its own reason (zh-hans default)
    with pytest.raises(ValidationError) as caught:
        services.EnterpriseInput.from_data({"colour": "red"})
    assert set(caught.value.message_dict) == {"colour"}
