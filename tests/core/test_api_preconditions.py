"""ETag / If-Match on offers, needs, leadership terms, calendar entries, subscriptions, challenges, joint
projects and milestones: the ETag on a read, 428 without If-Match, 412 when stale, 200 with the new ETag
when it matches; a change to a child moves its parent's ETag; the check holds for concurrent writers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from chainmap import models as m
from chainmap.core.exceptions import ConflictError
from chainmap.enterprises.services import profiles
from chainmap.leadership.services import calendar as terms
from chainmap.matching.services import rounds
from chainmap.reports.services import subscriptions
from projects.challenges import services as challenges
from projects.joint import services as joint
from tests import factories as f


@dataclass(frozen=True)
class Case:
    name: str
    editor: str  # persona fixture allowed to change it
    obj: Callable[[Any], Any]
    url: Callable[[Any], str]
    body: Callable[[Any], dict[str, Any]]
    changed: Callable[[Any], Any]  # the field the body changes, as stored


def _entry(world: Any) -> m.CalendarEntry:
    entry = m.CalendarEntry.objects.filter(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2030, 1, 1)).first()
    if entry is None:
        other = f.ChainFactory(slug="battery", code="BAT", name="电池")
        entry = m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2030, 1, 1), chain=other)
    return entry


def _offer(world: Any) -> m.SupplyOffer:
    return world.profile.offers.get()


def _need(world: Any) -> m.TechnologyNeed:
    return world.profile.needs.get()


def _later(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


CASES = [
    Case(
        "offer",
        "enterprise_member",
        _offer,
        lambda w: f"/api/offers/{_offer(w).pk}/",
        lambda w: {"title": "新的供给"},
        lambda o: o.title,
    ),
    Case(
        "need",
        "enterprise_member",
        _need,
        lambda w: f"/api/needs/{_need(w).pk}/",
        lambda w: {"title": "新的需求"},
        lambda o: o.title,
    ),
    Case(
        "term",
        "joint_office",
        lambda w: w.term,
        lambda w: f"/api/leadership-terms/{w.term.pk}/",
        lambda w: {"ends_on": _later(120), "reason": "延长任期"},
        lambda o: o.ends_on,
    ),
    Case(
        "calendar entry",
        "joint_office",
        _entry,
        lambda w: f"/api/calendar-entries/{_entry(w).pk}/",
        lambda w: {"subject": w.chain.slug},
        lambda o: o.chain_id,
    ),
    Case(
        "subscription",
        "subscriber",
        lambda w: w.subscription,
        lambda w: f"/api/subscriptions/{w.subscription.pk}/",
        lambda w: {"is_active": False},
        lambda o: o.is_active,
    ),
    Case(
        "challenge",
        "joint_office",
        lambda w: w.challenge,
        lambda w: f"/api/challenges/{w.challenge.code}/",
        lambda w: {"title": "新的榜单"},
        lambda o: o.title,
    ),
    Case(
        "project",
        "joint_office",
        lambda w: w.project,
        lambda w: f"/api/projects/{w.project.code}/",
        lambda w: {"title": "新的项目名"},
        lambda o: o.title,
    ),
    Case(
        "milestone",
        "joint_office",
        lambda w: w.milestone,
        lambda w: f"/api/milestones/{w.milestone.pk}/",
        lambda w: {"progress": 40},
        lambda o: o.progress,
    ),
]
IDS = [case.name for case in CASES]


def _tag(obj: Any, field: str = "version") -> str:
    obj.refresh_from_db()
    return f'"{obj.pk}-{getattr(obj, field)}"'


@pytest.fixture
def as_editor(api_for, request):
    return lambda case: api_for(request.getfixturevalue(case.editor))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_detail_carries_the_etag(case, world, as_editor) -> None:
    obj = case.obj(world)
    response = as_editor(case).get(case.url(world))
    assert response.status_code == 200
    assert response["ETag"] == f'"{obj.pk}-1"'


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_write_without_if_match_is_428_and_changes_nothing(case, method, world, as_editor) -> None:
    obj = case.obj(world)
    before = case.changed(obj)
    response = getattr(as_editor(case), method)(case.url(world), case.body(world), format="json")
    assert response.status_code == 428, response.content
    assert response.json()["error"]["code"] == "precondition_required"
    obj.refresh_from_db()
    assert (case.changed(obj), obj.version) == (before, 1)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_stale_if_match_is_412_and_changes_nothing(case, world, as_editor) -> None:
    obj = case.obj(world)
    before = case.changed(obj)
    client = as_editor(case)
    current = client.get(case.url(world))["ETag"]
    response = client.patch(case.url(world), case.body(world), format="json", HTTP_IF_MATCH=f'"{obj.pk}-7"')
    assert response.status_code == 412, response.content
    assert response.json()["error"]["code"] in ("conflict", "precondition_failed")
    obj.refresh_from_db()
    assert case.changed(obj) == before
    assert client.get(case.url(world))["ETag"] == current


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_another_objects_etag_is_412(case, world, as_editor) -> None:
    obj = case.obj(world)
    response = as_editor(case).patch(
        case.url(world), case.body(world), format="json", HTTP_IF_MATCH=f'"{obj.pk + 1000}-1"'
    )
    assert response.status_code == 412


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_matching_if_match_writes_and_answers_the_new_etag(case, world, as_editor) -> None:
    obj = case.obj(world)
    before = case.changed(obj)
    client = as_editor(case)
    response = client.patch(
        case.url(world), case.body(world), format="json", HTTP_IF_MATCH=client.get(case.url(world))["ETag"]
    )
    assert response.status_code == 200, response.content
    obj.refresh_from_db()
    assert case.changed(obj) != before
    assert obj.version == 2
    assert response["ETag"] == f'"{obj.pk}-2"' == client.get(case.url(world))["ETag"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_second_writer_with_the_same_etag_gets_412(case, world, as_editor) -> None:
    client = as_editor(case)
    read = client.get(case.url(world))["ETag"]
    assert client.patch(case.url(world), case.body(world), format="json", HTTP_IF_MATCH=read).status_code == 200
    response = client.patch(case.url(world), case.body(world), format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 412
    assert response.json()["error"]["current_version"] == 2


def test_a_partial_calendar_patch_keeps_the_subject(world, api_for, joint_office) -> None:
    entry = _entry(world)
    client = api_for(joint_office)
    url = f"/api/calendar-entries/{entry.pk}/"
    response = client.patch(url, {}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert (entry.chain.slug, entry.version) == ("battery", 1)


def test_a_put_on_a_calendar_entry_still_needs_the_subject(world, api_for, joint_office) -> None:
    entry = _entry(world)
    client = api_for(joint_office)
    url = f"/api/calendar-entries/{entry.pk}/"
    response = client.put(url, {}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 400
    assert "subject" in response.json()["error"]["fields"]


# --- a child's change moves its parent's ETag ----------------------------------------------------


def _profile_etag(client, world) -> str:
    return client.get(f"/api/profiles/{world.profile.pk}/")["ETag"]


@pytest.mark.parametrize("kind", ["offers", "needs"])
def test_adding_changing_and_deleting_an_item_moves_the_profiles_etag(kind, world, api_for, enterprise_member) -> None:
    client = api_for(enterprise_member)
    tags = [_profile_etag(client, world)]
    created = client.post(
        f"/api/{kind}/", {"profile": world.profile.pk, "node": world.node.code, "title": "新条目"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created["ETag"] == f'"{created.json()["id"]}-1"'
    tags.append(_profile_etag(client, world))
    url = f"/api/{kind}/{created.json()['id']}/"
    changed = client.patch(url, {"title": "改过"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert changed.status_code == 200, changed.content
    tags.append(_profile_etag(client, world))
    assert client.delete(url, HTTP_IF_MATCH=changed["ETag"]).status_code == 204
    tags.append(_profile_etag(client, world))
    assert len(set(tags)) == 4
    world.profile.refresh_from_db()
    assert tags[-1] == f'"{world.profile.pk}-{world.profile.edit_version}"'


def test_a_profile_patch_with_the_etag_read_before_an_item_change_is_412(world, api_for, enterprise_member) -> None:
    client = api_for(enterprise_member)
    read = _profile_etag(client, world)
    offer = _offer(world)
    url = f"/api/offers/{offer.pk}/"
    assert client.patch(url, {"title": "先改"}, format="json", HTTP_IF_MATCH=_tag(offer)).status_code == 200
    response = client.patch(f"/api/profiles/{world.profile.pk}/", {"products": "x"}, format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 412


def test_deleting_an_item_with_a_stale_etag_is_412_and_keeps_it(world, api_for, enterprise_member) -> None:
    offer = _offer(world)
    response = api_for(enterprise_member).delete(f"/api/offers/{offer.pk}/", HTTP_IF_MATCH=f'"{offer.pk}-9"')
    assert response.status_code == 412
    assert m.SupplyOffer.objects.filter(pk=offer.pk).exists()


def _project_etag(client, world) -> str:
    return client.get(f"/api/projects/{world.project.code}/")["ETag"]


def test_adding_changing_and_deleting_a_milestone_moves_the_projects_etag(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    tags = [_project_etag(client, world)]
    created = client.post(
        "/api/milestones/",
        {"project": world.project.code, "title": "中试", "due_on": _later(30)},
        format="json",
    )
    assert created.status_code == 201, created.content
    tags.append(_project_etag(client, world))
    url = f"/api/milestones/{created.json()['id']}/"
    changed = client.patch(url, {"progress": 10}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert changed.status_code == 200, changed.content
    tags.append(_project_etag(client, world))
    assert client.delete(url, HTTP_IF_MATCH=changed["ETag"]).status_code == 204
    tags.append(_project_etag(client, world))
    assert len(set(tags)) == 4
    world.project.refresh_from_db()
    assert tags[-1] == f'"{world.project.pk}-{world.project.version}"' == f'"{world.project.pk}-4"'


def test_a_project_patch_with_the_etag_read_before_a_milestone_change_is_412(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    read = _project_etag(client, world)
    url = f"/api/milestones/{world.milestone.pk}/"
    assert client.patch(url, {"progress": 20}, format="json", HTTP_IF_MATCH=_tag(world.milestone)).status_code == 200
    response = client.patch(f"/api/projects/{world.project.code}/", {"title": "x"}, format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 412


def test_a_status_change_moves_the_projects_etag(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    read = _project_etag(client, world)
    moved = client.post(f"/api/projects/{world.project.code}/set-status/", {"status": "in_progress"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved["ETag"] != read == f'"{world.project.pk}-1"'
    response = client.patch(f"/api/projects/{world.project.code}/", {"title": "x"}, format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 412


def test_closing_a_challenge_moves_its_etag(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    url = f"/api/challenges/{world.challenge.code}/"
    read = client.get(url)["ETag"]
    closed = client.post(f"{url}start-review/")
    assert closed.status_code == 200, closed.content
    assert closed["ETag"] == f'"{world.challenge.pk}-2"' != read


def test_moving_a_term_moves_its_neighbours_etag(world, api_for, joint_office) -> None:
    following = f.TermFactory(
        chain=world.chain,
        region=m.Region.objects.get(code="TJ"),
        starts_on=world.term.ends_on + dt.timedelta(days=1),
        ends_on=world.term.ends_on + dt.timedelta(days=365),
    )
    client = api_for(joint_office)
    neighbour = f"/api/leadership-terms/{following.pk}/"
    read = client.get(neighbour)["ETag"]
    url = f"/api/leadership-terms/{world.term.pk}/"
    response = client.patch(
        url, {"ends_on": _later(60), "reason": "提前交接"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
    )
    assert response.status_code == 200, response.content
    assert client.get(neighbour)["ETag"] == f'"{following.pk}-2"' != read
    stale = client.patch(neighbour, {"ends_on": _later(400), "reason": "r"}, format="json", HTTP_IF_MATCH=read)
    assert stale.status_code == 412


def test_deleting_a_subscription_with_a_stale_etag_is_412(world, api_for, subscriber) -> None:
    url = f"/api/subscriptions/{world.subscription.pk}/"
    response = api_for(subscriber).delete(url, HTTP_IF_MATCH=f'"{world.subscription.pk}-5"')
    assert response.status_code == 412
    assert m.Subscription.objects.filter(pk=world.subscription.pk).exists()


def test_the_pages_save_without_a_version(world, joint_office) -> None:
    """Page forms name the values they want and pass no version: the services still bump it."""
    milestone = joint.milestone_update(user=joint_office, milestone_id=world.milestone.pk, changes={"progress": 5})
    assert milestone.version == 2
    world.project.refresh_from_db()
    assert world.project.version == 2
    entry = rounds.calendar_entry_set(
        kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2030, 1, 1), subject_id=world.chain.pk, user=joint_office
    )
    assert entry.version == 1  # a new entry
    other = f.ChainFactory(slug="wind", code="WIND", name="风电")
    entry = rounds.calendar_entry_set(
        kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2030, 1, 1), subject_id=other.pk, user=joint_office
    )
    assert entry.version == 2


# --- the schema ----------------------------------------------------------------------------------


SCHEMA_PATHS = [
    ("/api/offers/{id}/", "patch"),
    ("/api/needs/{id}/", "put"),
    ("/api/leadership-terms/{id}/", "patch"),
    ("/api/calendar-entries/{id}/", "patch"),
    ("/api/subscriptions/{id}/", "put"),
    ("/api/challenges/{code}/", "patch"),
    ("/api/projects/{code}/", "patch"),
    ("/api/milestones/{id}/", "patch"),
]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(("path", "method"), SCHEMA_PATHS)
def test_the_schema_documents_if_match_and_the_etag(spec, path, method) -> None:
    item = spec["paths"][path]
    write = item[method]
    if_match = [p for p in write.get("parameters", []) if p["in"] == "header" and p["name"] == "If-Match"]
    assert if_match and if_match[0]["required"] is True
    assert {"412", "428"} <= set(write["responses"])
    assert "ETag" in write["responses"]["200"]["headers"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]


@pytest.mark.parametrize("path", ["/api/offers/{id}/", "/api/subscriptions/{id}/", "/api/milestones/{id}/"])
def test_the_schema_documents_an_optional_if_match_on_delete(spec, path) -> None:
    delete = spec["paths"][path]["delete"]
    if_match = [p for p in delete.get("parameters", []) if p["in"] == "header" and p["name"] == "If-Match"]
    assert if_match and not if_match[0].get("required", False)
    assert "412" in delete["responses"]


# --- two concurrent writers with the same version: exactly one wins ------------------------------


def _racing_writes(first: Callable[[], Any], second: Callable[[], Any]) -> list[str]:
    """Run ``first`` in a transaction held open until ``second`` (another connection, same expected
    version) had time to read and wait on the lock; then commit. Returns each writer's outcome."""
    outcomes: list[str] = ["", ""]
    first_wrote = threading.Event()
    release = threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_wrote.set()
                release.wait(5)
            outcomes[0] = "ok"
        finally:
            connection.close()

    def run_second() -> None:
        try:
            first_wrote.wait(5)
            second()
            outcomes[1] = "ok"
        except ConflictError:
            outcomes[1] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    first_wrote.wait(5)
    time.sleep(0.5)  # the second writer is now blocked on the row lock
    release.set()
    for thread in threads:
        thread.join(10)
    return outcomes


def _term_move(world: Any, user: Any, days: int) -> Callable[[], Any]:
    return lambda: terms.term_update(
        term_id=world.term.pk,
        user=user,
        reason="并发",
        ends_on=world.term.ends_on + dt.timedelta(days=days),
        expected_version=1,
    )


RACES: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "offer": lambda w, u: profiles.offer_save(
        profile_id=w.profile.pk,
        user=u["enterprise_member"],
        node_id=w.node.pk,
        title="并发",
        offer_id=_offer(w).pk,
        expected_version=1,
    ),
    "subscription": lambda w, u: subscriptions.subscription_update(
        subscription_id=w.subscription.pk, user=u["subscriber"], changes={"is_active": False}, expected_version=1
    ),
    "challenge": lambda w, u: challenges.challenge_update(
        challenge_id=w.challenge.pk, user=u["joint_office"], changes={"title": "并发"}, expected_version=1
    ),
    "project": lambda w, u: joint.project_update(
        user=u["joint_office"], project_id=w.project.pk, changes={"title": "并发"}, expected_version=1
    ),
    "milestone": lambda w, u: joint.milestone_update(
        user=u["joint_office"], milestone_id=w.milestone.pk, changes={"progress": 30}, expected_version=1
    ),
    "calendar entry": lambda w, u: rounds.calendar_entry_set(
        kind=m.RoundKind.CHAIN_MONTH,
        period=dt.date(2030, 1, 1),
        subject_id=w.chain.pk,
        user=u["joint_office"],
        expected_version=1,
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", [*RACES, "term"])
def test_two_concurrent_writers_of_one_version_never_both_win(
    name, world, joint_office, enterprise_member, subscriber
) -> None:
    assert connection.vendor == "postgresql", "row locks need PostgreSQL: set DATABASE_URL=postgres://..."
    users = {"joint_office": joint_office, "enterprise_member": enterprise_member, "subscriber": subscriber}
    if name == "term":  # each writer moves the end somewhere else: a real change each
        first, second = _term_move(world, joint_office, 30), _term_move(world, joint_office, 31)
    else:
        if name == "calendar entry":
            _entry(world)
        first = second = lambda: RACES[name](world, users)
    assert _racing_writes(first, second) == ["ok", "conflict"]
