"""Map editing and proposal pages: the permission matrix, buttons only for those who may use them,
the conflict page, and the newcomer's walk-through (Tianjin proposes, Beijing approves)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainmap import models as m
from chainmap.maps.services import proposals
from tests import factories as f
from tests.mapfixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

PERSONAS = ["joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber", None]


def user_of(request, persona):
    return request.getfixturevalue(persona) if persona else None


@pytest.fixture
def proposal(chain_map, tj_official):
    return proposals.proposal_create(
        chain_id=chain_map.chain.pk,
        author=tj_official,
        reason="天津调研：该环节应细化",
        items=[{"operation": "rename_node", "node": "H2-UP-01", "name": "电解水制氢"}],
    )


# (persona, expected status) for GET of each editing page: leader and joint office edit, the other
# officials propose, enterprises and subscribers see the chain but may not change it, anonymous logs in.
EDIT_PAGE = {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 200,
    "he_official": 200,
    "enterprise_member": 403,
    "subscriber": 403,
    None: 302,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "url",
    [
        "/chains/hydrogen/nodes/new/",
        "/chains/hydrogen/edges/new/",
        "/nodes/H2-UP-01/edit/",
        "/nodes/H2-DOWN-01/delete/",
        "EDGE",
    ],
)
def test_edit_pages_permission_matrix(chain_map, client_for, request, persona, url):
    if url == "EDGE":
        url = f"/edges/{chain_map.up_mid.pk}/delete/"
    response = client_for(user_of(request, persona)).get(url)
    assert response.status_code == EDIT_PAGE[persona]


def test_unknown_objects_are_404_for_officials(chain_map, client_for, bj_official):
    client = client_for(bj_official)
    assert client.get("/nodes/NOPE-01/edit/").status_code == 404
    assert client.get("/edges/999999/delete/").status_code == 404
    assert client.get("/proposals/999999/").status_code == 404


PROPOSAL_PAGES = {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 200,
    "he_official": 200,
    "enterprise_member": 404,
    "subscriber": 404,
    None: 302,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_proposal_pages_permission_matrix(proposal, client_for, request, persona):
    client = client_for(user_of(request, persona))
    assert client.get("/proposals/").status_code == PROPOSAL_PAGES[persona]
    assert client.get(f"/proposals/{proposal.pk}/").status_code == PROPOSAL_PAGES[persona]


# Approving: the leader (BJ) and the joint office; never the author (TJ); HE sees it but may not (403);
# enterprises and subscribers cannot see proposals at all (404).
APPROVE = {
    "joint_office": 302,
    "bj_official": 302,
    "tj_official": 403,
    "he_official": 403,
    "enterprise_member": 404,
    "subscriber": 404,
    None: 302,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_approve_permission_matrix_and_buttons(proposal, client_for, request, persona):
    user = user_of(request, persona)
    client = client_for(user)
    page = client.get(f"/proposals/{proposal.pk}/")
    response = client.post(f"/proposals/{proposal.pk}/approve/", {"comment": "同意"})
    assert response.status_code == APPROVE[persona]
    proposal.refresh_from_db()
    if persona in ("joint_office", "bj_official"):
        assert b"/approve/" in page.content and b"/reject/" in page.content
        assert proposal.status == "approved"
    else:
        assert proposal.status == "open"
        if page.status_code == 200:
            assert b"/approve/" not in page.content and b"/reject/" not in page.content
    if persona is None:
        assert response["Location"].startswith("/login/")


def test_the_official_of_the_region_that_led_yesterday_gets_403(proposal, client_for, bj_official):
    import time_machine

    from tests.mapfixtures import at

    with time_machine.travel(at(2026, 9, 1, 8), tick=True):
        client = client_for(bj_official)
        page = client.get(f"/proposals/{proposal.pk}/")
        assert b"/approve/" not in page.content
        assert client.post(f"/proposals/{proposal.pk}/approve/", {"comment": "同意"}).status_code == 403


@pytest.mark.parametrize(
    ("persona", "withdraw"),
    [("tj_official", 302), ("bj_official", 403), ("he_official", 403), ("enterprise_member", 404)],
)
def test_only_the_author_withdraws(proposal, client_for, request, persona, withdraw):
    client = client_for(request.getfixturevalue(persona))
    page = client.get(f"/proposals/{proposal.pk}/")
    assert client.post(f"/proposals/{proposal.pk}/withdraw/").status_code == withdraw
    if page.status_code == 200:
        assert (b"/withdraw/" in page.content) == (persona == "tj_official")


@pytest.mark.parametrize(
    ("persona", "buttons"),
    [
        ("bj_official", [b"Edit node", b"Delete node"]),
        ("joint_office", [b"Edit node", b"Delete node"]),
        ("tj_official", [b"Propose a change", b"Propose deletion"]),
        ("enterprise_member", []),
        ("subscriber", []),
    ],
)
def test_the_node_page_shows_only_usable_buttons(chain_map, client_for, request, persona, buttons, settings):
    settings.LANGUAGE_CODE = "en"
    client = client_for(request.getfixturevalue(persona))
    content = client.get("/nodes/H2-UP-01/", HTTP_ACCEPT_LANGUAGE="en").content
    for button in buttons:
        assert button in content
    if not buttons:
        assert b"/nodes/H2-UP-01/edit/" not in content and b"/nodes/H2-UP-01/delete/" not in content


def test_the_chain_page_shows_add_buttons_to_officials_only(chain_map, client_for, bj_official, enterprise_member):
    assert b"/chains/hydrogen/nodes/new/" in client_for(bj_official).get("/chains/hydrogen/").content
    assert b"/chains/hydrogen/nodes/new/" not in client_for(enterprise_member).get("/chains/hydrogen/").content


def test_a_direct_edit_needs_a_reason_and_names_the_field(chain_map, client_for, bj_official):
    response = client_for(bj_official).post(
        "/nodes/H2-UP-01/edit/", {"name": "电解水制氢", "segment": "up", "reason": "", "version": 1}
    )
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "制氢"


def test_two_officials_editing_the_same_node_the_second_gets_a_conflict_page(
    chain_map, client_for, bj_official, joint_office
):
    first = client_for(joint_office).post(
        "/nodes/H2-UP-01/edit/", {"name": "绿氢制备", "segment": "up", "reason": "联合办统一口径", "version": 1}
    )
    assert first.status_code == 302
    second = client_for(bj_official).post(
        "/nodes/H2-UP-01/edit/", {"name": "电解水制氢", "segment": "up", "reason": "北京口径", "version": 1}
    )
    assert second.status_code == 409
    body = second.content.decode()
    assert "联合办统一口径" in body and "绿氢制备" in body and "alice" in body
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "绿氢制备"
    # Submitting again from the conflict page (which carries the current version) saves deliberately.
    third = client_for(bj_official).post(
        "/nodes/H2-UP-01/edit/", {"name": "电解水制氢", "segment": "up", "reason": "北京口径", "version": 2}
    )
    assert third.status_code == 302
    chain_map.up.refresh_from_db()
    assert chain_map.up.name == "电解水制氢" and chain_map.up.version == 3


def test_deleting_a_node_with_enterprises_shows_why_and_offers_no_button(chain_map, client_for, bj_official):
    f.PlacementFactory(node=chain_map.down, status="confirmed")
    client = client_for(bj_official)
    page = client.get("/nodes/H2-DOWN-01/delete/")
    assert (
        "企业挂接".encode() in page.content
        and b'type="submit"' not in page.content.split(b"<main")[1].split(b"lang-switch")[0]
    )
    response = client.post("/nodes/H2-DOWN-01/delete/", {"reason": "删除"})
    assert response.status_code == 400
    assert m.Node.objects.filter(code="H2-DOWN-01").exists()


def test_the_newcomer_walk_through(chain_map, clock, client_for, tj_official, bj_official):
    """Tianjin proposes a rename on a chain Beijing leads; Beijing approves the next day; the change shows
    in the chain page, in the node's history and in the as-of view; after the term boundary the roles swap."""
    from django.core.management import call_command

    from tests.mapfixtures import at

    tj, bj = client_for(tj_official), client_for(bj_official)
    response = tj.post(
        "/nodes/H2-MID-01/edit/",
        {"name": "质子交换膜燃料电池电堆", "segment": "mid", "reason": "与国标术语一致", "version": 1},
    )
    assert response.status_code == 302
    proposal = m.ChangeProposal.objects.get()
    assert response["Location"] == f"/proposals/{proposal.pk}/"
    assert proposal.routed_to.code == "BJ"
    assert f"/proposals/{proposal.pk}/".encode() in bj.get("/proposals/").content
    clock.move_to(at(2026, 6, 16, 9))
    tj, bj = client_for(tj_official), client_for(bj_official)  # a new working day, a new session
    assert bj.post(f"/proposals/{proposal.pk}/approve/", {"comment": "同意"}).status_code == 302
    assert "质子交换膜燃料电池电堆" in bj.get("/chains/hydrogen/").content.decode()
    history = bj.get("/nodes/H2-MID-01/history/").content.decode()
    assert "与国标术语一致" in history and "tj_official" in history
    before = bj.get("/chains/hydrogen/as-of/?date=2026-06-15").content.decode()
    after = bj.get("/chains/hydrogen/as-of/?date=2026-06-16").content.decode()
    assert "燃料电池电堆" in before and "质子交换膜燃料电池电堆" not in before
    assert "质子交换膜燃料电池电堆" in after

    assert tj.get("/nodes/H2-MID-01/edit/").context["mode"] == "propose"
    call_command("rotate_leadership", "--date", "2026-09-01")
    assert tj.get("/nodes/H2-MID-01/edit/").context["mode"] == "direct"
    assert bj.get("/nodes/H2-MID-01/edit/").context["mode"] == "propose"


def test_proposal_list_query_budget(chain_map, client_for, bj_official, tj_official, he_official):
    def make(n):
        for i in range(n):
            proposals.proposal_create(
                chain_id=chain_map.chain.pk,
                author=tj_official if i % 2 else he_official,
                reason=f"理由{i}",
                items=[{"operation": "add_node", "code": f"H2-UP-{50 + i:02d}", "name": f"节点{i}", "segment": "up"}],
            )

    client = client_for(bj_official)
    make(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/proposals/").status_code == 200
    make(18)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/proposals/").status_code == 200
    assert len(many) == len(few) <= 14


def test_the_dashboard_to_do_lists_proposals_for_the_leader_not_the_author(
    proposal, client_for, bj_official, tj_official
):
    leader = client_for(bj_official).get("/").content.decode()
    author = client_for(tj_official).get("/").content.decode()
    assert f"/proposals/{proposal.pk}/" in leader
    assert f'href="/proposals/{proposal.pk}/"' not in author


# --- the conflict page: a three-way merge, so a resubmit undoes nobody's field ---------------------


class _FormValues(HTMLParser):
    """What a browser would post from the page's (last) POST form: inputs, textareas, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("method") == "post":
            self.values, self.radios = {}, {}
        elif tag == "input" and a.get("name") and a["name"] != "csrfmiddlewaretoken":
            if a.get("type") == "radio":
                self.radios.setdefault(a["name"], []).append(a.get("value", ""))
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "")
            elif a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
            self.values.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(response) -> _FormValues:
    parser = _FormValues()
    parser.feed(response.content.decode())
    # Django renders a textarea's value after a newline it drops again when reading the POST.
    parser.values = {key: value.removeprefix("\n") for key, value in parser.values.items()}
    return parser


def test_a_resubmit_from_the_conflict_page_keeps_the_other_persons_field(
    chain_map, client_for, bj_official, joint_office
):
    alice, bob = client_for(joint_office), client_for(bj_official)
    opened_by_alice = form_values(alice.get("/nodes/H2-UP-01/edit/")).values
    opened_by_bob = form_values(bob.get("/nodes/H2-UP-01/edit/")).values
    assert opened_by_alice["version"] == opened_by_bob["version"] == "1"

    # A changes the description (field X) and saves first.
    saved = alice.post(
        "/nodes/H2-UP-01/edit/", {**opened_by_alice, "description": "碱性与PEM电解", "reason": "补充说明"}
    )
    assert saved.status_code == 302
    # B changes the name (field Y) on the form still holding the old description.
    conflict = bob.post("/nodes/H2-UP-01/edit/", {**opened_by_bob, "name": "电解水制氢", "reason": "北京口径"})
    assert conflict.status_code == 409
    page = form_values(conflict)
    assert page.values["version"] == "2"
    assert page.values["name"] == "电解水制氢"  # B's change, kept
    assert page.values["description"] == "碱性与PEM电解"  # A's change, no longer B's stale copy
    assert page.radios == {}  # nothing was changed by both

    # B resubmits the conflict page exactly as shown.
    resubmitted = bob.post("/nodes/H2-UP-01/edit/", page.values)
    assert resubmitted.status_code == 302
    chain_map.up.refresh_from_db()
    assert (chain_map.up.description, chain_map.up.name, chain_map.up.version) == ("碱性与PEM电解", "电解水制氢", 3)
    assert chain_map.up.history.first().history_change_reason == "北京口径"


def test_a_field_both_changed_differently_must_be_resolved_on_the_conflict_page(
    chain_map, client_for, bj_official, joint_office
):
    alice, bob = client_for(joint_office), client_for(bj_official)
    opened_by_bob = form_values(bob.get("/nodes/H2-UP-01/edit/")).values
    opened_by_alice = form_values(alice.get("/nodes/H2-UP-01/edit/")).values
    alice.post("/nodes/H2-UP-01/edit/", {**opened_by_alice, "name": "绿氢制备", "reason": "联合办统一口径"})
    conflict = bob.post(
        "/nodes/H2-UP-01/edit/",
        {**opened_by_bob, "name": "电解水制氢", "key_technologies": "PEM电解槽", "reason": "北京口径"},
    )
    assert conflict.status_code == 409
    page = form_values(conflict)
    assert page.radios == {"resolve_name": ["theirs", "mine"]}
    assert "resolve_name" not in page.values  # no answer chosen for B
    assert page.values["key_technologies"] == "PEM电解槽"
    body = conflict.content.decode()
    assert "绿氢制备" in body and "电解水制氢" in body

    # Resubmitting without choosing writes nothing.
    unresolved = bob.post("/nodes/H2-UP-01/edit/", page.values)
    assert unresolved.status_code == 400
    assert "resolve_name" in unresolved.context["form"].errors
    chain_map.up.refresh_from_db()
    assert (chain_map.up.name, chain_map.up.key_technologies, chain_map.up.version) == ("绿氢制备", "", 2)

    # Keeping the other person's name still saves B's own other change.
    kept = bob.post("/nodes/H2-UP-01/edit/", {**form_values(unresolved).values, "resolve_name": "theirs"})
    assert kept.status_code == 302
    chain_map.up.refresh_from_db()
    assert (chain_map.up.name, chain_map.up.key_technologies, chain_map.up.version) == ("绿氢制备", "PEM电解槽", 3)


def test_choosing_my_value_for_a_field_both_changed_saves_it(chain_map, client_for, bj_official, joint_office):
    alice, bob = client_for(joint_office), client_for(bj_official)
    opened = form_values(bob.get("/nodes/H2-UP-01/edit/")).values
    alice.post("/nodes/H2-UP-01/edit/", {**opened, "segment": "mid", "reason": "联合办调整环节"})
    conflict = bob.post("/nodes/H2-UP-01/edit/", {**opened, "segment": "down", "reason": "北京口径"})
    page = form_values(conflict)
    assert page.radios == {"resolve_segment": ["theirs", "mine"]}
    assert page.values["segment"] == "down"
    assert bob.post("/nodes/H2-UP-01/edit/", {**page.values, "resolve_segment": "mine"}).status_code == 302
    chain_map.up.refresh_from_db()
    assert (chain_map.up.segment, chain_map.up.version) == ("down", 3)


def test_a_stale_resubmit_after_a_third_save_is_merged_again(
    chain_map, client_for, bj_official, joint_office, tj_official
):
    alice, bob = client_for(joint_office), client_for(bj_official)
    opened = form_values(bob.get("/nodes/H2-UP-01/edit/")).values
    alice.post("/nodes/H2-UP-01/edit/", {**opened, "description": "甲", "reason": "一"})
    page = form_values(bob.post("/nodes/H2-UP-01/edit/", {**opened, "name": "电解水制氢", "reason": "二"}))
    # Someone else saves once more while B looks at the conflict page.
    alice.post("/nodes/H2-UP-01/edit/", {**page.values, "name": "制氢", "key_technologies": "乙", "reason": "三"})
    again = bob.post("/nodes/H2-UP-01/edit/", page.values)
    assert again.status_code == 409
    final = form_values(again)
    assert (final.values["version"], final.values["key_technologies"], final.values["name"]) == (
        "3",
        "乙",
        "电解水制氢",
    )
    assert bob.post("/nodes/H2-UP-01/edit/", final.values).status_code == 302
    chain_map.up.refresh_from_db()
    assert (chain_map.up.name, chain_map.up.description, chain_map.up.key_technologies) == ("电解水制氢", "甲", "乙")
