"""Editing the leadership calendar: term moves keep the calendar gapless, bad edits are refused with
the field named and nothing written, regeneration keeps the past, and the calendar page."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from chainmap import models as m
from chainmap.leadership.services.calendar import RuleInput, term_update, terms_regenerate
from tests import factories as f
from tests.conftest import require

TODAY = dt.datetime(2026, 1, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
D = dt.date


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def calendar(regions):
    """A past term, the current one (started 2026-01-01) and two planned ones."""
    chain = f.ChainFactory(slug="h2")
    spans = [
        ("HE", D(2025, 9, 1), D(2025, 12, 31)),
        ("BJ", D(2026, 1, 1), D(2026, 4, 30)),
        ("TJ", D(2026, 5, 1), D(2026, 8, 31)),
        ("HE", D(2026, 9, 1), D(2026, 12, 31)),
    ]
    terms = [f.TermFactory(chain=chain, region=regions[code], starts_on=s, ends_on=e) for code, s, e in spans]
    return chain, terms


def spans(chain) -> list[tuple[str, dt.date, dt.date]]:
    return [
        (t.region.code, t.starts_on, t.ends_on)
        for t in m.LeadershipTerm.objects.filter(chain=chain).select_related("region").order_by("starts_on")
    ]


def assert_gapless(chain) -> None:
    rows = spans(chain)
    for (_a, _s, end), (_b, start, _e) in itertools.pairwise(rows):
        assert start == end + dt.timedelta(days=1)


def test_moving_an_end_later_moves_the_next_start(calendar, joint_office):
    chain, (_past, _current, planned, last) = calendar
    term_update(term_id=planned.pk, user=joint_office, reason="延长天津任期", ends_on=D(2026, 9, 15))
    assert spans(chain)[2:] == [("TJ", D(2026, 5, 1), D(2026, 9, 15)), ("HE", D(2026, 9, 16), D(2026, 12, 31))]
    record = last.history.order_by("-history_date", "-history_id").first()
    assert record.history_change_reason == "延长天津任期" and record.history_user == joint_office


def test_moving_an_end_earlier_moves_the_next_start_earlier(calendar, joint_office):
    chain, (_past, _current, planned, _last) = calendar
    term_update(term_id=planned.pk, user=joint_office, reason="提前交接", ends_on=D(2026, 8, 15))
    assert spans(chain)[3] == ("HE", D(2026, 8, 16), D(2026, 12, 31))
    assert_gapless(chain)


def test_moving_a_start_moves_the_previous_end_even_of_the_current_term(calendar, joint_office):
    chain, (_past, current, planned, _last) = calendar
    term_update(term_id=planned.pk, user=joint_office, reason="提前接任", starts_on=D(2026, 4, 20))
    assert spans(chain)[1:3] == [("BJ", D(2026, 1, 1), D(2026, 4, 19)), ("TJ", D(2026, 4, 20), D(2026, 8, 31))]
    assert current.history.order_by("-history_id").first().history_change_reason == "提前接任"


def test_moving_a_whole_term_keeps_the_calendar_gapless(calendar, joint_office):
    """On PostgreSQL the exclusion constraint would reject any intermediate overlap."""
    chain, (_past, _current, planned, _last) = calendar
    term_update(
        term_id=planned.pk, user=joint_office, reason="整体后移", starts_on=D(2026, 9, 5), ends_on=D(2026, 9, 20)
    )
    assert spans(chain)[1:] == [
        ("BJ", D(2026, 1, 1), D(2026, 9, 4)),
        ("TJ", D(2026, 9, 5), D(2026, 9, 20)),
        ("HE", D(2026, 9, 21), D(2026, 12, 31)),
    ]


def test_changing_the_region_of_a_planned_term(calendar, joint_office, regions):
    chain, (_past, _current, planned, _last) = calendar
    term_update(term_id=planned.pk, user=joint_office, reason="调整顺序", region_id=regions["HE"].pk)
    assert spans(chain)[2][0] == "HE"


@pytest.mark.parametrize(
    ("index", "changes", "field"),
    [
        (2, {"ends_on": D(2027, 1, 5)}, "ends_on"),  # would swallow the next term
        (2, {"starts_on": D(2025, 12, 31)}, "starts_on"),  # would swallow the previous (and the past)
        (3, {"starts_on": D(2026, 5, 1)}, "starts_on"),  # would leave the previous term no day
        (1, {"starts_on": D(2026, 1, 5)}, "starts_on"),  # the current term started: history
        (1, {"ends_on": D(2026, 1, 5)}, "ends_on"),  # ending in the past
        (0, {"ends_on": D(2026, 1, 2)}, "ends_on"),  # a past term
        (2, {"starts_on": D(2026, 7, 1), "ends_on": D(2026, 6, 1)}, "ends_on"),
        (1, {"region": "TJ"}, "region"),  # who led the past days cannot change
    ],
)
def test_bad_edits_are_refused_with_the_field_named_and_nothing_written(
    calendar, joint_office, regions, index, changes, field
):
    chain, terms = calendar
    before = spans(chain)
    history_rows = m.LeadershipTerm.history.count()
    kwargs = dict(changes)
    if "region" in kwargs:
        kwargs["region_id"] = regions[kwargs.pop("region")].pk
    with pytest.raises(ValidationError) as error:
        term_update(term_id=terms[index].pk, user=joint_office, reason="试图修改", **kwargs)
    assert field in error.value.message_dict
    assert spans(chain) == before
    assert m.LeadershipTerm.history.count() == history_rows


def test_only_the_joint_office_edits_and_a_reason_is_required(calendar, bj_official, joint_office):
    _chain, terms = calendar
    with pytest.raises(PermissionDenied):
        term_update(term_id=terms[2].pk, user=bj_official, reason="x", ends_on=D(2026, 8, 1))
    with pytest.raises(ValidationError) as error:
        term_update(term_id=terms[2].pk, user=joint_office, reason="  ", ends_on=D(2026, 8, 1))
    assert "reason" in error.value.message_dict


def test_the_postgres_exclusion_constraint_is_live_but_never_reached(calendar, joint_office, regions):
    require(connection.vendor == "postgresql", "PostgreSQL (exclusion constraint of migration 0002)")
    chain, terms = calendar
    with pytest.raises(IntegrityError), transaction.atomic():
        m.LeadershipTerm.objects.create(
            chain=chain, region=regions["BJ"], starts_on=D(2026, 6, 1), ends_on=D(2026, 6, 30)
        )
    for changes in ({"ends_on": D(2026, 12, 31)}, {"ends_on": D(2026, 12, 30)}, {"starts_on": D(2026, 4, 30)}):
        # Refused with a field is fine; an IntegrityError would fail the test.
        with contextlib.suppress(ValidationError):
            term_update(term_id=terms[2].pk, user=joint_office, reason="边界", **changes)
    assert_gapless(chain)


# --- regenerate ----------------------------------------------------------------------------------


def test_regenerate_replaces_future_terms_and_keeps_the_past(calendar, joint_office):
    chain, (past, current, _planned, _last) = calendar
    created = terms_regenerate(
        chain_id=chain.pk,
        user=joint_office,
        reason="新轮值规则",
        data=RuleInput(starts_on=D(2026, 3, 1), order=("he", "BJ"), term_months=6),
    )
    assert spans(chain) == [
        ("HE", D(2025, 9, 1), D(2025, 12, 31)),
        ("BJ", D(2026, 1, 1), D(2026, 2, 28)),
        ("HE", D(2026, 3, 1), D(2026, 8, 31)),
        ("BJ", D(2026, 9, 1), D(2027, 2, 28)),
    ]
    past.refresh_from_db()
    assert (past.starts_on, past.ends_on, past.history.count()) == (D(2025, 9, 1), D(2025, 12, 31), 1)
    rule = m.RotationRule.objects.get(chain=chain)
    assert (rule.order, rule.term_months, rule.first_term_starts_on) == ("HE,BJ", 6, D(2026, 3, 1))
    first = m.LeadershipTerm.history.get(id=created[0].pk, history_type="+")
    assert (first.history_change_reason, first.history_user) == ("新轮值规则", joint_office)
    deleted = m.LeadershipTerm.history.filter(history_type="-")
    assert deleted.count() == 2 and {row.history_change_reason for row in deleted} == {"新轮值规则"}
    assert current.history.order_by("-history_id").first().history_user == joint_office


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"starts_on": D(2026, 1, 9)}, "starts_on"),
        ({"starts_on": D(2027, 3, 1)}, "starts_on"),  # would leave a gap after the last term
        ({"order": ["BJ", "XX"]}, "order"),
        ({"order": ["BJ", "BJ"]}, "order"),
        ({"order": []}, "order"),
        ({"term_months": 30}, "term_months"),
        ({"reason": ""}, "reason"),
    ],
)
def test_regenerate_refuses_bad_input_without_writing(calendar, joint_office, kwargs, field):
    chain, _terms = calendar
    before = spans(chain)
    arguments = {"starts_on": D(2026, 3, 1), "order": ["BJ", "TJ", "HE"], "term_months": 4, "reason": "调整"}
    arguments.update(kwargs)
    with pytest.raises(ValidationError) as error:
        reason = arguments.pop("reason")
        terms_regenerate(chain_id=chain.pk, user=joint_office, reason=reason, data=RuleInput(**arguments))
    assert field in error.value.message_dict
    assert spans(chain) == before and not m.RotationRule.objects.filter(chain=chain).exists()


# --- pages ------------------------------------------------------------------------------------------


def test_the_calendar_page_shows_leader_handover_and_highlights_the_current_term(calendar, client_for, tj_official):
    response = client_for(tj_official).get("/leadership/")
    assert response.status_code == 200
    [row] = response.context["calendars"]
    assert row.current.region.code == "BJ" and row.following.starts_on == D(2026, 5, 1)
    assert [line.state for line in row.terms] == ["past", "current", "future", "future"]
    body = response.content.decode()
    assert 'class="term-current" aria-current="date"' in body and "2026-05-01" in body
    assert "/edit/" not in body and "/regenerate/" not in body  # no buttons for a region official


def test_the_joint_office_sees_edit_buttons_on_planned_terms_only(calendar, client_for, joint_office):
    _chain, (past, current, planned, _last) = calendar
    body = client_for(joint_office).get("/leadership/").content.decode()
    assert f"/leadership/terms/{planned.pk}/edit/" in body and f"/leadership/terms/{current.pk}/edit/" in body
    assert f"/leadership/terms/{past.pk}/edit/" not in body and "/leadership/h2/regenerate/" in body


@pytest.mark.parametrize(
    ("persona", "calendar_status", "edit_status"),
    [
        ("joint_office", 200, 200),
        ("bj_official", 200, 403),
        ("tj_official", 200, 403),
        ("he_official", 200, 403),
        ("enterprise_member", 200, 403),
        ("subscriber", 200, 403),
        (None, 302, 302),
    ],
)
def test_calendar_page_permissions(calendar, client_for, request, persona, calendar_status, edit_status):
    _chain, terms = calendar
    client = client_for(request.getfixturevalue(persona) if persona else None)
    assert client.get("/leadership/").status_code == calendar_status
    assert client.get(f"/leadership/terms/{terms[2].pk}/edit/").status_code == edit_status
    assert client.get("/leadership/h2/regenerate/").status_code == edit_status
    post = client.post(f"/leadership/terms/{terms[2].pk}/edit/", {"reason": "x"})
    assert post.status_code == (400 if edit_status == 200 else edit_status)


def test_editing_through_the_page_names_the_field_or_redirects(calendar, client_for, joint_office, regions):
    chain, (_past, _current, planned, _last) = calendar
    client = client_for(joint_office)
    data = {"region": regions["TJ"].pk, "starts_on": "2026-05-01", "ends_on": "2027-02-01", "reason": "延长"}
    bad = client.post(f"/leadership/terms/{planned.pk}/edit/", data)
    assert bad.status_code == 400 and "ends_on" in bad.context["form"].errors
    assert spans(chain)[2] == ("TJ", D(2026, 5, 1), D(2026, 8, 31))
    garbage = client.post(f"/leadership/terms/{planned.pk}/edit/", {**data, "starts_on": "2026-02-30"})
    assert garbage.status_code == 400 and "starts_on" in garbage.context["form"].errors
    good = client.post(f"/leadership/terms/{planned.pk}/edit/", {**data, "ends_on": "2026-09-10"})
    assert good.status_code == 302 and good["Location"].endswith("/leadership/#chain-h2")
    assert spans(chain)[3] == ("HE", D(2026, 9, 11), D(2026, 12, 31))


def test_regenerating_through_the_page(calendar, client_for, joint_office):
    chain, _terms = calendar
    client = client_for(joint_office)
    bad = client.post(
        "/leadership/h2/regenerate/", {"starts_on": "2026-03-01", "order": "BJ,ZZ", "term_months": 4, "reason": "r"}
    )
    assert bad.status_code == 400 and "order" in bad.context["form"].errors
    good = client.post(
        "/leadership/h2/regenerate/",
        {"starts_on": "2026-03-01", "order": "tj，he", "term_months": 3, "reason": "新规则"},
    )
    assert good.status_code == 302
    assert spans(chain)[2] == ("TJ", D(2026, 3, 1), D(2026, 5, 31))


def _chains_with_terms(count: int, regions) -> None:
    codes = ["BJ", "TJ", "HE"]
    for index in range(count):
        chain = f.ChainFactory()
        start = D(2025, 11, 1)
        for turn in range(2):
            f.TermFactory(
                chain=chain,
                region=regions[codes[(index + turn) % 3]],
                starts_on=start,
                ends_on=start + dt.timedelta(days=99),
            )
            start += dt.timedelta(days=100)


def test_the_calendar_page_runs_a_constant_number_of_queries(client_for, joint_office, regions):
    client = client_for(joint_office)
    counts = []
    for rows in (2, 20):
        m.LeadershipTerm.objects.all().delete()
        m.Chain.objects.all().delete()
        _chains_with_terms(rows // 2, regions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/leadership/")
        assert sum(len(row.terms) for row in response.context["calendars"]) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


def _date_inputs(html: str) -> dict[str, str]:
    """name → value of every ``<input type="date">`` on the page."""
    inputs = re.findall(r"<input[^>]*>", html)
    dates = [tag for tag in inputs if 'type="date"' in tag]
    return {
        re.search(r'name="([^"]+)"', tag).group(1): (re.search(r'value="([^"]*)"', tag) or [None, ""])[1]
        for tag in dates
    }


def test_the_term_edit_page_fills_its_date_pickers_in_iso_form_in_chinese(calendar, client_for, joint_office):
    _chain, (_past, _current, planned, _last) = calendar
    page = client_for(joint_office).get(f"/leadership/terms/{planned.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert _date_inputs(page.content.decode()) == {"starts_on": "2026-05-01", "ends_on": "2026-08-31"}


def test_the_regenerate_page_fills_its_date_picker_in_iso_form(calendar, client_for, joint_office):
    page = client_for(joint_office).get("/leadership/h2/regenerate/")
    assert page.status_code == 200
    value = _date_inputs(page.content.decode())["starts_on"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
