"""Node assessments (strong / present / weak / empty per region): the service's rule and history,
the edit page on the node, the API, and the diagram re-render after a committed change.

Beijing leads the chain (mapfixtures): its officials and the joint office set every region; Tianjin and
Hebei officials set their own region only; enterprises and subscribers set nothing.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chainmap import models as m
from chainmap.maps.services.assessments import assessment_set
from tests import factories as f
from tests.core.test_api_permissions import client_as
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

PERSONAS = ["joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber", None]


def user_of(request, persona):
    return request.getfixturevalue(persona) if persona else None


@pytest.fixture
def assessed(chain_map, regions):
    """H2-UP-01 assessed in Beijing (strong) and Tianjin (weak); Hebei not assessed yet."""
    m.NodeAssessment.objects.create(node=chain_map.up, region=regions["BJ"], level=m.Level.STRONG)
    m.NodeAssessment.objects.create(node=chain_map.up, region=regions["TJ"], level=m.Level.WEAK)
    return chain_map.up


def level_of(node, region):
    row = m.NodeAssessment.objects.filter(node=node, region=region).first()
    return row.level if row else None


# --- service ------------------------------------------------------------------------------------

# Which regions each persona may set at a node of the chain Beijing leads.
MAY_SET = {
    "joint_office": {"BJ", "TJ", "HE"},
    "bj_official": {"BJ", "TJ", "HE"},
    "tj_official": {"TJ"},
    "he_official": {"HE"},
    "enterprise_member": set(),
    "subscriber": set(),
}


@pytest.mark.parametrize("persona", list(MAY_SET))
@pytest.mark.parametrize("region_code", ["BJ", "TJ", "HE"])
def test_who_may_set_which_regions_level(assessed, regions, request, persona, region_code):
    user = user_of(request, persona)
    before = level_of(assessed, regions[region_code])
    if region_code in MAY_SET[persona]:
        row = assessment_set(
            node_id=assessed.pk, region_id=regions[region_code].pk, level="present", user=user, reason="调研更新"
        )
        assert row.level == "present" and level_of(assessed, regions[region_code]) == "present"
    else:
        with pytest.raises(PermissionDenied):
            assessment_set(
                node_id=assessed.pk, region_id=regions[region_code].pk, level="present", user=user, reason="调研更新"
            )
        assert level_of(assessed, regions[region_code]) == before


def test_the_leader_of_yesterday_loses_the_right_to_set_other_regions(assessed, regions, bj_official, clock):
    clock.move_to(at(2026, 9, 1, 8))  # noqa: F405  Tianjin leads from today
    with pytest.raises(PermissionDenied):
        assessment_set(node_id=assessed.pk, region_id=regions["TJ"].pk, level="strong", user=bj_official, reason="r")
    row = assessment_set(node_id=assessed.pk, region_id=regions["BJ"].pk, level="weak", user=bj_official, reason="r")
    assert row.level == "weak"


def test_a_change_is_kept_in_the_history_with_user_and_reason(assessed, regions, tj_official):
    assessment_set(
        node_id=assessed.pk,
        region_id=regions["TJ"].pk,
        level="present",
        note="新增两家",
        user=tj_official,
        reason="滨海调研",
    )
    row = m.NodeAssessment.objects.get(node=assessed, region=regions["TJ"])
    record = row.history.latest("history_date")
    assert (record.level, record.note, record.history_change_reason, record.history_user) == (
        "present",
        "新增两家",
        "滨海调研",
        tj_official,
    )


def test_the_first_assessment_of_a_region_is_created(assessed, regions, he_official):
    row = assessment_set(
        node_id=assessed.pk, region_id=regions["HE"].pk, level="empty", user=he_official, reason="空白"
    )
    assert row.pk and row.history.count() == 1


def test_an_unchanged_level_writes_no_history(assessed, regions, bj_official):
    row = m.NodeAssessment.objects.get(node=assessed, region=regions["BJ"])
    count = row.history.count()
    assessment_set(node_id=assessed.pk, region_id=regions["BJ"].pk, level="strong", user=bj_official, reason="同")
    assert row.history.count() == count


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"level": "huge"}, "level"),
        ({"note": "长" * 501}, "note"),
        ({"expected_level": "present"}, "expected_level"),
        ({"region_id": 999999}, "region"),
        ({"node_id": 999999}, "node"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(assessed, regions, bj_official, kwargs, field):
    args = {"node_id": assessed.pk, "region_id": regions["TJ"].pk, "level": "strong", "user": bj_official}
    args["reason"] = "理由"
    args.update(kwargs)
    with pytest.raises(ValidationError) as caught:
        assessment_set(**args)
    assert field in caught.value.message_dict
    assert level_of(assessed, regions["TJ"]) == "weak"


def test_a_level_changed_meanwhile_is_not_overwritten(assessed, regions, bj_official, tj_official):
    assessment_set(
        node_id=assessed.pk, region_id=regions["TJ"].pk, level="present", user=tj_official, reason="天津口径"
    )
    with pytest.raises(ValidationError) as caught:
        assessment_set(
            node_id=assessed.pk,
            region_id=regions["TJ"].pk,
            level="empty",
            user=bj_official,
            reason="北京口径",
            expected_level="weak",
        )
    message = caught.value.message_dict["expected_level"][0]
    assert "tj_official" in message and "天津口径" in message
    assert level_of(assessed, regions["TJ"]) == "present"


@pytest.fixture
def quiet_node(clock, regions, settings):
    """A node of a chain Beijing leads, built without scheduling renders: in a test everything runs in
    one transaction, and the debounce would fold the change under test into the setup's render."""
    settings.CHAINMAP_DIAGRAMS = {**settings.CHAINMAP_DIAGRAMS, "AUTO_RENDER": False}
    chain = f.ChainFactory(slug="quiet")
    f.TermFactory(chain=chain, region=regions["BJ"], starts_on=BJ_TERM[0], ends_on=BJ_TERM[1])  # noqa: F405
    node = f.NodeFactory(chain=chain, code="QT-UP-01")
    settings.CHAINMAP_DIAGRAMS = {**settings.CHAINMAP_DIAGRAMS, "AUTO_RENDER": True}
    return node


def test_a_committed_change_re_renders_the_chains_diagram(
    quiet_node, regions, joint_office, django_capture_on_commit_callbacks
):
    assert not m.Diagram.objects.filter(chain=quiet_node.chain).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assessment_set(
            node_id=quiet_node.pk, region_id=regions["HE"].pk, level="weak", user=joint_office, reason="补链"
        )
    assert len(callbacks) == 1
    diagram = m.Diagram.objects.get(chain=quiet_node.chain, kind=m.DiagramKind.CURRENT)
    assert diagram.requested == 1


def test_a_refused_change_schedules_no_render(assessed, regions, tj_official, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(PermissionDenied):
        assessment_set(node_id=assessed.pk, region_id=regions["BJ"].pk, level="weak", user=tj_official, reason="r")
    assert callbacks == []


# --- page ---------------------------------------------------------------------------------------

PAGE = {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 200,
    "he_official": 200,
    "enterprise_member": 403,
    "subscriber": 403,
    None: 302,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_assessment_page_permission_matrix_and_node_page_button(assessed, client_for, request, persona):
    client = client_for(user_of(request, persona))
    assert client.get("/nodes/H2-UP-01/assessments/").status_code == PAGE[persona]
    if persona is not None:
        node_page = client.get("/nodes/H2-UP-01/").content.decode()
        assert ("/nodes/H2-UP-01/assessments/" in node_page) == (PAGE[persona] == 200)


def test_an_unknown_node_is_404(assessed, client_for, joint_office):
    assert client_for(joint_office).get("/nodes/NOPE-01/assessments/").status_code == 404


@pytest.mark.parametrize(
    ("persona", "fields"),
    [
        ("bj_official", {"level_BJ", "level_TJ", "level_HE"}),
        ("joint_office", {"level_BJ", "level_TJ", "level_HE"}),
        ("tj_official", {"level_TJ"}),
        ("he_official", {"level_HE"}),
    ],
)
def test_the_form_offers_the_regions_the_user_may_set(assessed, client_for, request, persona, fields):
    response = client_for(user_of(request, persona)).get("/nodes/H2-UP-01/assessments/")
    offered = {name for name in response.context["form"].fields if name.startswith("level_")}
    assert offered == fields
    body = response.content.decode()
    assert "编辑三地评估" in body and "理由" in body


def test_the_leader_sets_several_regions_in_one_save(assessed, regions, client_for, bj_official):
    response = client_for(bj_official).post(
        "/nodes/H2-UP-01/assessments/",
        {
            "level_BJ": "strong",
            "was_BJ": "strong",
            "level_TJ": "present",
            "was_TJ": "weak",
            "level_HE": "empty",
            "was_HE": "",
            "note_HE": "尚无企业",
            "reason": "季度评估",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/nodes/H2-UP-01/"
    assert level_of(assessed, regions["TJ"]) == "present" and level_of(assessed, regions["HE"]) == "empty"
    he = m.NodeAssessment.objects.get(node=assessed, region=regions["HE"])
    assert he.note == "尚无企业" and he.history.latest("history_date").history_change_reason == "季度评估"
    # Beijing's row was unchanged: no new history record after the one of its creation.
    assert m.NodeAssessment.objects.get(node=assessed, region=regions["BJ"]).history.count() == 1


def test_a_region_official_cannot_change_another_region_through_the_form(assessed, regions, client_for, tj_official):
    response = client_for(tj_official).post(
        "/nodes/H2-UP-01/assessments/",
        {"level_BJ": "empty", "level_TJ": "present", "was_TJ": "weak", "reason": "天津调研"},
    )
    assert response.status_code == 302
    assert level_of(assessed, regions["BJ"]) == "strong" and level_of(assessed, regions["TJ"]) == "present"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"level_TJ": "present", "was_TJ": "weak", "reason": ""}, "reason"),
        ({"level_TJ": "huge", "was_TJ": "weak", "reason": "r"}, "level_TJ"),
        ({"level_TJ": "", "was_TJ": "weak", "reason": "r"}, "level_TJ"),
        ({"level_TJ": "present", "was_TJ": "weak", "note_TJ": "长" * 501, "reason": "r"}, "note_TJ"),
    ],
)
def test_bad_input_on_the_page_names_the_field(assessed, regions, client_for, tj_official, data, field):
    response = client_for(tj_official).post("/nodes/H2-UP-01/assessments/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert level_of(assessed, regions["TJ"]) == "weak"


def test_a_stale_level_on_the_page_is_reported_and_nothing_is_written(
    assessed, regions, client_for, bj_official, tj_official
):
    assessment_set(
        node_id=assessed.pk, region_id=regions["TJ"].pk, level="present", user=tj_official, reason="天津口径"
    )
    response = client_for(bj_official).post(
        "/nodes/H2-UP-01/assessments/",
        {"level_BJ": "present", "was_BJ": "strong", "level_TJ": "empty", "was_TJ": "weak", "reason": "北京口径"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "level_TJ" in errors and "天津口径" in errors["level_TJ"][0]
    # All or nothing: Beijing's own change was rolled back too.
    assert level_of(assessed, regions["BJ"]) == "strong" and level_of(assessed, regions["TJ"]) == "present"
    # The form now carries the current level: submitting again is a deliberate overwrite.
    assert response.context["form"].data["was_TJ"] == "present"


# --- API ----------------------------------------------------------------------------------------

API_PERSONAS = ["joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber"]
API_PERSONAS += ["anonymous", "token"]


@pytest.mark.parametrize("persona", API_PERSONAS)
def test_api_list_and_detail_per_persona(assessed, request, persona):
    client = client_as(persona, request)
    listed = client.get("/api/node-assessments/", {"node": "H2-UP-01"})
    detail = client.get("/api/node-assessments/H2-UP-01/BJ/")
    if persona == "anonymous":
        assert listed.status_code == detail.status_code == 401
        assert listed.json()["error"]["code"] == "not_authenticated"
        return
    assert listed.status_code == 200 and detail.status_code == 200
    assert [(r["region"], r["level"]) for r in listed.json()["results"]] == [("BJ", "strong"), ("TJ", "weak")]
    assert detail.json() | {"updated_at": None} == {
        "node": "H2-UP-01",
        "region": "BJ",
        "level": "strong",
        "note": "",
        "updated_at": None,
    }


# (persona, region) → status of PUT: the leader (BJ, also through its token) and the joint office set
# any region, other officials their own; enterprises and subscribers never; anonymous must log in.
PUT = {
    "joint_office": {"BJ": 200, "TJ": 200, "HE": 200},
    "bj_official": {"BJ": 200, "TJ": 200, "HE": 200},
    "token": {"BJ": 200, "TJ": 200, "HE": 200},
    "tj_official": {"BJ": 403, "TJ": 200, "HE": 403},
    "he_official": {"BJ": 403, "TJ": 403, "HE": 200},
    "enterprise_member": {"BJ": 403, "TJ": 403, "HE": 403},
    "subscriber": {"BJ": 403, "TJ": 403, "HE": 403},
    "anonymous": {"BJ": 401, "TJ": 401, "HE": 401},
}


@pytest.mark.parametrize("persona", API_PERSONAS)
@pytest.mark.parametrize("region_code", ["BJ", "TJ", "HE"])
def test_api_put_permission_rows(assessed, regions, request, persona, region_code):
    response = client_as(persona, request).put(
        f"/api/node-assessments/H2-UP-01/{region_code}/", {"level": "present", "reason": "接口更新"}, format="json"
    )
    expected = PUT[persona][region_code]
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["level"] == "present"
        assert level_of(assessed, regions[region_code]) == "present"
    else:
        assert "error" in response.json()
        assert level_of(assessed, regions[region_code]) != "present"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "huge", "reason": "r"}, "level"),
        ({"level": "strong"}, "reason"),
        ({"level": "strong", "reason": ""}, "reason"),
        ({"level": "strong", "reason": "r", "note": "长" * 501}, "note"),
        ({"level": "strong", "reason": "r", "expected_level": "bogus"}, "expected_level"),
        ({"level": "strong", "reason": "r", "expected_level": "present"}, "expected_level"),
        ({"level": 5, "reason": ["r"]}, "reason"),
    ],
)
def test_api_bad_input_names_the_field_in_the_error_shape(assessed, regions, bj_official, body, field):
    client = APIClient()
    client.force_login(bj_official)
    response = client.put("/api/node-assessments/H2-UP-01/TJ/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert level_of(assessed, regions["TJ"]) == "weak"


def test_api_unknown_node_or_region_is_404(assessed, bj_official):
    client = APIClient()
    client.force_login(bj_official)
    assert client.put("/api/node-assessments/NOPE-01/TJ/", {"level": "weak", "reason": "r"}).status_code == 404
    assert client.put("/api/node-assessments/H2-UP-01/XX/", {"level": "weak", "reason": "r"}).status_code == 404
    assert client.get("/api/node-assessments/H2-UP-01/HE/").status_code == 404  # not assessed yet


def test_api_put_keeps_history_and_re_renders(quiet_node, regions, bj_official, django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_login(bj_official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            "/api/node-assessments/qt-up-01/he/",
            {"level": "weak", "note": "仅一家", "reason": "接口评估", "expected_level": ""},
            format="json",
        )
    assert response.status_code == 200
    row = m.NodeAssessment.objects.get(node=quiet_node, region=regions["HE"])
    assert (row.level, row.note) == ("weak", "仅一家")
    assert row.history.latest("history_date").history_change_reason == "接口评估"
    assert m.Diagram.objects.get(chain=quiet_node.chain, kind=m.DiagramKind.CURRENT).requested == 1


def test_api_list_filters_by_chain_and_level(assessed, bj_official):
    other = f.NodeFactory(chain=f.ChainFactory(slug="other"))
    m.NodeAssessment.objects.create(node=other, region=f.region("HE"), level=m.Level.WEAK)
    client = APIClient()
    client.force_login(bj_official)
    rows = client.get("/api/node-assessments/", {"chain": "hydrogen"}).json()["results"]
    assert {r["node"] for r in rows} == {"H2-UP-01"}
    rows = client.get("/api/node-assessments/", {"level": "weak"}).json()["results"]
    assert sorted(r["node"] for r in rows) == sorted(["H2-UP-01", other.code])


def test_api_list_query_count_does_not_grow(chain_map, joint_office):
    client = APIClient()
    client.force_login(joint_office)

    def make(n):
        for _ in range(n):
            node = f.NodeFactory(chain=chain_map.chain)
            m.NodeAssessment.objects.create(node=node, region=f.region("TJ"), level=m.Level.PRESENT)

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/node-assessments/", {"page_size": 100}).json()["results"]) == 2
    make(18)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/node-assessments/", {"page_size": 100}).json()["results"]) == 20
    assert len(many) == len(few)
