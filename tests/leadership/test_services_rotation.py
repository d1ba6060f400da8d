"""The rotating chain leader: rights follow the calendar at midnight Beijing time; the daily job opens
terms, re-routes proposals and mails the handover exactly once."""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.leadership.services import rotation as leadership
from chainmap.maps.services import proposals
from tests import factories as f
from tests.mapfixtures import *  # noqa: F403
from tests.mapfixtures import at

pytestmark = pytest.mark.django_db

SEP_1 = dt.date(2026, 9, 1)


@pytest.fixture
def open_proposal(chain_map, he_official):
    return proposals.proposal_create(
        chain_id=chain_map.chain.pk,
        author=he_official,
        reason="河北补链",
        items=[{"operation": "rename_node", "node": "H2-DOWN-01", "name": "氢能重卡"}],
    )


def test_rights_move_at_midnight_beijing_time_even_before_the_job_runs(
    chain_map, open_proposal, bj_official, tj_official
):
    with time_machine.travel(at(2026, 8, 31, 23, 59), tick=False):
        assert permissions.can_review_proposal(user=bj_official, proposal=open_proposal)
        assert not permissions.can_review_proposal(user=tj_official, proposal=open_proposal)
        assert permissions.can_edit_chain_map(user=bj_official, chain_id=chain_map.chain.pk)
    with time_machine.travel(at(2026, 9, 1, 0, 0), tick=False):
        assert not permissions.can_review_proposal(user=bj_official, proposal=open_proposal)
        assert permissions.can_review_proposal(user=tj_official, proposal=open_proposal)
        assert not permissions.can_edit_chain_map(user=bj_official, chain_id=chain_map.chain.pk)


def test_the_region_that_led_yesterday_can_no_longer_approve(chain_map, open_proposal, bj_official):
    with time_machine.travel(at(2026, 9, 1, 9), tick=True), pytest.raises(proposals.PermissionDenied):
        proposals.proposal_approve(proposal_id=open_proposal.pk, reviewer=bj_official)


def test_rotation_closes_opens_reroutes_and_mails_both_regions_once(
    chain_map, open_proposal, bj_official, tj_official, he_official, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    f.member("bj_deputy", m.Role.REGION_OFFICIAL, region_code="BJ")
    assert open_proposal.routed_to.code == "BJ"
    with time_machine.travel(at(2026, 9, 1, 0, 1), tick=True), django_capture_on_commit_callbacks(execute=True):
        term = leadership.leadership_rotate(chain_id=chain_map.chain.pk, today=SEP_1)
        again = leadership.leadership_rotate(chain_id=chain_map.chain.pk, today=SEP_1)
    assert term == again == chain_map.tj_term
    term.refresh_from_db()
    chain_map.bj_term.refresh_from_db()
    assert term.opened_at is not None and term.handover_sent_at is not None
    assert chain_map.bj_term.closed_at is not None
    open_proposal.refresh_from_db()
    assert open_proposal.routed_to.code == "TJ"
    [message] = mail.outbox
    assert sorted(message.to) == ["bj_deputy@example.cn", "bj_official@example.cn", "tj_official@example.cn"]
    assert "氢能" in message.subject
    assert f"#{open_proposal.pk}" in message.body and "氢能重卡" not in message.subject
    html = message.alternatives[0][0]
    assert "H2-DOWN-01 更名为 氢能重卡" in html
    assert leadership.handover_notify(term_id=term.pk) is False
    assert len(mail.outbox) == 1


def test_the_daily_job_twice_in_one_day_sends_nothing_twice(
    chain_map, bj_official, tj_official, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(at(2026, 9, 1, 0, 1), tick=True), django_capture_on_commit_callbacks(execute=True):
        from chainmap.leadership.tasks import rotate_leadership

        rotate_leadership.delay()
        rotate_leadership.delay()
    assert len(mail.outbox) == 1


def test_a_failed_handover_mail_is_retried_and_then_sent_once(
    chain_map, bj_official, tj_official, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.mail.backends import locmem

    real_send = locmem.EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SMTPException("server busy")
        return real_send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", flaky)
    with pytest.raises(SMTPException):
        leadership.handover_notify(term_id=chain_map.tj_term.pk)
    chain_map.tj_term.refresh_from_db()
    assert chain_map.tj_term.handover_claimed_at is None
    assert leadership.handover_notify(term_id=chain_map.tj_term.pk) is True
    assert leadership.handover_notify(term_id=chain_map.tj_term.pk) is False
    assert len(mail.outbox) == 1


def test_the_command_with_a_later_date_swaps_the_roles_now(chain_map, open_proposal, bj_official, tj_official):
    assert permissions.can_review_proposal(user=bj_official, proposal=open_proposal)
    call_command("rotate_leadership", "--date", "2026-09-01")
    open_proposal.refresh_from_db()
    assert open_proposal.routed_to.code == "TJ"
    assert permissions.can_review_proposal(user=tj_official, proposal=open_proposal)
    assert not permissions.can_review_proposal(user=bj_official, proposal=open_proposal)
    approved = proposals.proposal_approve(proposal_id=open_proposal.pk, reviewer=tj_official)
    assert approved.status == "approved"


def test_rotation_extends_the_calendar_from_the_rule_when_it_runs_out(chain_map, regions):
    m.RotationRule.objects.create(
        chain=chain_map.chain, order="BJ,TJ,HE", first_term_starts_on=dt.date(2026, 5, 1), term_months=4
    )
    with time_machine.travel(at(2027, 1, 1, 0, 1), tick=True):
        term = leadership.leadership_rotate(chain_id=chain_map.chain.pk, today=dt.date(2027, 1, 1))
    assert term.region.code == "HE" and term.starts_on == dt.date(2027, 1, 1) and term.ends_on == dt.date(2027, 4, 30)


def test_a_term_found_open_late_is_opened_without_an_old_handover_mail(chain_map, tj_official, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(at(2026, 10, 20), tick=True):
        term = leadership.leadership_rotate(chain_id=chain_map.chain.pk, today=dt.date(2026, 10, 20))
    assert term == chain_map.tj_term and not mail.outbox
