"""Browser journeys on the demo data, one per test: each clicks through real pages as the personas would,
then checks what the page shows and what the database holds. Each journey works on its own chain or
object, so the order they run in does not matter. Their last screen is saved to var/e2e-screenshots/.

Buttons are found by the form they submit (``form[action$="/approve/"]``), not by their label, so the
journeys do not depend on the translation; the texts checked are data the journey typed in.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from chainmap.accounts import permissions
from chainmap.maps.models.proposals import ProposalStatus
from chainmap.models import Bottleneck, Chain, ChangeProposal, Diagram
from projects import models as pm
from tests.conftest import IN_CI

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures say why (skip outside CI, fail in CI)
    if IN_CI:
        raise
    pytest.skip("the playwright package is not installed (uv sync installs the dev group)", allow_module_level=True)

OFFICIALS = {"BJ": "bj_official", "TJ": "tj_official", "HE": "he_official"}


def leader_of(chain: Chain) -> str:
    """The persona of the region leading ``chain`` today (the calendar decides, see permissions)."""
    from chainmap.models import Region

    return OFFICIALS[Region.objects.get(pk=permissions.leading_region_id(chain_id=chain.pk)).code]


def submit(page, action_suffix: str) -> None:
    page.locator(f'form[action$="{action_suffix}"] button[type=submit]').first.click()
    page.wait_for_load_state()


def test_the_leader_edits_a_node_and_the_diagram_changes(browser) -> None:
    chain = Chain.objects.get(slug="hydrogen")
    node = chain.nodes.order_by("code").first()
    new_name = "电解制氢E2E"
    leader = browser.open(leader_of(chain))
    page = leader.page

    page.goto(f"/chains/{chain.slug}/")
    expect(page.locator(".diagram-canvas svg")).to_be_visible()
    expect(page.locator(".diagram-canvas svg")).not_to_contain_text(new_name)

    page.goto(f"/nodes/{node.code}/edit/")
    page.fill("#id_name", new_name)
    page.fill("#id_reason", "端到端测试：节点更名")
    page.locator("main form.profile-form button[type=submit]").click()
    page.wait_for_url(f"**/nodes/{node.code}/")
    expect(page.locator("h1")).to_contain_text(new_name)

    page.goto(f"/chains/{chain.slug}/")
    # Rendered after the commit on the server's background thread (chainmap.core.background; a worker in
    # production); the page polls until the new drawing is stored.
    expect(page.locator(".diagram-canvas svg")).to_contain_text(new_name, timeout=30_000)
    node.refresh_from_db()
    assert node.name == new_name
    assert node.history.order_by("-history_date").first().history_change_reason == "端到端测试：节点更名"
    assert new_name in Diagram.objects.get(chain=chain, kind="current").svg
    browser.screenshot(leader)
    assert browser.console_errors() == []


def test_a_non_leader_proposes_the_leader_approves_and_history_shows_it(browser) -> None:
    chain = Chain.objects.get(slug="biomedicine")
    node = chain.nodes.order_by("code")[1]
    old_name, new_name = node.name, "生物药E2E"
    leader_persona = leader_of(chain)
    proposer_persona = next(p for p in OFFICIALS.values() if p != leader_persona)

    proposer = browser.open(proposer_persona).page
    proposer.goto(f"/nodes/{node.code}/edit/")
    proposer.fill("#id_name", new_name)
    proposer.fill("#id_reason", "端到端测试：提议更名")
    proposer.locator("main form.profile-form button[type=submit]").click()
    proposer.wait_for_url(re.compile(r"/proposals/\d+/$"))
    pk = int(re.search(r"/proposals/(\d+)/$", proposer.url).group(1))
    expect(proposer.locator(".messages")).to_contain_text(f"#{pk}")
    node.refresh_from_db()
    assert node.name == old_name  # a proposal changes nothing until approved
    assert ChangeProposal.objects.get(pk=pk).status == ProposalStatus.OPEN

    session = browser.open(leader_persona)
    leader = session.page
    leader.goto("/proposals/")
    expect(leader.locator(f'a[href="/proposals/{pk}/"]').first).to_be_visible()
    leader.goto(f"/proposals/{pk}/")
    submit(leader, f"/proposals/{pk}/approve/")
    assert ChangeProposal.objects.get(pk=pk).status == ProposalStatus.APPROVED
    node.refresh_from_db()
    assert node.name == new_name

    leader.goto(f"/chains/{chain.slug}/history/")
    expect(leader.locator("main")).to_contain_text(new_name)
    expect(leader.locator("main")).to_contain_text("端到端测试：提议更名")

    today = timezone.localdate()
    before = today - dt.timedelta(days=7)
    response = leader.goto(f"/chains/{chain.slug}/as-of/?date={before:%Y-%m-%d}")
    assert response.status == 200
    expect(leader.locator("main")).to_contain_text(old_name)
    expect(leader.locator("main")).not_to_contain_text(new_name)
    leader.goto(f"/chains/{chain.slug}/as-of/?date={today:%Y-%m-%d}")
    expect(leader.locator("main")).to_contain_text(new_name)

    response = leader.goto(f"/chains/{chain.slug}/diff/?from={before:%Y-%m-%d}&to={today:%Y-%m-%d}")
    assert response.status == 200
    expect(leader.locator("main svg").first).to_contain_text(new_name, timeout=30_000)
    browser.screenshot(session)
    assert browser.console_errors() == []


def test_two_officials_editing_one_node_get_a_conflict_not_an_overwrite(browser) -> None:
    chain = Chain.objects.get(slug="cybersecurity")
    node = chain.nodes.order_by("code").first()
    first = browser.open(leader_of(chain))
    second = browser.open("joint_office")
    for session in (first, second):
        session.page.goto(f"/nodes/{node.code}/edit/")

    first.page.fill("#id_name", "先保存E2E")
    first.page.fill("#id_reason", "第一位的修改")
    first.page.locator("main form.profile-form button[type=submit]").click()
    first.page.wait_for_url(f"**/nodes/{node.code}/")

    second.page.fill("#id_name", "后保存E2E")
    second.page.fill("#id_reason", "第二位的修改")
    with second.page.expect_response(lambda r: r.url.endswith(f"/nodes/{node.code}/edit/")) as answer:
        second.page.locator("main form.profile-form button[type=submit]").click()
    assert answer.value.status == 409
    expect(second.page.locator("main .form-errors[role=alert]")).to_be_visible()
    other_change = second.page.locator("main section.card table.data").first
    expect(other_change).to_contain_text("先保存E2E")
    node.refresh_from_db()
    assert node.name == "先保存E2E"  # nothing was overwritten

    # Having seen the other change, the second official keeps their own name on purpose and saves again.
    second.page.fill("#id_name", "后保存E2E")
    keep_mine = second.page.locator("input[name=resolve_name][value=mine]")  # where both changed the name
    if keep_mine.count():
        keep_mine.check()
    second.page.fill("#id_reason", "第二位的修改，已看过第一位的")
    second.page.locator("main form.profile-form button[type=submit]").click()
    second.page.wait_for_url(f"**/nodes/{node.code}/")
    node.refresh_from_db()
    assert node.name == "后保存E2E"
    browser.screenshot(second)
    assert browser.console_errors(allow=("status of 409",)) == []


def test_an_enterprise_submits_its_profile_and_an_official_approves_it(browser) -> None:
    from chainmap.models import CapabilityProfile, ProfileStatus

    member = browser.open("enterprise_member")
    page = member.page
    page.goto("/my/profile/")
    enterprise_name = page.locator(".page-head .sub").inner_text().strip()
    submit(page, "/my/profile/start/")
    products = page.locator("#id_products")
    products.fill(products.input_value() + "\n液氢储运罐E2E")
    submit(page, "/update/")
    submit(page, "/submit/")
    profile = CapabilityProfile.objects.filter(enterprise__name=enterprise_name).order_by("-version").first()
    assert profile.status == ProfileStatus.SUBMITTED and profile.version >= 2

    session = browser.open("tj_official")
    official = session.page
    official.goto("/profiles/review/")
    item = official.locator(f"article.review-item:has(form[action$='/profiles/{profile.pk}/approve/'])")
    expect(item).to_contain_text("液氢储运罐E2E")
    item.locator(f"#approve-comment-{profile.pk}").fill("端到端测试通过")
    item.locator(f"form[action$='/profiles/{profile.pk}/approve/'] button").click()
    official.wait_for_load_state()
    profile.refresh_from_db()
    assert profile.status == ProfileStatus.APPROVED

    page.goto("/my/profile/")
    expect(page.locator("section[aria-labelledby=approved-h]")).to_contain_text("液氢储运罐E2E")
    browser.screenshot(member)
    browser.screenshot(session, "official")
    assert browser.console_errors() == []


def test_a_challenge_goes_from_call_to_award(browser) -> None:
    bottleneck = (
        Bottleneck.objects.filter(chain__slug="nev", status__in=["taken", "in_progress"]).order_by("code").first()
    )
    code = "JB-E2E-01"
    office_session = browser.open("joint_office")
    office = office_session.page
    office.goto(f"/projects/challenges/new/?bottleneck={bottleneck.code}")
    office.select_option("#id_bottleneck", bottleneck.code)
    office.fill("#id_code", code)
    office.select_option("#id_mechanism", "jiebang")
    office.fill("#id_title", "固态电池界面阻抗揭榜E2E")
    office.fill("#id_deadline", (timezone.localdate() + dt.timedelta(days=60)).isoformat())
    office.locator("main form.profile-form button[type=submit]").click()
    office.wait_for_url(f"**/projects/challenges/{code}/")
    submit(office, f"/projects/challenges/{code}/publish/")
    assert pm.Challenge.objects.get(code=code).status == pm.ChallengeStatus.PUBLISHED

    member = browser.open("enterprise_member").page
    member.goto("/projects/challenges/")
    member.locator(f'a[href="/projects/challenges/{code}/"]').first.click()
    member.locator(f'a[href="/projects/challenges/{code}/apply/"]').click()
    member.fill("#id_team_lead", "吴振宇")
    member.fill("#id_proposal", "界面改性与原位固化的技术方案E2E")
    member.locator("main form.profile-form button[type=submit]").click()
    member.wait_for_url(f"**/projects/challenges/{code}/")
    application = pm.Application.objects.get(challenge__code=code)
    expect(member.locator("table.applications")).to_contain_text("吴振宇")

    office.goto(f"/projects/challenges/{code}/")
    submit(office, f"/projects/challenges/{code}/start-review/")
    office.locator(f'a[href="/projects/challenges/applications/{application.pk}/score/"]').click()
    for criterion, score in (("technology", "88"), ("team", "80"), ("feasibility", "75"), ("cost", "70")):
        office.fill(f"#id_score_{criterion}", score)
    office.locator("main form.profile-form button[type=submit]").click()
    office.wait_for_url(f"**/projects/challenges/{code}/")
    expect(office.locator("table.applications")).to_contain_text("88")
    office.locator(f'input[name=winners][value="{application.pk}"]').check()
    submit(office, f"/projects/challenges/{code}/award/")

    challenge = pm.Challenge.objects.get(code=code)
    application.refresh_from_db()
    assert challenge.status == pm.ChallengeStatus.AWARDED
    assert application.status == pm.ApplicationStatus.WON
    expect(office.locator("table.applications .badge-status-won")).to_be_visible()
    browser.screenshot(office_session)
    assert browser.console_errors() == []


def test_the_language_switch_changes_the_pages_language_and_remembers_it(browser) -> None:
    session = browser.open("joint_office")
    page = session.page
    page.goto("/chains/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    chinese_nav = page.locator("nav .nav").inner_text()

    page.locator("form.lang-switch button[value=en]").click()
    page.wait_for_url("**/chains/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav .nav")).to_contain_text("Dashboard")
    expect(page.locator("form.lang-switch button[value=en]")).to_have_attribute("aria-pressed", "true")
    page.goto("/")  # the choice is kept across pages (cookie)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    cookies = {c["name"]: c["value"] for c in session.context.cookies()}
    assert cookies.get("django_language") == "en"
    browser.screenshot(session)

    page.locator("form.lang-switch button[value=zh-hans]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert page.locator("nav .nav").inner_text() != chinese_nav or "Dashboard" not in chinese_nav
    assert browser.console_errors() == []


def test_the_joint_office_creates_and_runs_a_round_and_downloads_its_report(browser, tmp_path) -> None:
    from openpyxl import load_workbook

    from chainmap.models import MatchingRound, Report, RoundStatus

    month = timezone.localdate().replace(day=1)
    session = browser.open("joint_office")
    page = session.page
    page.goto("/rounds/")
    form = page.locator("form#round-new")
    form.locator("select[name=kind]").select_option("chain_month")
    # Changing the month fetches the form again (htmx) with that month's subject from the calendar.
    with page.expect_response(lambda r: "/rounds/new/" in r.url and r.request.method == "GET"):
        form.locator("input[name=period]").fill(f"{month:%Y-%m}")
    expect(page.locator("form#round-new input[name=period]")).to_have_value(f"{month:%Y-%m}")
    page.locator("form#round-new button[name=action][value=create]").click()
    page.wait_for_url(re.compile(r"/rounds/\d+/$"))
    round_ = MatchingRound.objects.get(pk=int(re.search(r"/rounds/(\d+)/$", page.url).group(1)))
    assert round_.period == month and round_.kind == "chain_month"

    submit(page, f"/rounds/{round_.pk}/match/")
    # The job runs on the server's background thread (a worker in production); the page shows its
    # progress until it is done.
    expect(page.locator("#round-progress.progress-done")).to_be_visible(timeout=90_000)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.MATCHED
    assert round_.matches.exists()
    expect(page.locator(f'a[href="/rounds/{round_.pk}/report/"]').first).to_be_visible()

    page.locator(f'a[href="/rounds/{round_.pk}/report/"]').first.click()
    page.wait_for_url(f"**/rounds/{round_.pk}/report/")
    expect(page.locator("main h1").first).to_contain_text(f"{month:%Y-%m}")
    assert Report.objects.filter(round=round_).exists()

    with page.expect_download() as pdf:
        page.locator(f'main a[href="/rounds/{round_.pk}/report.pdf"]').first.click()
    pdf_path = tmp_path / pdf.value.suggested_filename
    pdf.value.save_as(pdf_path)
    assert pdf_path.suffix == ".pdf" and pdf_path.read_bytes().startswith(b"%PDF")

    with page.expect_download() as xlsx:
        page.locator(f'main a[href="/rounds/{round_.pk}/report.xlsx"]').first.click()
    xlsx_path = tmp_path / xlsx.value.suggested_filename
    xlsx.value.save_as(xlsx_path)
    workbook = load_workbook(xlsx_path, read_only=True)
    assert xlsx_path.suffix == ".xlsx" and len(workbook.sheetnames) >= 2
    browser.screenshot(session)
    assert browser.console_errors() == []
