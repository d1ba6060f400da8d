"""Demo data, synthetic data, leadership terms and the matchmaking calendars.

The demo takes seconds to load, so ``TestDemoData`` loads it once for the class inside a
transaction that is rolled back afterwards; the functions outside the class start empty.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Max

from chainmap import models as m
from chainmap.core.validators import validate_credit_code
from chainmap.demo.enterprises import make_credit_code, organization_check_char
from chainmap.demo.loading import demo_load
from chainmap.demo.users import DEMO_PASSWORD
from chainmap.leadership.services.rotation import add_months, current_term, leadership_generate_terms
from chainmap.maps.models.chains import node_code_validator
from chainmap.matching.services.calendars import calendar_generate_year
from projects import models as pm
from tests import factories as f

CHAIN_NAMES = ["氢能", "生物医药", "网络安全和工业互联网", "高端仪器设备和工业母机", "新能源和智能网联汽车", "机器人"]
CLUSTER_NAMES = {"集成电路", "新一代信息技术应用创新", "生物医药", "电力装备", "安全应急装备"}
DIVISION_PREFIX = {"BJ": "11", "TJ": "12", "HE": "13"}


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot() -> dict[str, tuple[int, Any]]:
    """Row count and latest change of every chainmap, projects and auth table (history tables included)."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in ("chainmap", "projects", "auth"):
            continue
        fields = {field.name for field in model._meta.get_fields()}
        latest = Max("updated_at") if "updated_at" in fields else Max("pk")
        row = model._base_manager.aggregate(rows=Count("pk"), latest=latest)
        state[model._meta.label] = (row["rows"], row["latest"])
    return state


def has_cycle(edges: list[tuple[int, int]]) -> bool:
    graph: dict[int, list[int]] = defaultdict(list)
    for source, target in edges:
        graph[source].append(target)
    state: dict[int, int] = {}

    def visit(node: int) -> bool:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1 or (nxt not in state and visit(nxt)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in list(graph))


@pytest.fixture(scope="class")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """The demo, loaded once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        counts = demo_load()
        yield counts
        transaction.set_rollback(True)


@pytest.mark.usefixtures("demo", "db")
class TestDemoData:
    def test_it_reports_what_it_created(self, demo):
        assert demo["chains"] == 6
        assert demo["bottlenecks"] == 130
        assert demo["enterprises"] == m.Enterprise.objects.count()
        assert demo["nodes"] == m.Node.objects.count()

    def test_it_loads_the_three_regions_as_the_factories_know_them(self):
        assert m.Region.objects.count() == 3
        for code, (name, name_en, stage, role, position) in f.REGION_DATA.items():
            region = m.Region.objects.get(code=code)
            assert (region.name, region.name_en, region.stage, region.role, region.position) == (
                name,
                name_en,
                stage,
                role,
                position,
            )

    def test_sub_regions_sit_in_the_right_region(self):
        places = dict(m.SubRegion.objects.values_list("name", "region__code"))
        for name, code in {
            "中关村": "BJ",
            "通州(北京城市副中心)": "BJ",
            "雄安新区": "HE",
            "保定": "HE",
            "石家庄": "HE",
            "唐山": "HE",
            "邢台": "HE",
            "张家口": "HE",
            "燕郊": "HE",
            "天津滨海新区": "TJ",
            "宝坻": "TJ",
            "武清": "TJ",
        }.items():
            assert places[name] == code
        assert m.SubRegion.objects.get(name="雄安新区").kind == m.SubRegion.Kind.NEW_AREA
        assert m.SubRegion.objects.get(name="中关村").kind == m.SubRegion.Kind.PARK

    def test_it_loads_the_six_chains_by_their_exact_names(self):
        assert list(m.Chain.objects.order_by("position").values_list("name", flat=True)) == CHAIN_NAMES
        assert set(m.Chain.objects.values_list("slug", flat=True)) == {
            "hydrogen",
            "biomedicine",
            "cybersecurity",
            "instruments",
            "nev",
            "robotics",
        }

    def test_each_chain_has_25_nodes_or_more_in_all_three_segments(self):
        for chain in m.Chain.objects.all():
            segments = Counter(chain.nodes.values_list("segment", flat=True))
            assert sum(segments.values()) >= 25, chain
            assert set(segments) == {"up", "mid", "down"}, chain

    def test_node_codes_are_valid_and_unique_and_parents_stay_in_the_chain(self):
        nodes = list(m.Node.objects.select_related("parent"))
        for node in nodes:
            node_code_validator(node.code)
            if node.parent is not None:
                assert node.parent.chain_id == node.chain_id, node
        assert len({node.code for node in nodes}) == len(nodes)
        assert m.Node.objects.filter(parent__isnull=False).count() >= 6 * 5
        proton = m.Node.objects.get(name="质子交换膜")
        assert [proton.parent.name, proton.parent.parent.name, proton.parent.parent.parent.name] == [
            "膜电极",
            "燃料电池电堆",
            "燃料电池系统",
        ]

    def test_edges_stay_in_one_chain_without_loops_duplicates_or_cycles(self):
        edges = list(m.Edge.objects.select_related("source", "target"))
        assert len(edges) >= 6 * 25
        assert len({(e.source_id, e.target_id) for e in edges}) == len(edges)
        for edge in edges:
            assert edge.source_id != edge.target_id
            assert edge.source.chain_id == edge.target.chain_id == edge.chain_id
        for chain in m.Chain.objects.all():
            pairs = [(e.source_id, e.target_id) for e in edges if e.chain_id == chain.pk]
            assert not has_cycle(pairs), chain

    def test_every_node_is_assessed_once_per_region_with_gaps_in_every_region(self):
        per_node = Counter(m.NodeAssessment.objects.values_list("node_id", flat=True))
        assert set(per_node.values()) == {3}
        assert len(per_node) == m.Node.objects.count()
        for code in ("BJ", "TJ", "HE"):
            levels = Counter(m.NodeAssessment.objects.filter(region__code=code).values_list("level", flat=True))
            assert levels[m.Level.EMPTY] >= 6 and levels[m.Level.WEAK] >= 6, code
        # The division of labour: Beijing is strongest in research, Hebei in scale-up.
        strong = Counter(m.NodeAssessment.objects.filter(level=m.Level.STRONG).values_list("region__code", flat=True))
        assert strong["BJ"] > strong["TJ"] and strong["BJ"] > strong["HE"]
        assert m.NodeAssessment.objects.get(node__name="氢冶金", region__code="HE").level == m.Level.STRONG

    def test_five_clusters_each_linked_to_a_chain(self):
        clusters = m.Cluster.objects.annotate(chain_count=Count("chains"))
        assert {c.name for c in clusters} == CLUSTER_NAMES
        assert all(c.chain_count >= 1 for c in clusters)
        assert m.Cluster.objects.get(name="集成电路").chains.filter(name="网络安全和工业互联网").exists()

    def test_130_bottlenecks_are_all_covered_by_a_mechanism(self):
        assert m.Bottleneck.objects.count() == 130
        assert m.Bottleneck.objects.filter(status__in=m.COVERED_BOTTLENECK_STATUSES).count() == 130
        assert not m.Bottleneck.objects.filter(mechanism="").exists()
        assert set(m.Bottleneck.objects.values_list("mechanism", flat=True)) == set(m.Mechanism.values)
        per_chain = Counter(m.Bottleneck.objects.values_list("chain__code", flat=True))
        assert all(20 <= count <= 24 for count in per_chain.values()), per_chain
        for bottleneck in m.Bottleneck.objects.prefetch_related("nodes"):
            assert re.fullmatch(r"KD-[A-Z0-9]+-\d{3}", bottleneck.code)
            assert 1 <= len(bottleneck.nodes.all()) <= 2
            assert all(node.chain_id == bottleneck.chain_id for node in bottleneck.nodes.all())
            assert bottleneck.target_date is not None

    def test_bottleneck_history_records_their_nodes(self):
        record = m.Bottleneck.objects.get(code="KD-H2-001").history.get()
        assert record.history_change_reason == "示例数据导入"
        assert [link.node.name for link in record.nodes.all()] == ["质子交换膜"]

    def test_batch_two_has_fifteen_projects_including_the_named_ones(self):
        batch = pm.Batch.objects.get(number=2)
        assert batch.projects.count() == 15
        assert {"超充固态电池", "高性能系统级智算芯片"} <= set(batch.projects.values_list("title", flat=True))
        assert pm.Batch.objects.get(number=1).projects.count() >= 8

    def test_every_project_joins_two_regions_with_one_lead_and_tracks_milestones(self):
        for project in pm.JointProject.objects.prefetch_related("participants", "milestones", "bottlenecks"):
            participants = list(project.participants.all())
            assert len({p.region_id for p in participants}) >= 2, project
            leads = [p for p in participants if p.role == "lead"]
            assert len(leads) == 1 and leads[0].unit_name == project.lead_unit, project
            assert leads[0].region_id == project.lead_region_id
            assert 3 <= len(project.milestones.all()) <= 5, project
            assert project.bottlenecks.exists()
            assert all(b.chain_id == project.chain_id for b in project.bottlenecks.all())
            assert project.budget > 0

    def test_joint_project_bottlenecks_are_attacked_by_a_project(self):
        unattacked = m.Bottleneck.objects.filter(mechanism=m.Mechanism.JOINT_PROJECT, projects__isnull=True)
        assert not unattacked.exists()

    def test_challenges_fit_their_mechanism(self):
        challenges = list(pm.Challenge.objects.select_related("bottleneck").prefetch_related("phases", "applications"))
        assert {c.mechanism for c in challenges} == {"jiebang", "saima"}
        for challenge in challenges:
            assert challenge.bottleneck.mechanism == challenge.mechanism
            assert challenge.applications.exists()
            if challenge.mechanism == "jiebang":
                assert challenge.max_funded_teams == 1
            else:
                assert challenge.max_funded_teams >= 2
                assert 2 <= len(challenge.phases.all()) <= 3
            if challenge.status == "awarded" and challenge.mechanism == "jiebang":
                assert [a.status for a in challenge.applications.all()].count("won") == 1
        assert pm.Challenge.objects.filter(status="published").exists()

    def test_enterprises_have_valid_unique_credit_codes_matching_their_region(self):
        enterprises = list(m.Enterprise.objects.select_related("region", "subregion"))
        assert len(enterprises) >= 300
        assert {e.region.code for e in enterprises} == {"BJ", "TJ", "HE"}
        for enterprise in enterprises:
            validate_credit_code(enterprise.credit_code)
            assert enterprise.credit_code.startswith("91" + DIVISION_PREFIX[enterprise.region.code])
            assert enterprise.subregion is not None and enterprise.subregion.region_id == enterprise.region_id
            assert enterprise.is_synthetic
            assert enterprise.contact_email.endswith("@example.cn")
        assert len({e.name for e in enterprises}) == len(enterprises)
        share = sum(e.is_high_tech for e in enterprises) / len(enterprises)
        assert 0.4 < share < 0.85
        assert 0 < sum(e.is_little_giant for e in enterprises) < sum(e.is_specialized for e in enterprises)

    def test_each_enterprise_has_one_approved_profile_with_offers_and_needs_on_its_chain(self):
        profiles = m.CapabilityProfile.objects.annotate(offer_count=Count("offers", distinct=True))
        assert profiles.count() == m.Enterprise.objects.count()
        assert set(profiles.values_list("status", flat=True)) == {m.ProfileStatus.APPROVED}
        assert profiles.filter(offer_count__lt=1).count() == 0
        assert not m.CapabilityProfile.objects.filter(needs__isnull=True).exists()
        assert all(1 <= trl <= 9 for trl in profiles.values_list("trl", flat=True))
        chain_of = {
            e: set(chains)
            for e, chains in _group(m.Placement.objects.values_list("enterprise_id", "node__chain_id")).items()
        }
        for enterprise_id, chain_id in m.SupplyOffer.objects.values_list("profile__enterprise_id", "node__chain_id"):
            assert chain_id in chain_of[enterprise_id]
        for enterprise_id, chain_id in m.TechnologyNeed.objects.values_list("profile__enterprise_id", "node__chain_id"):
            assert chain_id in chain_of[enterprise_id]
        assert not m.CapabilityProfile.objects.exclude(tokens=[]).exists()
        assert m.TechnologyNeed.objects.filter(is_bottleneck=True).count() > 100

    def test_placements_follow_the_regional_assessment(self):
        per_enterprise = Counter(m.Placement.objects.values_list("enterprise_id", flat=True))
        assert set(per_enterprise.values()) <= {1, 2, 3}
        assert len(per_enterprise) == m.Enterprise.objects.count()
        statuses = Counter(m.Placement.objects.values_list("status", flat=True))
        assert statuses["confirmed"] > 10 * statuses["proposed"] > 0
        levels = {
            (node_id, region_id): level
            for node_id, region_id, level in m.NodeAssessment.objects.values_list("node_id", "region_id", "level")
        }
        for node_id, region_id in m.Placement.objects.values_list("node_id", "enterprise__region_id"):
            assert levels[(node_id, region_id)] != m.Level.EMPTY

    def test_leadership_terms_start_on_new_year_2026_and_never_overlap(self):
        first_leaders = set()
        for chain in m.Chain.objects.all():
            terms = list(chain.terms.order_by("starts_on"))
            assert terms[0].starts_on == date(2026, 1, 1)
            assert terms[-1].ends_on >= date(2027, 12, 31)
            for previous, term in itertools.pairwise(terms):
                assert previous.ends_on < term.starts_on
                assert (term.starts_on - previous.ends_on).days == 1
                assert previous.region_id != term.region_id
            first_leaders.add(terms[0].region.code)
            assert chain.rotation_rule.first_term_starts_on == date(2026, 1, 1)
        assert first_leaders == {"BJ", "TJ", "HE"}

    def test_the_2026_calendar_has_twelve_chain_months_and_four_cluster_quarters(self):
        entries = m.CalendarEntry.objects.filter(period__year=2026)
        months = entries.filter(kind=m.RoundKind.CHAIN_MONTH)
        quarters = entries.filter(kind=m.RoundKind.CLUSTER_QUARTER)
        assert months.count() == 12
        assert Counter(months.values_list("chain_id", flat=True)).most_common()[0][1] == 2
        assert sorted(quarters.values_list("period__month", flat=True)) == [1, 4, 7, 10]
        assert len(set(quarters.values_list("cluster_id", flat=True))) == 4

    def test_the_demo_users_have_their_roles(self):
        users = {u.username: u for u in get_user_model().objects.select_related("membership")}
        lianhe = users["lianhe"]
        assert lianhe.membership.role == m.Role.JOINT_OFFICE
        assert lianhe.is_staff and not lianhe.is_superuser
        assert lianhe.has_perm("chainmap.change_node")
        for code in ("BJ", "TJ", "HE"):
            official = users[f"{code.lower()}_official"].membership
            assert (official.role, official.region.code) == (m.Role.REGION_OFFICIAL, code)
            assert official.liaison_level
            member = users[f"ent_{code.lower()}"].membership
            assert member.role == m.Role.ENTERPRISE_MEMBER
            assert member.enterprise.region.code == code
        assert users["subscriber"].membership.role == m.Role.SUBSCRIBER
        assert users["subscriber"].subscriptions.get().chains.count() == 6
        for user in users.values():
            assert user.last_name and user.first_name and user.email.endswith("@example.cn")
            validate_password(DEMO_PASSWORD, user)
        # argon2 is slow on purpose: one login per role is enough.
        for username in ("lianhe", "bj_official", "ent_he", "subscriber"):
            assert users[username].check_password(DEMO_PASSWORD)

    def test_load_demo_again_changes_no_row_and_writes_no_history(self, settings):
        settings.DEMO_MODE = True
        before = snapshot()
        output = run("load_demo")
        assert snapshot() == before
        assert before["chainmap.HistoricalNode"][0] == m.Node.objects.count() > 0
        assert before["chainmap.HistoricalLeadershipTerm"][0] == m.LeadershipTerm.objects.count() > 0
        assert "nothing to do" in output
        assert DEMO_PASSWORD in output and "lianhe" in output

    def test_load_demo_forced_without_demo_mode_prints_no_password(self, settings):
        settings.DEMO_MODE = False
        output = run("load_demo", "--force")
        assert DEMO_PASSWORD not in output

    def test_generate_synthetic_creates_versioned_approved_profiles(self):
        demo_codes = set(m.Enterprise.objects.values_list("credit_code", flat=True))
        before_id = m.Enterprise.objects.aggregate(last=Max("pk"))["last"]
        output = run("generate_synthetic", "--enterprises", "50", "--profiles", "80", "--batch-size", "20")
        new = m.Enterprise.objects.filter(pk__gt=before_id)
        assert new.count() == 50 and all(new.values_list("is_synthetic", flat=True))
        codes = list(new.values_list("credit_code", flat=True))
        for code in codes:
            validate_credit_code(code)
        assert len(set(codes)) == 50 and not demo_codes & set(codes)
        assert {e.region.code for e in new.select_related("region")} == {"BJ", "TJ", "HE"}
        profiles = m.CapabilityProfile.objects.filter(enterprise__in=new)
        assert profiles.count() == 80
        assert Counter(profiles.values_list("status", flat=True)) == {"approved": 50, "superseded": 30}
        approved = Counter(profiles.filter(status="approved").values_list("enterprise_id", flat=True))
        assert set(approved.values()) == {1}
        for enterprise in new.prefetch_related("profiles"):
            versions = sorted(p.version for p in enterprise.profiles.all())
            assert versions == list(range(1, len(versions) + 1))
            assert max(enterprise.profiles.all(), key=lambda p: p.version).status == "approved"
        assert m.SupplyOffer.objects.filter(profile__in=profiles).count() == 80
        assert m.Placement.objects.filter(enterprise__in=new).values("enterprise").distinct().count() == 50
        assert "50/50" in output.replace(",", "")

    def test_generate_synthetic_never_reuses_a_code_with_the_same_seed(self):
        run("generate_synthetic", "--enterprises", "10", "--seed", "5")
        run("generate_synthetic", "--enterprises", "10", "--seed", "5")
        codes = list(m.Enterprise.objects.values_list("credit_code", flat=True))
        assert len(codes) == len(set(codes)) == m.Enterprise.objects.count()

    def test_generate_synthetic_with_fewer_profiles_than_enterprises(self):
        before = m.Enterprise.objects.count()
        run("generate_synthetic", "--enterprises", "10", "--profiles", "4")
        assert m.Enterprise.objects.count() == before + 10
        new_profiles = m.CapabilityProfile.objects.filter(enterprise__in=m.Enterprise.objects.order_by("-pk")[:10])
        assert new_profiles.count() == 4
        assert set(new_profiles.values_list("status", flat=True)) == {"approved"}


def _group(pairs: Any) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return groups


# --- commands on an empty database ------------------------------------------------------


def test_load_demo_refuses_without_demo_mode(db, settings):
    settings.DEMO_MODE = False
    before = snapshot()
    with pytest.raises(CommandError, match="--force"):
        run("load_demo")
    assert snapshot() == before
    assert not m.Chain.objects.exists()


def test_generate_synthetic_loads_the_demo_chains_when_missing(db):
    output = run("generate_synthetic", "--enterprises", "6", "--profiles", "6")
    assert "missing" in output
    assert m.Chain.objects.count() == 6 and m.Bottleneck.objects.count() == 130
    assert m.Enterprise.objects.count() == 6
    assert not get_user_model().objects.exists()


def test_generate_synthetic_rejects_bad_numbers(db):
    with pytest.raises(CommandError):
        run("generate_synthetic", "--enterprises", "0", "--profiles", "3")
    with pytest.raises(CommandError):
        run("generate_synthetic", "--enterprises", "-1")


def test_credit_codes_carry_both_check_characters():
    # 91350100M000100Y43 is a published example code of GB 32100: organization code M000100Y4, check 3.
    assert organization_check_char("M000100Y") == "4"
    assert make_credit_code(division_code="350100", organization_body="M000100Y") == "91350100M000100Y43"


# --- leadership terms -------------------------------------------------------------------


@pytest.fixture
def rotation_settings(settings):
    settings.CHAINMAP = {**settings.CHAINMAP, "ROTATION_ORDER": ["BJ", "TJ", "HE"], "TERM_MONTHS": 4}
    return settings


def test_terms_rotate_bj_tj_he_back_to_back(regions, rotation_settings):
    chain = f.ChainFactory()
    terms = leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2027, 3, 1))
    assert [t.region.code for t in terms] == ["BJ", "TJ", "HE", "BJ"]
    assert [(t.starts_on, t.ends_on) for t in terms] == [
        (date(2026, 1, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 8, 31)),
        (date(2026, 9, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 4, 30)),
    ]


def test_generating_terms_twice_creates_nothing_new(regions, rotation_settings):
    chain = f.ChainFactory()
    first = leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2026, 12, 31))
    history = m.LeadershipTerm.history.count()
    second = leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2026, 12, 31))
    assert [t.pk for t in second] == [t.pk for t in first]
    assert m.LeadershipTerm.objects.filter(chain=chain).count() == 3
    assert m.LeadershipTerm.history.count() == history


def test_terms_follow_the_chains_rotation_rule(regions, rotation_settings):
    chain = f.ChainFactory()
    m.RotationRule.objects.create(chain=chain, order="HE,BJ,TJ", first_term_starts_on=date(2026, 1, 1), term_months=6)
    terms = leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2027, 12, 31))
    assert [t.region.code for t in terms] == ["HE", "BJ", "TJ", "HE"]
    assert terms[0].ends_on == date(2026, 6, 30)


def test_a_later_start_continues_the_rules_rotation(regions, rotation_settings):
    chain = f.ChainFactory()
    m.RotationRule.objects.create(chain=chain, order="BJ,TJ,HE", first_term_starts_on=date(2026, 1, 1), term_months=4)
    terms = leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 5, 1), until=date(2026, 9, 1))
    assert [t.region.code for t in terms] == ["TJ", "HE"]


def test_an_explicit_order_and_length_override_the_rule(regions, rotation_settings):
    chain = f.ChainFactory()
    terms = leadership_generate_terms(
        chain_id=chain.pk, starts_on=date(2026, 1, 31), until=date(2026, 3, 31), order=["TJ", "BJ"], term_months=1
    )
    assert [(t.region.code, t.starts_on, t.ends_on) for t in terms] == [
        ("TJ", date(2026, 1, 31), date(2026, 2, 27)),
        ("BJ", date(2026, 2, 28), date(2026, 3, 27)),
        ("TJ", date(2026, 3, 28), date(2026, 4, 27)),
    ]


def test_terms_never_overlap_an_existing_term(regions, rotation_settings):
    chain = f.ChainFactory()
    f.TermFactory(chain=chain, starts_on=date(2026, 3, 1), ends_on=date(2026, 6, 30))
    with pytest.raises(ValidationError, match="2026-03-01"):
        leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2026, 12, 31))
    assert m.LeadershipTerm.objects.filter(chain=chain).count() == 1


def test_unknown_regions_in_the_order_are_refused(regions, rotation_settings):
    chain = f.ChainFactory()
    with pytest.raises(ValidationError, match="XX"):
        leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2026, 2, 1), order=["XX"])


def test_current_term_is_the_one_covering_the_day(regions, rotation_settings):
    chain = f.ChainFactory()
    leadership_generate_terms(chain_id=chain.pk, starts_on=date(2026, 1, 1), until=date(2026, 12, 31))
    assert current_term(chain_id=chain.pk, on=date(2026, 4, 30)).region.code == "BJ"
    assert current_term(chain_id=chain.pk, on=date(2026, 5, 1)).region.code == "TJ"
    assert current_term(chain_id=chain.pk, on=date(2025, 12, 31)) is None


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 4) == date(2027, 3, 15)


# --- calendars --------------------------------------------------------------------------


def test_calendar_is_round_robin_and_keeps_existing_entries(db):
    chains = [f.ChainFactory(position=position) for position in range(1, 7)]
    clusters = [f.ClusterFactory(position=position) for position in range(1, 6)]
    kept = m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=date(2026, 3, 1), chain=chains[5])

    entries = calendar_generate_year(year=2026)

    months = {e.period.month: e.chain for e in entries if e.kind == m.RoundKind.CHAIN_MONTH}
    assert [months[month] for month in (1, 2, 4, 7, 12)] == [chains[0], chains[1], chains[3], chains[0], chains[5]]
    assert months[3] == chains[5] and m.CalendarEntry.objects.get(pk=kept.pk).chain == chains[5]
    quarters = [e.cluster for e in entries if e.kind == m.RoundKind.CLUSTER_QUARTER]
    assert quarters == clusters[:4]
    next_year = [e.cluster for e in calendar_generate_year(year=2027) if e.kind == m.RoundKind.CLUSTER_QUARTER]
    assert next_year[0] == clusters[4]
    assert len(calendar_generate_year(year=2026)) == 16
    assert m.CalendarEntry.objects.count() == 32
