"""Matching rounds: lifecycle, claims, follow-up, calendars, conversion, pages and their permissions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chainmap import models as m
from chainmap.matching import tasks as tasks_rounds
from chainmap.matching.selectors import conversion_summary
from chainmap.matching.services import matches as matching
from chainmap.matching.services import rounds, text
from tests import factories as f

NOV = dt.date(2026, 11, 1)
PERSONAS = ("joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber", None)
OFFICIALS = ("joint_office", "bj_official", "tj_official", "he_official")


def persona(request, name):
    return None if name is None else request.getfixturevalue(name)


def field_of(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.message_dict)


@pytest.fixture
def chain(regions):
    return f.ChainFactory(code="H2", slug="hydrogen", name="氢能")


@pytest.fixture
def market(chain):
    """One bottleneck (raised by Hebei) and one need (a Hebei enterprise's) with candidates from BJ and TJ."""
    pem = f.NodeFactory(chain=chain, code="H2-UP-01", name="质子交换膜")
    plate = f.NodeFactory(chain=chain, code="H2-UP-02", name="双极板")
    profiles = {}
    for name, region, node, products in (
        ("北京氢膜科技", "BJ", pem, "全氟磺酸质子交换膜"),
        ("天津双极板制造", "TJ", plate, "金属双极板 涂层"),
        ("河北氢能装备", "HE", plate, "燃料电池电堆"),
    ):
        enterprise = f.EnterpriseFactory(name=name, region=f.region(region))
        f.PlacementFactory(enterprise=enterprise, node=node)
        profiles[region] = f.ProfileFactory(enterprise=enterprise, products=products, core_technologies=products)
    bottleneck = f.BottleneckFactory(chain=chain, title="质子交换膜国产化", raised_by=f.region("HE"))
    bottleneck.nodes.add(pem)
    need = f.NeedFactory(profile=profiles["HE"], node=plate, title="金属双极板涂层")
    text.tokens_fill_missing()
    return {"profiles": profiles, "bottleneck": bottleneck, "need": need}


@pytest.fixture
def matched_round(chain, market, joint_office):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)
    assert rounds.round_match(round_id=round_.pk, user=joint_office) > 0
    round_.refresh_from_db()
    return round_


def rows(round_) -> list[tuple]:
    return list(
        m.Match.objects.filter(round=round_)
        .order_by("bottleneck", "need", "rank")
        .values_list("bottleneck", "need", "rank", "profile", "offer", "score")
    )


# --- round_ensure ------------------------------------------------------------------------------


def test_round_ensure_creates_the_round_from_the_calendar_once(chain):
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=NOV, chain=chain)
    first = rounds.round_ensure(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 11, 17))
    again = rounds.round_ensure(kind=m.RoundKind.CHAIN_MONTH, period=NOV)
    assert first.pk == again.pk
    assert (first.period, first.chain_id, first.status) == (NOV, chain.pk, m.RoundStatus.PLANNED)
    assert m.MatchingRound.objects.count() == 1


def test_round_ensure_for_a_cluster_uses_the_quarter(regions):
    cluster = f.ClusterFactory()
    m.CalendarEntry.objects.create(kind=m.RoundKind.CLUSTER_QUARTER, period=dt.date(2026, 10, 1), cluster=cluster)
    round_ = rounds.round_ensure(kind=m.RoundKind.CLUSTER_QUARTER, period=dt.date(2026, 12, 5))
    assert (round_.period, round_.cluster_id, round_.chain_id) == (dt.date(2026, 10, 1), cluster.pk, None)


def test_round_ensure_without_a_calendar_entry_names_the_period(chain):
    with pytest.raises(ValidationError) as exc:
        rounds.round_ensure(kind=m.RoundKind.CHAIN_MONTH, period=NOV)
    assert field_of(exc) == {"period"}
    assert not m.MatchingRound.objects.exists()


# --- lifecycle ---------------------------------------------------------------------------------


def test_a_round_goes_through_every_legal_transition(chain, market, bj_official):
    round_ = f.RoundFactory(chain=chain, period=NOV)
    assert rounds.round_open(round_id=round_.pk, user=bj_official).status == m.RoundStatus.OPEN
    assert rounds.round_match(round_id=round_.pk, user=bj_official) > 0
    round_.refresh_from_db()
    assert round_.status == m.RoundStatus.MATCHED and round_.matched_at is not None
    held = rounds.round_hold(round_id=round_.pk, user=bj_official, held_on=timezone.localdate())
    assert (held.status, held.held_on) == (m.RoundStatus.HELD, timezone.localdate())
    closed = rounds.round_close(round_id=round_.pk, user=bj_official)
    assert closed.status == m.RoundStatus.CLOSED and closed.closed_at is not None


def test_matching_a_planned_round_opens_it_on_the_way(chain, market):
    round_ = f.RoundFactory(chain=chain, period=NOV)
    assert rounds.round_match(round_id=round_.pk, user=None) > 0
    round_.refresh_from_db()
    assert round_.status == m.RoundStatus.MATCHED and round_.opened_at is not None


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (m.RoundStatus.OPEN, "open"),
        (m.RoundStatus.MATCHED, "open"),
        (m.RoundStatus.PLANNED, "hold"),
        (m.RoundStatus.OPEN, "hold"),
        (m.RoundStatus.HELD, "hold"),
        (m.RoundStatus.PLANNED, "close"),
        (m.RoundStatus.MATCHED, "close"),
        (m.RoundStatus.CLOSED, "close"),
        (m.RoundStatus.HELD, "match"),
        (m.RoundStatus.CLOSED, "match"),
    ],
)
def test_illegal_transitions_are_refused_naming_status(chain, joint_office, status, action):
    round_ = f.RoundFactory(chain=chain, period=dt.date(2026, 1, 1), status=status)
    calls = {
        "open": lambda: rounds.round_open(round_id=round_.pk, user=joint_office),
        "hold": lambda: rounds.round_hold(round_id=round_.pk, user=joint_office, held_on=timezone.localdate()),
        "close": lambda: rounds.round_close(round_id=round_.pk, user=joint_office),
        "match": lambda: rounds.round_match(round_id=round_.pk, user=joint_office),
    }
    with pytest.raises(ValidationError) as exc:
        calls[action]()
    assert field_of(exc) == {"status"}
    round_.refresh_from_db()
    assert round_.status == status


def test_hold_refuses_a_future_date(matched_round, joint_office):
    with pytest.raises(ValidationError) as exc:
        rounds.round_hold(
            round_id=matched_round.pk, user=joint_office, held_on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert field_of(exc) == {"held_on"}


@pytest.mark.parametrize("name", ["enterprise_member", "subscriber"])
def test_only_officials_move_a_round(request, chain, name):
    round_ = f.RoundFactory(chain=chain, period=NOV)
    with pytest.raises(PermissionDenied):
        rounds.round_open(round_id=round_.pk, user=request.getfixturevalue(name))
    with pytest.raises(PermissionDenied):
        rounds.round_match(round_id=round_.pk, user=request.getfixturevalue(name))
    round_.refresh_from_db()
    assert round_.status == m.RoundStatus.PLANNED


# --- claims and re-matching --------------------------------------------------------------------


def test_a_second_matcher_gets_nothing_while_the_round_is_claimed(chain, market, joint_office):
    claimed_at = timezone.now()
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN, matching_since=claimed_at)
    assert rounds.round_match(round_id=round_.pk, user=joint_office) is None
    assert tasks_rounds.match_round(round_.pk) is None
    assert not m.Match.objects.filter(round=round_).exists()
    round_.refresh_from_db()
    assert (round_.status, round_.matching_since) == (m.RoundStatus.OPEN, claimed_at)


def test_a_matcher_that_loses_the_claim_race_gets_nothing(chain, market, joint_office, monkeypatch):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)

    def other_worker_claims_first(*, round_id):
        # Between the check and the claim, another worker takes the round.
        m.MatchingRound.objects.filter(pk=round_id).update(matching_since=timezone.now())
        return matching.matching_run(round_id=round_id)

    monkeypatch.setattr(rounds, "matching_run", other_worker_claims_first)
    assert rounds.round_match(round_id=round_.pk, user=joint_office) is None
    assert not m.Match.objects.filter(round=round_).exists()


def test_rematching_without_outcomes_replaces_the_matches_identically(matched_round, joint_office):
    first = rows(matched_round)
    assert rounds.round_match(round_id=matched_round.pk, user=joint_office) == len(first)
    assert rows(matched_round) == first


def test_rematching_is_refused_once_an_outcome_is_recorded(matched_round, joint_office):
    match = m.Match.objects.filter(round=matched_round).first()
    rounds.match_record_outcome(match_id=match.pk, user=joint_office, outcome=m.Outcome.CONTACTED)
    before = rows(matched_round)
    with pytest.raises(ValidationError) as exc:
        rounds.round_match(round_id=matched_round.pk, user=joint_office)
    assert field_of(exc) == {"status"}
    assert "跟进" in " ".join(exc.value.messages)
    assert rows(matched_round) == before
    # The scheduled task is refused the same way, without failing.
    assert tasks_rounds.match_round(matched_round.pk) is None


def test_the_task_matches_an_open_round(chain, market):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)
    assert tasks_rounds.match_round.delay(round_id=round_.pk).get() > 0
    assert m.MatchingRound.objects.get(pk=round_.pk).status == m.RoundStatus.MATCHED


# --- follow-up ---------------------------------------------------------------------------------


def test_recording_an_outcome_stores_who_and_when(matched_round, tj_official):
    match = m.Match.objects.filter(round=matched_round).first()
    rounds.match_record_outcome(match_id=match.pk, user=tj_official, outcome=m.Outcome.MET, note=" 对接会上洽谈 ")
    match.refresh_from_db()
    assert (match.outcome, match.outcome_note, match.outcome_by) == (m.Outcome.MET, "对接会上洽谈", tj_official)
    assert match.outcome_at is not None
    rounds.match_record_outcome(match_id=match.pk, user=tj_official, outcome="")
    match.refresh_from_db()
    assert (match.outcome, match.outcome_by, match.outcome_at) == ("", None, None)


def test_a_bad_outcome_or_note_names_the_field(matched_round, joint_office):
    match = m.Match.objects.filter(round=matched_round).first()
    with pytest.raises(ValidationError) as exc:
        rounds.match_record_outcome(match_id=match.pk, user=joint_office, outcome="married")
    assert field_of(exc) == {"outcome"}
    with pytest.raises(ValidationError) as exc:
        rounds.match_record_outcome(match_id=match.pk, user=joint_office, outcome="met", note="长" * 1001)
    assert field_of(exc) == {"note"}
    match.refresh_from_db()
    assert match.outcome == ""


def test_outcomes_are_for_officials_and_open_rounds(matched_round, subscriber, joint_office):
    match = m.Match.objects.filter(round=matched_round).first()
    with pytest.raises(PermissionDenied):
        rounds.match_record_outcome(match_id=match.pk, user=subscriber, outcome=m.Outcome.SIGNED)
    m.MatchingRound.objects.filter(pk=matched_round.pk).update(status=m.RoundStatus.CLOSED)
    with pytest.raises(ValidationError) as exc:
        rounds.match_record_outcome(match_id=match.pk, user=joint_office, outcome=m.Outcome.SIGNED)
    assert field_of(exc) == {"status"}


# --- calendars ---------------------------------------------------------------------------------


def test_the_joint_office_sets_a_month_and_its_planned_round_follows(chain, joint_office):
    other = f.ChainFactory()
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=NOV, chain=chain)
    round_ = rounds.round_ensure(kind=m.RoundKind.CHAIN_MONTH, period=NOV)
    entry = rounds.calendar_entry_set(
        kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 11, 20), subject_id=other.pk, user=joint_office
    )
    assert (entry.period, entry.chain_id) == (NOV, other.pk)
    round_.refresh_from_db()
    assert round_.chain_id == other.pk


@pytest.mark.parametrize("name", ["bj_official", "enterprise_member", "subscriber"])
def test_only_the_joint_office_edits_calendars(request, chain, name):
    user = request.getfixturevalue(name)
    with pytest.raises(PermissionDenied):
        rounds.calendar_entry_set(kind=m.RoundKind.CHAIN_MONTH, period=NOV, subject_id=chain.pk, user=user)
    with pytest.raises(PermissionDenied):
        rounds.calendar_fill_round_robin(kind=m.RoundKind.CHAIN_MONTH, year=2026, user=user)
    assert not m.CalendarEntry.objects.exists()


def test_a_matched_period_is_locked(matched_round, joint_office):
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=NOV, chain=matched_round.chain)
    other = f.ChainFactory()
    with pytest.raises(ValidationError) as exc:
        rounds.calendar_entry_set(kind=m.RoundKind.CHAIN_MONTH, period=NOV, subject_id=other.pk, user=joint_office)
    assert field_of(exc) == {"period"}
    assert m.CalendarEntry.objects.get(kind=m.RoundKind.CHAIN_MONTH, period=NOV).chain_id == matched_round.chain_id


def test_an_unknown_subject_names_the_field(chain, joint_office):
    cluster = f.ClusterFactory()
    with pytest.raises(ValidationError) as exc:
        rounds.calendar_entry_set(
            kind=m.RoundKind.CHAIN_MONTH, period=NOV, subject_id=cluster.pk + 999, user=joint_office
        )
    assert field_of(exc) == {"subject_id"}


def test_round_robin_fill_resets_unlocked_periods_and_keeps_locked_ones(matched_round, joint_office):
    chains = [matched_round.chain, *(f.ChainFactory(position=i) for i in range(1, 6))]
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=NOV, chain=chains[3])
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 1, 1), chain=chains[4])
    entries = rounds.calendar_fill_round_robin(kind=m.RoundKind.CHAIN_MONTH, year=2026, user=joint_office)
    ordered = list(m.Chain.objects.order_by("position", "code"))
    by_month = {e.period.month: e.chain_id for e in entries}
    assert len(entries) == 12
    assert by_month[1] == ordered[0].pk  # reset to the rotation
    assert by_month[2] == ordered[1].pk
    assert by_month[11] == chains[3].pk  # locked: its round is matched
    with pytest.raises(ValidationError) as exc:
        rounds.calendar_fill_round_robin(kind=m.RoundKind.CHAIN_MONTH, year=1900, user=joint_office)
    assert field_of(exc) == {"year"}


# --- conversion --------------------------------------------------------------------------------


def _match(round_, *, target, enterprise_region, outcome, rank):
    enterprise = f.EnterpriseFactory(region=f.region(enterprise_region))
    profile = f.ProfileFactory(enterprise=enterprise)
    fields = {"bottleneck": target} if isinstance(target, m.Bottleneck) else {"need": target}
    return m.Match.objects.create(
        round=round_, profile=profile, enterprise=enterprise, rank=rank, score=0.5, outcome=outcome, **fields
    )


def test_conversion_per_round_and_per_region_pair(chain, bj_official):
    he_bottleneck = f.BottleneckFactory(chain=chain, raised_by=f.region("HE"))
    tj_need = f.NeedFactory(profile=f.ProfileFactory(enterprise=f.EnterpriseFactory(region=f.region("TJ"))))
    october = f.RoundFactory(chain=chain, period=dt.date(2026, 10, 1), status=m.RoundStatus.HELD)
    november = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.MATCHED)
    f.RoundFactory(chain=chain, period=dt.date(2026, 12, 1), status=m.RoundStatus.MATCHED)  # after today
    f.RoundFactory(chain=chain, period=dt.date(2026, 9, 1), status=m.RoundStatus.OPEN)  # not matched
    out = m.Outcome
    for rank, (region, outcome) in enumerate(
        [("BJ", out.SIGNED), ("BJ", out.MET), ("TJ", out.CONTACTED), ("HE", "")], 1
    ):
        _match(october, target=he_bottleneck, enterprise_region=region, outcome=outcome, rank=rank)
    for rank, (region, outcome) in enumerate([("BJ", out.SIGNED), ("HE", out.NO_CONTACT)], 1):
        _match(november, target=tj_need, enterprise_region=region, outcome=outcome, rank=rank)

    summary = conversion_summary(user=bj_official, today=dt.date(2026, 11, 20))

    assert [r.round.pk for r in summary.rounds] == [november.pk, october.pk]
    oct_funnel = summary.rounds[1].funnel
    assert (oct_funnel.matches, oct_funnel.contacted, oct_funnel.met, oct_funnel.signed) == (4, 3, 2, 1)
    assert oct_funnel.conversion == 25.0
    pairs = {(p.candidate_region, p.target_region): p.funnel for p in summary.pairs}
    assert set(pairs) == {("BJ", "HE"), ("TJ", "HE"), ("HE", "HE"), ("BJ", "TJ"), ("HE", "TJ")}
    assert (pairs[("BJ", "HE")].matches, pairs[("BJ", "HE")].signed, pairs[("BJ", "HE")].conversion) == (2, 1, 50.0)
    assert (pairs[("HE", "TJ")].contacted, pairs[("HE", "TJ")].conversion) == (0, 0.0)
    assert (summary.total.matches, summary.total.signed) == (6, 2)


def test_conversion_is_hidden_from_users_who_may_not_view_rounds(enterprise_member):
    assert conversion_summary(user=enterprise_member, today=NOV) is None


# --- pages: permission matrix ------------------------------------------------------------------

PAGE_STATUS = {
    # persona: (rounds list, round page, calendars)
    "joint_office": (200, 200, 200),
    "bj_official": (200, 200, 200),
    "tj_official": (200, 200, 200),
    "he_official": (200, 200, 200),
    "enterprise_member": (403, 404, 200),
    "subscriber": (200, 200, 200),
    None: (302, 302, 302),
}


@pytest.mark.parametrize("name", PERSONAS)
def test_pages_answer_each_persona(request, client_for, matched_round, name):
    client = client_for(persona(request, name))
    expected = PAGE_STATUS[name]
    assert client.get(reverse("chainmap:round_list")).status_code == expected[0]
    assert client.get(reverse("chainmap:round_detail", args=[matched_round.pk])).status_code == expected[1]
    assert client.get(reverse("chainmap:calendars")).status_code == expected[2]


ACTION_STATUS = {
    "joint_office": 302,
    "bj_official": 302,
    "tj_official": 302,
    "he_official": 302,
    "enterprise_member": 404,
    "subscriber": 403,
    None: 302,
}


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize(
    ("status", "action", "data", "after"),
    [
        (m.RoundStatus.PLANNED, "round_open", {}, m.RoundStatus.OPEN),
        (m.RoundStatus.MATCHED, "round_hold", {"held_on": "2026-01-15"}, m.RoundStatus.HELD),
        (m.RoundStatus.HELD, "round_close", {}, m.RoundStatus.CLOSED),
    ],
)
def test_lifecycle_actions_answer_each_persona(request, client_for, chain, name, status, action, data, after):
    round_ = f.RoundFactory(chain=chain, period=dt.date(2026, 1, 1), status=status)
    response = client_for(persona(request, name)).post(reverse(f"chainmap:{action}", args=[round_.pk]), data)
    assert response.status_code == ACTION_STATUS[name]
    round_.refresh_from_db()
    assert round_.status == (after if name in OFFICIALS else status)
    if name in OFFICIALS:
        assert response["Location"] == reverse("chainmap:round_detail", args=[round_.pk])


@pytest.mark.parametrize("name", PERSONAS)
def test_run_matching_answers_each_persona(
    request, client_for, chain, market, name, django_capture_on_commit_callbacks
):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(persona(request, name)).post(reverse("chainmap:round_match", args=[round_.pk]))
    assert response.status_code == ACTION_STATUS[name]
    assert m.Match.objects.filter(round=round_).exists() == (name in OFFICIALS)


@pytest.mark.parametrize("name", PERSONAS)
def test_recording_an_outcome_answers_each_persona(request, client_for, matched_round, name):
    match = m.Match.objects.filter(round=matched_round).first()
    url = reverse("chainmap:match_outcome", args=[match.pk])
    response = client_for(persona(request, name)).post(url, {"outcome": "signed", "note": "签约"})
    assert response.status_code == ACTION_STATUS[name]
    match.refresh_from_db()
    assert match.outcome == ("signed" if name in OFFICIALS else "")


def test_an_outcome_posted_by_htmx_returns_the_updated_row(client_for, matched_round, he_official):
    match = m.Match.objects.filter(round=matched_round).first()
    url = reverse("chainmap:match_outcome", args=[match.pk])
    response = client_for(he_official).post(url, {"outcome": "met", "note": "已见面"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith(f'<tr id="match-{match.pk}"')
    assert 'value="met" selected' in body and "已见面" in body
    bad = client_for(he_official).post(url, {"outcome": "married"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "outcome" in bad.content.decode()
    match.refresh_from_db()
    assert match.outcome == "met"


CALENDAR_EDIT_STATUS = {
    "joint_office": 302,
    "bj_official": 403,
    "tj_official": 403,
    "he_official": 403,
    "enterprise_member": 403,
    "subscriber": 403,
    None: 302,
}


@pytest.mark.parametrize("name", PERSONAS)
def test_calendar_edits_answer_each_persona(request, client_for, chain, name):
    client = client_for(persona(request, name))
    set_url, fill_url = reverse("chainmap:calendar_entry_set"), reverse("chainmap:calendar_fill")
    response = client.post(set_url, {"kind": "chain_month", "period": "2026-11-01", "subject": chain.pk})
    assert response.status_code == CALENDAR_EDIT_STATUS[name]
    assert client.post(fill_url, {"kind": "cluster_quarter", "year": 2026}).status_code == CALENDAR_EDIT_STATUS[name]
    assert m.CalendarEntry.objects.filter(kind="chain_month", period=NOV).exists() == (name == "joint_office")


def test_a_bad_calendar_edit_is_a_message_not_a_500(client_for, chain, joint_office):
    client = client_for(joint_office)
    response = client.post(
        reverse("chainmap:calendar_entry_set"),
        {"kind": "chain_month", "period": "2026-13-01", "subject": chain.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "period" in response.content.decode()
    assert not m.CalendarEntry.objects.exists()


# --- pages: buttons only for who may use them -------------------------------------------------


@pytest.mark.parametrize("name", ["joint_office", "bj_official", "subscriber"])
def test_the_round_page_shows_only_usable_buttons(request, client_for, chain, name):
    round_ = f.RoundFactory(chain=chain, period=NOV)
    body = client_for(request.getfixturevalue(name)).get(reverse("chainmap:round_detail", args=[round_.pk])).content
    body = body.decode()
    may = name != "subscriber"
    assert (reverse("chainmap:round_open", args=[round_.pk]) in body) == may
    assert (reverse("chainmap:round_match", args=[round_.pk]) in body) == may
    # Not in this status, for anyone.
    assert reverse("chainmap:round_hold", args=[round_.pk]) not in body
    assert reverse("chainmap:round_close", args=[round_.pk]) not in body


@pytest.mark.parametrize("name", ["tj_official", "subscriber"])
def test_matches_show_why_and_outcome_forms_only_for_officials(request, client_for, matched_round, market, name):
    url = reverse("chainmap:round_detail", args=[matched_round.pk])
    body = client_for(request.getfixturevalue(name)).get(url, {"top": 20}).content.decode()
    match = m.Match.objects.get(round=matched_round, bottleneck=market["bottleneck"], rank=1)
    assert market["bottleneck"].title in body and market["need"].title in body
    assert match.enterprise.name in body
    assert "质子交换膜" in body  # a matched term
    assert (reverse("chainmap:match_outcome", args=[match.pk]) in body) == (name == "tj_official")
    assert (reverse("chainmap:round_hold", args=[matched_round.pk]) in body) == (name == "tj_official")
    # Re-matching is offered while there is no follow-up, never after.
    assert (reverse("chainmap:round_match", args=[matched_round.pk]) in body) == (name == "tj_official")


def test_the_round_page_filters_candidates_by_region(client_for, matched_round, market, joint_office):
    url = reverse("chainmap:round_detail", args=[matched_round.pk])
    body = client_for(joint_office).get(url, {"region": "TJ", "top": 20}).content.decode()
    assert market["profiles"]["TJ"].enterprise.name in body
    assert market["profiles"]["BJ"].enterprise.name not in body
    bad = client_for(joint_office).get(url, {"region": "XX"})
    assert bad.status_code == 200 and "form-errors" in bad.content.decode()


def test_no_rematch_button_after_follow_up(client_for, matched_round, joint_office):
    match = m.Match.objects.filter(round=matched_round).first()
    rounds.match_record_outcome(match_id=match.pk, user=joint_office, outcome=m.Outcome.CONTACTED)
    body = client_for(joint_office).get(reverse("chainmap:round_detail", args=[matched_round.pk])).content.decode()
    assert reverse("chainmap:round_match", args=[matched_round.pk]) not in body
    assert reverse("chainmap:round_hold", args=[matched_round.pk]) in body


@pytest.mark.parametrize("name", ["joint_office", "bj_official", "enterprise_member"])
def test_calendars_are_editable_only_by_the_joint_office_and_locked_when_matched(
    request, client_for, matched_round, name
):
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=NOV, chain=matched_round.chain)
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 12, 1), chain=matched_round.chain)
    body = client_for(request.getfixturevalue(name)).get(reverse("chainmap:calendars"), {"year": 2026}).content.decode()
    editable = name == "joint_office"
    assert (reverse("chainmap:calendar_entry_set") in body) == editable
    assert (reverse("chainmap:calendar_fill") in body) == editable
    assert matched_round.chain.name in body
    november_row = body[body.index('id="cal-chain_month-2026-11"') :].split("</tr>")[0]
    assert "<select" not in november_row  # locked for everyone
    december_row = body[body.index('id="cal-chain_month-2026-12"') :].split("</tr>")[0]
    assert ("<select" in december_row) == editable


@pytest.mark.parametrize(
    ("name", "nav", "conversion"),
    [
        ("joint_office", True, True),
        ("he_official", True, True),
        ("subscriber", True, False),
        ("enterprise_member", False, False),
    ],
)
def test_dashboard_nav_and_conversion(request, client_for, matched_round, name, nav, conversion):
    body = client_for(request.getfixturevalue(name)).get(reverse("chainmap:dashboard")).content.decode()
    assert (f'href="{reverse("chainmap:round_list")}"' in body) == nav
    assert ('id="conversion-h"' in body) == conversion


# --- query budgets -----------------------------------------------------------------------------


def _count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def _rounds(chain, n, *, start=0):
    for i in range(start, start + n):
        round_ = f.RoundFactory(
            chain=chain, period=dt.date(2020 + i // 12, i % 12 + 1, 1), status=m.RoundStatus.MATCHED
        )
        bottleneck = f.BottleneckFactory(chain=chain)
        _match(round_, target=bottleneck, enterprise_region="BJ", outcome=m.Outcome.SIGNED, rank=1)


def test_rounds_list_query_budget(client_for, chain, bj_official):
    client = client_for(bj_official)
    url = reverse("chainmap:round_list")
    _rounds(chain, 2)
    few = _count_queries(client, url)
    _rounds(f.ChainFactory(), 18, start=2)
    many = _count_queries(client, url)
    assert few == many
    assert client.get(url).content.decode().count('class="num">100.0%') == 20


def test_round_page_query_budget(client_for, chain, he_official):
    client = client_for(he_official)
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.MATCHED)
    bottleneck = f.BottleneckFactory(chain=chain, raised_by=f.region("HE"))
    need = f.NeedFactory(profile=f.ProfileFactory(enterprise=f.EnterpriseFactory(region=f.region("TJ"))))
    url = reverse("chainmap:round_detail", args=[round_.pk])
    _match(round_, target=bottleneck, enterprise_region="BJ", outcome="", rank=1)
    _match(round_, target=need, enterprise_region="BJ", outcome="", rank=1)
    few = _count_queries(client, url, {"top": 20})
    for rank in range(2, 11):
        _match(round_, target=bottleneck, enterprise_region="TJ", outcome=m.Outcome.MET, rank=rank)
        _match(round_, target=need, enterprise_region="HE", outcome="", rank=rank)
    many = _count_queries(client, url, {"top": 20})
    assert few == many
    assert client.get(url, {"top": 20}).content.decode().count('<tr id="match-') == 20


def test_dashboard_conversion_query_budget(client_for, chain, joint_office):
    client = client_for(joint_office)
    url = reverse("chainmap:dashboard")
    _rounds(chain, 2)
    few = _count_queries(client, url)
    _rounds(f.ChainFactory(), 10, start=2)
    assert _count_queries(client, url) == few


# --- new round from the page -------------------------------------------------------------------

DEC = dt.date(2026, 12, 1)


def test_round_create_follows_the_calendar_and_opens_an_existing_round(chain, bj_official):
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=DEC, chain=chain)
    first, created = rounds.round_create(
        kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2026, 12, 9), subject_id=None, user=bj_official
    )
    again, created_again = rounds.round_create(
        kind=m.RoundKind.CHAIN_MONTH, period=DEC, subject_id=chain.pk, user=bj_official
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk and (first.period, first.chain_id, first.status) == (DEC, chain.pk, "planned")
    assert m.MatchingRound.objects.count() == 1


def test_round_create_fills_an_empty_calendar_like_the_monthly_job(chain, bj_official):
    round_, created = rounds.round_create(kind=m.RoundKind.CHAIN_MONTH, period=DEC, subject_id=None, user=bj_official)
    assert created and round_.chain_id == chain.pk
    assert m.CalendarEntry.objects.filter(kind=m.RoundKind.CHAIN_MONTH, period__year=2026).count() == 12


def test_only_the_joint_office_picks_another_subject_than_the_calendar(chain, bj_official, joint_office):
    other = f.ChainFactory(code="ROB", slug="robots", name="机器人")
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=DEC, chain=chain)
    with pytest.raises(ValidationError) as exc:
        rounds.round_create(kind=m.RoundKind.CHAIN_MONTH, period=DEC, subject_id=other.pk, user=bj_official)
    assert field_of(exc) == {"subject"} and "氢能" in str(exc.value)
    assert not m.MatchingRound.objects.exists()
    round_, created = rounds.round_create(
        kind=m.RoundKind.CHAIN_MONTH, period=DEC, subject_id=other.pk, user=joint_office
    )
    assert created and round_.chain_id == other.pk
    assert m.CalendarEntry.objects.get(kind=m.RoundKind.CHAIN_MONTH, period=DEC).chain_id == other.pk


def test_round_create_never_changes_the_subject_of_a_matched_round(matched_round, joint_office):
    other = f.ChainFactory(code="ROB", slug="robots", name="机器人")
    with pytest.raises(ValidationError) as exc:
        rounds.round_create(kind=m.RoundKind.CHAIN_MONTH, period=NOV, subject_id=other.pk, user=joint_office)
    assert field_of(exc) == {"period"}
    matched_round.refresh_from_db()
    assert matched_round.chain_id != other.pk


@pytest.mark.parametrize("name", PERSONAS)
def test_the_new_round_form_answers_each_persona(request, client_for, chain, name):
    client = client_for(persona(request, name))
    url = reverse("chainmap:round_create")
    response = client.post(url, {"kind": "chain_month", "period": "2026-12", "subject": ""})
    expected = {None: 302, **{official: 302 for official in OFFICIALS}}.get(name, 403)
    assert response.status_code == expected
    assert m.MatchingRound.objects.exists() == (name in OFFICIALS)
    if name in OFFICIALS:
        assert response["Location"] == reverse("chainmap:round_detail", args=[m.MatchingRound.objects.get().pk])
        listing = client.get(reverse("chainmap:round_list")).content.decode()
        assert f'action="{url}"' in listing and 'name="period"' in listing
    elif name == "subscriber":
        assert url not in client.get(reverse("chainmap:round_list")).content.decode()
    if name is None:
        assert "/login" in response["Location"]


def test_creating_an_existing_round_opens_it(client_for, matched_round, he_official):
    response = client_for(he_official).post(
        reverse("chainmap:round_create"), {"kind": "chain_month", "period": "2026-11"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("chainmap:round_detail", args=[matched_round.pk])
    assert m.MatchingRound.objects.count() == 1
    assert "2026-11" in response.content.decode()


def test_a_bad_new_round_is_shown_on_the_form_not_a_500(client_for, chain, bj_official):
    other = f.ChainFactory(code="ROB", slug="robots", name="机器人")
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=DEC, chain=chain)
    client = client_for(bj_official)
    bad_month = client.post(reverse("chainmap:round_create"), {"kind": "chain_month", "period": "2026-13"})
    assert bad_month.status_code == 400 and 'id="round-new"' in bad_month.content.decode()
    not_the_calendars = client.post(
        reverse("chainmap:round_create"), {"kind": "chain_month", "period": "2026-12", "subject": other.pk}
    )
    assert not_the_calendars.status_code == 400 and "氢能" in not_the_calendars.content.decode()
    assert not m.MatchingRound.objects.exists()


def test_the_new_round_form_defaults_to_the_calendars_subject(client_for, regions, bj_official):
    cluster = f.ClusterFactory(name="京津冀生物医药")
    f.ClusterFactory(name="电力装备")
    m.CalendarEntry.objects.create(kind=m.RoundKind.CLUSTER_QUARTER, period=dt.date(2026, 10, 1), cluster=cluster)
    response = client_for(bj_official).get(
        reverse("chainmap:round_create"), {"kind": "cluster_quarter", "period": "2026-11"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<form id="round-new"')
    assert f'<option value="{cluster.pk}" selected>' in body
    assert "<html" not in body and "2026-10" in body


# --- run matching from the page: progress, report, errors --------------------------------------


def test_run_matching_from_the_page_builds_the_report_and_reports_progress(
    client_for, chain, market, joint_office, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)
    client = client_for(joint_office)
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(reverse("chainmap:round_match", args=[round_.pk]))
    assert posted.status_code == 302
    response = client.get(posted["Location"])
    assert response.status_code == 200
    report = m.Report.objects.get(round=round_)
    assert report.status == m.Report.Status.READY and report.built_at is not None
    body = response.content.decode()
    assert 'id="round-progress"' in body and "every 2s" not in body  # done: no polling
    status = client.get(reverse("chainmap:round_status", args=[round_.pk]), HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and "progress-done" in status.content.decode()


def test_the_status_fragment_polls_while_matching_and_reloads_the_page_when_done(client_for, chain, joint_office):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)
    url = reverse("chainmap:round_status", args=[round_.pk])
    client = client_for(joint_office)
    m.MatchingRound.objects.filter(pk=round_.pk).update(matching_since=timezone.now())
    running = client.get(url, {"polling": "1"}, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in running.content.decode() and "HX-Refresh" not in running
    assert 'hx-trigger="every 2s"' in client.get(reverse("chainmap:round_detail", args=[round_.pk])).content.decode()
    m.MatchingRound.objects.filter(pk=round_.pk).update(matching_since=None)
    rounds.round_job_set(round_id=round_.pk, state=rounds.JOB_FAILED, error="整条链没有候选")
    finished = client.get(url, {"polling": "1"}, HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"
    assert "every 2s" not in finished.content.decode() and "整条链没有候选" in finished.content.decode()


@pytest.mark.parametrize(("name", "expected"), [("subscriber", 200), ("enterprise_member", 404), (None, 302)])
def test_the_status_fragment_answers_each_persona(request, client_for, chain, name, expected):
    round_ = f.RoundFactory(chain=chain, period=NOV)
    response = client_for(persona(request, name)).get(reverse("chainmap:round_status", args=[round_.pk]))
    assert response.status_code == expected


def test_a_matching_job_that_crashes_is_a_message_not_a_500(client_for, chain, market, joint_office, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("jieba dictionary unreadable")

    monkeypatch.setattr(rounds, "matching_run", crash)
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.OPEN)
    client = client_for(joint_office)
    # The test's transaction would hold the job back: run it where the request runs it.
    monkeypatch.setattr(rounds.transaction, "on_commit", lambda callback, **kwargs: callback())
    posted = client.post(reverse("chainmap:round_match", args=[round_.pk]))
    assert posted.status_code == 302
    response = client.get(posted["Location"])
    body = response.content.decode()
    assert "jieba dictionary unreadable" in body and "progress-failed" in body
    round_.refresh_from_db()
    assert round_.matching_since is None and not m.Match.objects.filter(round=round_).exists()


def test_a_refused_match_job_reports_why(chain, matched_round, joint_office):
    match = m.Match.objects.filter(round=matched_round).first()
    rounds.match_record_outcome(match_id=match.pk, user=joint_office, outcome=m.Outcome.MET)
    assert tasks_rounds.match_round(matched_round.pk) is None
    job = rounds.round_job_get(round_id=matched_round.pk)
    assert job is not None and job.state == rounds.JOB_FAILED and job.error


# --- round page: targets paginated, outcome edits keep the page --------------------------------


def _targets(round_, n, *, ranks=1, region="BJ"):
    """``n`` bottlenecks of the round's chain with ``ranks`` candidates each (three enterprises reused)."""
    enterprises = [f.EnterpriseFactory(region=f.region(region)) for _ in range(3)]
    profiles = [f.ProfileFactory(enterprise=e) for e in enterprises]
    rows = []
    for _ in range(n):
        bottleneck = f.BottleneckFactory(chain=round_.chain, raised_by=f.region("HE"))
        for rank in range(1, ranks + 1):
            i = rank % 3
            rows.append(
                m.Match(
                    round=round_,
                    bottleneck=bottleneck,
                    profile=profiles[i],
                    enterprise=enterprises[i],
                    rank=rank,
                    score=1 - rank / 100,
                    components={"text": 0.5},
                )
            )
    m.Match.objects.bulk_create(rows)


def test_the_round_page_shows_ten_targets_a_page(client_for, chain, joint_office):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.MATCHED)
    _targets(round_, 25, ranks=2)
    url = reverse("chainmap:round_detail", args=[round_.pk])
    client = client_for(joint_office)
    first = client.get(url).content.decode()
    assert first.count('<details class="card match-group"') == 10 and "?page=2" in first
    assert client.get(url, {"page": 2}).content.decode().count('<details class="card match-group"') == 10
    third = client.get(url, {"page": 3}).content.decode()
    assert third.count('<details class="card match-group"') == 5
    assert client.get(url, {"page": 99}).content.decode().count('<details class="card match-group"') == 5


def test_round_page_query_budget_ten_matches_or_hundreds(client_for, chain, joint_office):
    client = client_for(joint_office)
    small = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.MATCHED)
    large = f.RoundFactory(chain=chain, period=DEC, status=m.RoundStatus.MATCHED)
    _targets(small, 1, ranks=10)
    _targets(large, 60, ranks=10)  # 600 matches over six pages
    few = _count_queries(client, reverse("chainmap:round_detail", args=[small.pk]), {"top": 20})
    many = _count_queries(client, reverse("chainmap:round_detail", args=[large.pk]), {"top": 20, "page": 2})
    assert few == many
    body = client.get(reverse("chainmap:round_detail", args=[large.pk]), {"top": 20}).content.decode()
    assert body.count('<tr id="match-') == 100  # ten targets of ten candidates


def test_an_outcome_saved_without_htmx_returns_to_the_same_page(client_for, chain, joint_office):
    round_ = f.RoundFactory(chain=chain, period=NOV, status=m.RoundStatus.MATCHED)
    _targets(round_, 21)
    match = m.Match.objects.filter(round=round_).order_by("-bottleneck__code").first()
    client = client_for(joint_office)
    page = client.get(reverse("chainmap:round_detail", args=[round_.pk]), {"page": 2}).content.decode()
    assert 'name="back" value="page=2"' in page
    response = client.post(
        reverse("chainmap:match_outcome", args=[match.pk]),
        {"outcome": "contacted", "back": "page=2&evil=https://x.example"},
    )
    assert response["Location"] == f"{reverse('chainmap:round_detail', args=[round_.pk])}?page=2#match-{match.pk}"
    match.refresh_from_db()
    assert match.outcome == "contacted"


def test_the_round_page_shows_labels_and_local_times(client_for, matched_round, joint_office):
    m.MatchingRound.objects.filter(pk=matched_round.pk).update(
        matched_at=dt.datetime(2026, 11, 3, 1, 30, tzinfo=dt.UTC)
    )
    body = client_for(joint_office).get(reverse("chainmap:round_detail", args=[matched_round.pk])).content.decode()
    assert "2026-11-03 09:30" in body  # Asia/Shanghai
    assert "chain_month" not in body.split('id="round-progress"')[0].split("<h1>")[1]


def test_outcome_forms_from_the_cached_round_page_carry_each_sessions_own_token(matched_round, tj_official):
    """The same official in two browsers: the second page comes from the cache (``{% viewer_cache %}``)
    with the token of its own session, and each form posts past the CSRF check."""
    url = reverse("chainmap:round_detail", args=[matched_round.pk])
    match = m.Match.objects.filter(round=matched_round).order_by("pk").first()
    action = reverse("chainmap:match_outcome", args=[match.pk])
    sessions = []
    for _ in range(2):  # the second read is served from the cache the first one filled
        client = Client(enforce_csrf_checks=True)
        client.force_login(tj_official)
        page = client.get(url, {"top": 20}).content.decode()
        assert "chainmap-csrf-placeholder" not in page
        form = page[page.index(f'action="{action}"') :]
        sessions.append((client, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)))
    posted = []
    for (client, token), outcome in zip(reversed(sessions), ("met", "signed"), strict=True):
        response = client.post(action, {"outcome": outcome, "note": "", "csrfmiddlewaretoken": token})
        assert response.status_code == 302, response.status_code
        match.refresh_from_db()
        posted.append(match.outcome)
    assert posted == ["met", "signed"]
