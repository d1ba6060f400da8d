"""Loading the demo data (``chainmap.demo``) into the database.

``demo_load`` is idempotent by natural keys: each section creates only the rows whose keys
(region code, chain code, node code, bottleneck code, credit code, username, project code ...)
are missing, and never updates an existing row. Running it twice therefore adds no rows and
no history. Rows of tracked models are bulk-created together with their history records
(reason ``示例数据导入``), so the chain maps have a starting point in their history.

This is the one place that seeds both apps, so it is the one module of ``chainmap`` that imports
``projects`` (its models, by name; the import-linter contract "chainmap never imports projects"
makes exactly this exception).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from chainmap.demo.chains import CHAINS, bottleneck_code
from chainmap.demo.clusters import CLUSTERS
from chainmap.demo.enterprises import EnterpriseDraft, demo_enterprise_drafts
from chainmap.demo.projects import (
    BATCHES,
    CHALLENGES,
    INSTITUTES,
    MILESTONE_TITLES,
    PROGRESS_AS_OF,
    PROJECTS,
    ChallengeSpec,
    ProjectSpec,
)
from chainmap.demo.regions import REGIONS, SUBREGIONS
from chainmap.demo.types import NodeSpec
from chainmap.demo.users import DEMO_PASSWORD, DEMO_USERS, UserSpec
from chainmap.leadership.services.rotation import leadership_generate_terms
from chainmap.maps import summaries
from chainmap.matching.services.calendars import calendar_generate_year
from chainmap.models import (
    Bottleneck,
    BottleneckStatus,
    CalendarEntry,
    CapabilityProfile,
    Chain,
    Cluster,
    Edge,
    Enterprise,
    LeadershipTerm,
    Level,
    Mechanism,
    Membership,
    Node,
    NodeAssessment,
    Placement,
    ProfileStatus,
    Region,
    RotationRule,
    SubRegion,
    Subscription,
    SupplyOffer,
    TechnologyNeed,
)
from projects.models import Application, Batch, Challenge, ChallengePhase, JointProject, Milestone, Participant

DEMO_REASON = "示例数据导入"
DEMO_FIRST_TERM_STARTS_ON = date(2026, 1, 1)
DEMO_TERMS_UNTIL = date(2027, 12, 31)
DEMO_CALENDAR_YEARS = (2026, 2027)
JOINT_OFFICE_GROUP = "联合办"
# Apps whose models the joint office manages in the admin (schedules live in django_celery_beat).
JOINT_OFFICE_APPS = ("chainmap", "projects", "django_celery_beat")

_TZ = ZoneInfo("Asia/Shanghai")
_SEGMENTS = {"UP": "up", "MID": "mid", "DN": "down"}
_EDGE_KINDS = {"m": "material", "c": "component", "e": "equipment", "s": "service"}
_LEVELS = {"S": Level.STRONG, "P": Level.PRESENT, "W": Level.WEAK, "E": Level.EMPTY}
_MECHANISMS = {
    "J": Mechanism.JIEBANG,
    "S": Mechanism.SAIMA,
    "E": Mechanism.ENTERPRISE_RD,
    "P": Mechanism.JOINT_PROJECT,
}
_STATUS_RANK = {
    BottleneckStatus.TAKEN: 0,
    BottleneckStatus.IN_PROGRESS: 1,
    BottleneckStatus.BREAKTHROUGH: 2,
    BottleneckStatus.ACCEPTED: 3,
}
_FROM_PROJECT = {
    "approved": BottleneckStatus.TAKEN,
    "in_progress": BottleneckStatus.IN_PROGRESS,
    "mid_term": BottleneckStatus.IN_PROGRESS,
    "completed": BottleneckStatus.BREAKTHROUGH,
    "accepted": BottleneckStatus.ACCEPTED,
}
_FROM_CHALLENGE = {
    "published": BottleneckStatus.TAKEN,
    "reviewing": BottleneckStatus.TAKEN,
    "awarded": BottleneckStatus.IN_PROGRESS,
}
# Bottlenecks attacked by enterprise R&D, or by a call without a demo challenge, take these in turn:
# every one is covered (taken or later), as the 130 are in reality.
_STATUS_CYCLE = (
    BottleneckStatus.IN_PROGRESS,
    BottleneckStatus.TAKEN,
    BottleneckStatus.IN_PROGRESS,
    BottleneckStatus.BREAKTHROUGH,
    BottleneckStatus.IN_PROGRESS,
    BottleneckStatus.ACCEPTED,
    BottleneckStatus.IN_PROGRESS,
    BottleneckStatus.TAKEN,
    BottleneckStatus.BREAKTHROUGH,
    BottleneckStatus.IN_PROGRESS,
)
_ASSESSMENT_NOTES = {
    ("BJ", Level.STRONG): "高校院所与头部企业集聚，原始创新优势突出",
    ("TJ", Level.STRONG): "中试验证与先进制造能力较强",
    ("HE", Level.STRONG): "规模制造与应用场景优势明显",
    ("BJ", Level.PRESENT): "已有研发团队和企业布局",
    ("TJ", Level.PRESENT): "已有企业布局，具备转化条件",
    ("HE", Level.PRESENT): "已有配套企业，规模有待扩大",
    ("BJ", Level.WEAK): "研发基础薄弱，列入强链目标",
    ("TJ", Level.WEAK): "转化能力不足，列入补链目标",
    ("HE", Level.WEAK): "配套能力薄弱，列入补链目标",
    ("BJ", Level.EMPTY): "空白环节，列入联合招商目标",
    ("TJ", Level.EMPTY): "空白环节，列入联合招商目标",
    ("HE", Level.EMPTY): "空白环节，列入联合招商目标",
}
_COUNT_KEYS = (
    "regions",
    "subregions",
    "chains",
    "nodes",
    "assessments",
    "edges",
    "clusters",
    "bottlenecks",
    "users",
    "memberships",
    "enterprises",
    "placements",
    "profiles",
    "offers",
    "needs",
    "rotation_rules",
    "terms",
    "calendar_entries",
    "batches",
    "projects",
    "participants",
    "milestones",
    "challenges",
    "applications",
)


def enterprise_from_draft(
    draft: EnterpriseDraft, *, regions: dict[str, Region], subregions: dict[tuple[str, str], SubRegion]
) -> Enterprise:
    """An unsaved synthetic enterprise from its generated draft (demo loader and bulk generator alike)."""
    return Enterprise(
        credit_code=draft.credit_code,
        name=draft.name,
        region=regions[draft.region],
        subregion=subregions.get((draft.region, draft.subregion)),
        size=draft.size,
        founded_year=draft.founded_year,
        description=draft.description,
        website=draft.website,
        contact_name=draft.contact_name,
        contact_phone=draft.contact_phone,
        contact_email=draft.contact_email,
        is_synthetic=True,
        **draft.qualifications,
    )


def demo_load() -> dict[str, int]:
    """Load everything in ``chainmap.demo``; return how many rows of each kind were created.

    Safe to run again: existing rows are found by natural key and left untouched.
    """
    counts = dict.fromkeys(_COUNT_KEYS, 0)
    with transaction.atomic():
        regions = _load_structure(counts)
        users = _load_users(counts, regions=regions)
        drafts, enterprises = _load_enterprises(counts, regions=regions, officials=users)
        _load_enterprise_members(counts, drafts=drafts, enterprises=enterprises)
        _load_leadership(counts)
        _load_calendars(counts)
        _load_projects(counts, drafts=drafts, enterprises=enterprises)
        _load_challenges(counts, drafts=drafts, enterprises=enterprises, officials=users)
        summaries.bump_all()  # rows went in by bulk_create, which fires no signal
    return counts


def demo_load_chains() -> dict[str, int]:
    """Load only the regions, the six chain maps, the clusters and the bottlenecks (for synthetic data)."""
    counts = dict.fromkeys(_COUNT_KEYS, 0)
    with transaction.atomic():
        _load_structure(counts)
        summaries.bump_all()
    return {key: value for key, value in counts.items() if value}


def demo_chains_loaded() -> bool:
    """Whether the six demo chains and their nodes are in the database."""
    codes = [spec.code for spec in CHAINS]
    node_count = sum(len(spec.nodes) for spec in CHAINS)
    return (
        Chain.objects.filter(code__in=codes).count() == len(codes)
        and Node.objects.filter(code__in=[node.code for spec in CHAINS for node in spec.nodes]).count() == node_count
    )


# --- regions, chains, clusters, bottlenecks ---------------------------------------------


def _load_structure(counts: dict[str, int]) -> dict[str, Region]:
    regions = _load_regions(counts)
    _load_chains(counts, regions=regions)
    _load_clusters(counts)
    _load_bottlenecks(counts, regions=regions)
    return regions


def _load_regions(counts: dict[str, int]) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for code, (name, name_en, stage, role, position) in REGIONS.items():
        region, created = Region.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "stage": stage, "role": role, "position": position}
        )
        regions[code] = region
        counts["regions"] += created
    existing = set(SubRegion.objects.values_list("region__code", "name"))
    new = [
        SubRegion(region=regions[code], name=spec.name, kind=spec.kind)
        for code, specs in SUBREGIONS.items()
        for spec in specs
        if (code, spec.name) not in existing
    ]
    SubRegion.objects.bulk_create(new)
    counts["subregions"] += len(new)
    return regions


def _depth(spec: NodeSpec, by_code: dict[str, NodeSpec]) -> int:
    depth = 0
    while spec.parent is not None:
        spec = by_code[spec.parent]
        depth += 1
    return depth


def _load_chains(counts: dict[str, int], *, regions: dict[str, Region]) -> None:
    existing = set(Chain.objects.filter(code__in=[spec.code for spec in CHAINS]).values_list("code", flat=True))
    specs = [(position, spec) for position, spec in enumerate(CHAINS, start=1) if spec.code not in existing]
    if not specs:
        return
    chains = Chain.objects.bulk_create(
        [
            Chain(
                code=spec.code,
                slug=spec.slug,
                name=spec.name,
                name_en=spec.name_en,
                description=spec.description,
                position=position,
            )
            for position, spec in specs
        ]
    )
    counts["chains"] += len(chains)
    chain_by_code = {chain.code: chain for chain in chains}

    # Parents must have keys before their children are inserted: insert the trees level by level.
    node_specs = {node.code: (spec.code, node) for _, spec in specs for node in spec.nodes}
    by_code = {code: node for code, (_, node) in node_specs.items()}
    positions: dict[str, int] = {}
    for _, spec in specs:
        per_segment: dict[str, int] = defaultdict(int)
        for node in spec.nodes:
            segment = node.code.split("-")[1]
            per_segment[segment] += 1
            positions[node.code] = per_segment[segment]
    depths = {code: _depth(node, by_code) for code, node in by_code.items()}
    nodes: dict[str, Node] = {}
    for depth in range(max(depths.values()) + 1):
        level = []
        for code, (chain_code, node) in node_specs.items():
            if depths[code] != depth:
                continue
            level.append(
                Node(
                    chain=chain_by_code[chain_code],
                    segment=_SEGMENTS[code.split("-")[1]],
                    parent=nodes[node.parent] if node.parent else None,
                    code=code,
                    name=node.name,
                    description=node.description,
                    key_technologies=node.key_technologies,
                    position=positions[code],
                )
            )
        for created in bulk_create_with_history(level, Node, default_change_reason=DEMO_REASON):
            nodes[created.code] = created
    counts["nodes"] += len(nodes)

    assessments = [
        NodeAssessment(
            node=nodes[node.code],
            region=regions[region_code],
            level=_LEVELS[letter],
            note=_ASSESSMENT_NOTES[(region_code, _LEVELS[letter])],
        )
        for _, spec in specs
        for node in spec.nodes
        for region_code, letter in zip(REGIONS, node.levels, strict=True)
    ]
    bulk_create_with_history(assessments, NodeAssessment, default_change_reason=DEMO_REASON)
    counts["assessments"] += len(assessments)

    edges = [
        Edge(
            chain=chain_by_code[spec.code],
            source=nodes[edge.source],
            target=nodes[edge.target],
            kind=_EDGE_KINDS[edge.kind],
        )
        for _, spec in specs
        for edge in spec.edges
    ]
    bulk_create_with_history(edges, Edge, default_change_reason=DEMO_REASON)
    counts["edges"] += len(edges)


def _load_clusters(counts: dict[str, int]) -> None:
    existing = set(Cluster.objects.filter(code__in=[spec.code for spec in CLUSTERS]).values_list("code", flat=True))
    chains = {chain.code: chain for chain in Chain.objects.all()}
    for position, spec in enumerate(CLUSTERS, start=1):
        if spec.code in existing:
            continue
        cluster = Cluster.objects.create(
            code=spec.code,
            slug=spec.slug,
            name=spec.name,
            name_en=spec.name_en,
            description=spec.description,
            tier=spec.tier,
            position=position,
        )
        cluster.chains.set([chains[code] for code in spec.chains if code in chains])
        counts["clusters"] += 1


def bottleneck_plan() -> dict[str, tuple[str, str, date]]:
    """code → (mechanism, status, target date) of every demo bottleneck, consistent with projects and challenges.

    A joint-project bottleneck is as far along as its most advanced project, a challenged one
    follows its challenge, the rest take a fixed cycle of covered statuses.
    """
    from_projects: dict[str, list[ProjectSpec]] = defaultdict(list)
    for project in PROJECTS:
        for code in project.bottlenecks:
            from_projects[code].append(project)
    challenges = {challenge.bottleneck: challenge for challenge in CHALLENGES}
    plan: dict[str, tuple[str, str, date]] = {}
    cycle = 0
    for spec in CHAINS:
        for index, bottleneck in enumerate(spec.bottlenecks):
            code = bottleneck_code(spec.code, index)
            mechanism = _MECHANISMS[bottleneck.mechanism]
            projects = from_projects.get(code, [])
            if projects:
                status = max((_FROM_PROJECT[p.status] for p in projects), key=_STATUS_RANK.__getitem__)
                target = max(p.ends_on for p in projects)
            else:
                if code in challenges:
                    status = _FROM_CHALLENGE[challenges[code].status]
                else:
                    status = _STATUS_CYCLE[cycle % len(_STATUS_CYCLE)]
                    cycle += 1
                if status in (BottleneckStatus.BREAKTHROUGH, BottleneckStatus.ACCEPTED):
                    target = date(2026, 6, 30) if index % 2 else date(2026, 9, 30)
                else:
                    year = 2027 + (bottleneck.severity >= 4) + index % 2
                    target = date(year, 6, 30) if index % 3 == 0 else date(year, 12, 31)
            plan[code] = (mechanism, status, target)
    return plan


def _load_bottlenecks(counts: dict[str, int], *, regions: dict[str, Region]) -> None:
    codes = {bottleneck_code(spec.code, index) for spec in CHAINS for index in range(len(spec.bottlenecks))}
    existing = set(Bottleneck.objects.filter(code__in=codes).values_list("code", flat=True))
    if len(existing) == len(codes):
        return
    chains = {chain.code: chain for chain in Chain.objects.filter(code__in=[spec.code for spec in CHAINS])}
    nodes = dict(Node.objects.filter(chain__in=chains.values()).values_list("code", "pk"))
    plan = bottleneck_plan()
    new: list[Bottleneck] = []
    node_codes: list[tuple[str, ...]] = []
    for spec in CHAINS:
        for index, item in enumerate(spec.bottlenecks):
            code = bottleneck_code(spec.code, index)
            if code in existing:
                continue
            mechanism, status, target = plan[code]
            new.append(
                Bottleneck(
                    chain=chains[spec.code],
                    code=code,
                    title=item.title,
                    description=item.description,
                    raised_by=regions[item.raised_by],
                    severity=item.severity,
                    mechanism=mechanism,
                    status=status,
                    target_date=target,
                )
            )
            node_codes.append(item.nodes)
    # The node links are written straight to the through table and their history rows added
    # by hand: .add() would record one extra "changed" history row per bottleneck.
    Bottleneck.objects.bulk_create(new)
    through = Bottleneck.nodes.through
    links = through.objects.bulk_create(
        [
            through(bottleneck_id=bottleneck.pk, node_id=nodes[code])
            for bottleneck, codes_of in zip(new, node_codes, strict=True)
            for code in codes_of
        ]
    )
    history = Bottleneck.history.bulk_history_create(new, default_change_reason=DEMO_REASON)
    history_by_bottleneck = {row.id: row for row in history}
    history_links = Bottleneck.history.model.nodes.model
    history_links.objects.bulk_create(
        [
            history_links(
                history=history_by_bottleneck[link.bottleneck_id],
                id=link.pk,
                bottleneck_id=link.bottleneck_id,
                node_id=link.node_id,
            )
            for link in links
        ]
    )
    counts["bottlenecks"] += len(new)


# --- users ------------------------------------------------------------------------------


def _new_user(spec: UserSpec, password_hash: str) -> Any:
    user_model = get_user_model()
    return user_model.objects.create(
        username=spec.username,
        email=f"{spec.username}@example.cn",
        first_name=spec.first_name,
        last_name=spec.last_name,
        is_staff=spec.is_staff,
        password=password_hash,
    )


def _password_hash() -> str:
    # Hashed once for all demo accounts: they share a published password anyway, and argon2 is slow on purpose.
    return make_password(DEMO_PASSWORD)


def _load_users(counts: dict[str, int], *, regions: dict[str, Region]) -> dict[str, Any]:
    """The joint office, region officials and the subscriber; enterprise members come after the enterprises."""
    user_model = get_user_model()
    specs = [spec for spec in DEMO_USERS if spec.enterprise_region is None]
    existing = {u.get_username(): u for u in user_model.objects.filter(username__in=[s.username for s in specs])}
    missing = [spec for spec in specs if spec.username not in existing]
    password_hash = _password_hash() if missing else ""
    users = dict(existing)
    for spec in missing:
        user = _new_user(spec, password_hash)
        Membership.objects.create(
            user=user,
            role=spec.role,
            region=regions[spec.region] if spec.region else None,
            liaison_level=spec.liaison_level,
            title=spec.title,
        )
        users[spec.username] = user
        counts["users"] += 1
        counts["memberships"] += 1
        if spec.is_staff:
            user.groups.add(_joint_office_group())
        if spec.role == "subscriber":
            subscription = Subscription.objects.create(user=user)
            subscription.chains.set(Chain.objects.filter(code__in=[chain.code for chain in CHAINS]))
            subscription.clusters.set(Cluster.objects.filter(code__in=[cluster.code for cluster in CLUSTERS]))
    return users


def _joint_office_group() -> Group:
    """The admin group of the joint office: every permission on the chain, project and schedule models."""
    group, created = Group.objects.get_or_create(name=JOINT_OFFICE_GROUP)
    if created:
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=JOINT_OFFICE_APPS))
    return group


def _official_of(officials: dict[str, Any], region: str) -> Any | None:
    return officials.get(f"{region.lower()}_official")


def _load_enterprise_members(
    counts: dict[str, int], *, drafts: list[EnterpriseDraft], enterprises: dict[str, Enterprise]
) -> None:
    user_model = get_user_model()
    specs = [spec for spec in DEMO_USERS if spec.enterprise_region is not None]
    existing = set(
        user_model.objects.filter(username__in=[s.username for s in specs]).values_list("username", flat=True)
    )
    missing = [spec for spec in specs if spec.username not in existing]
    if not missing:
        return
    password_hash = _password_hash()
    for spec in missing:
        draft = next(d for d in drafts if d.region == spec.enterprise_region)
        user = _new_user(spec, password_hash)
        Membership.objects.create(
            user=user, role=spec.role, enterprise=enterprises[draft.credit_code], title=spec.title
        )
        counts["users"] += 1
        counts["memberships"] += 1


# --- enterprises ------------------------------------------------------------------------


def _aware(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=_TZ)


def _load_enterprises(
    counts: dict[str, int], *, regions: dict[str, Region], officials: dict[str, Any]
) -> tuple[list[EnterpriseDraft], dict[str, Enterprise]]:
    drafts = demo_enterprise_drafts()
    codes = [draft.credit_code for draft in drafts]
    existing = set(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    new = [draft for draft in drafts if draft.credit_code not in existing]
    if new:
        _create_enterprises(counts, new, regions=regions, officials=officials)
    enterprises = {
        enterprise.credit_code: enterprise for enterprise in Enterprise.objects.filter(credit_code__in=codes)
    }
    return drafts, enterprises


def _create_enterprises(
    counts: dict[str, int],
    drafts: list[EnterpriseDraft],
    *,
    regions: dict[str, Region],
    officials: dict[str, Any],
) -> None:
    subregions = {(sub.region.code, sub.name): sub for sub in SubRegion.objects.select_related("region")}
    nodes = dict(Node.objects.filter(chain__code__in=[spec.code for spec in CHAINS]).values_list("code", "pk"))
    enterprises = bulk_create_with_history(
        [enterprise_from_draft(draft, regions=regions, subregions=subregions) for draft in drafts],
        Enterprise,
        default_change_reason=DEMO_REASON,
    )
    counts["enterprises"] += len(enterprises)

    placements: list[Placement] = []
    profiles: list[CapabilityProfile] = []
    for enterprise, draft in zip(enterprises, drafts, strict=True):
        reviewer = _official_of(officials, draft.region)
        # Spread review times over the first half of 2026 so lists sorted by date look lived-in.
        reviewed = _aware(date(2026, 1, 5) + timedelta(days=draft.index % 170), 10 + draft.index % 7)
        for item in draft.placements:
            confirmed = item.status == "confirmed"
            placements.append(
                Placement(
                    enterprise=enterprise,
                    node_id=nodes[item.node],
                    role=item.role,
                    evidence=item.evidence,
                    status=item.status,
                    reviewed_by=reviewer if confirmed else None,
                    reviewed_at=reviewed if confirmed else None,
                )
            )
        for version, text in enumerate(draft.profiles, start=1):
            profiles.append(
                CapabilityProfile(
                    enterprise=enterprise,
                    version=version,
                    status=ProfileStatus.APPROVED,
                    products=text.products,
                    core_technologies=text.core_technologies,
                    capacity=text.capacity,
                    trl=text.trl,
                    certifications=text.certifications,
                    submitted_at=reviewed - timedelta(days=3),
                    reviewed_at=reviewed,
                    reviewed_by=reviewer,
                )
            )
    bulk_create_with_history(placements, Placement, default_change_reason=DEMO_REASON)
    counts["placements"] += len(placements)
    CapabilityProfile.objects.bulk_create(profiles)
    counts["profiles"] += len(profiles)

    offers: list[SupplyOffer] = []
    needs: list[TechnologyNeed] = []
    drafted = [draft_profile for draft in drafts for draft_profile in draft.profiles]
    for profile, draft_profile in zip(profiles, drafted, strict=True):
        offers.extend(
            SupplyOffer(profile=profile, node_id=nodes[o.node], title=o.title, description=o.description, trl=o.trl)
            for o in draft_profile.offers
        )
        needs.extend(
            TechnologyNeed(
                profile=profile,
                node_id=nodes[n.node],
                title=n.title,
                description=n.description,
                is_bottleneck=n.is_bottleneck,
            )
            for n in draft_profile.needs
        )
    SupplyOffer.objects.bulk_create(offers)
    TechnologyNeed.objects.bulk_create(needs)
    counts["offers"] += len(offers)
    counts["needs"] += len(needs)


# --- leadership and calendars -----------------------------------------------------------


def rotated_order(position: int) -> list[str]:
    """The rotation order of the chain at ``position`` (0-based): each chain starts one region later."""
    base = list(settings.CHAINMAP["ROTATION_ORDER"])
    shift = position % len(base)
    return base[shift:] + base[:shift]


def _load_leadership(counts: dict[str, int]) -> None:
    chains = {chain.code: chain for chain in Chain.objects.filter(code__in=[spec.code for spec in CHAINS])}
    for position, spec in enumerate(CHAINS):
        chain = chains[spec.code]
        rule, created = RotationRule.objects.get_or_create(
            chain=chain,
            defaults={
                "order": ",".join(rotated_order(position)),
                "first_term_starts_on": DEMO_FIRST_TERM_STARTS_ON,
                "term_months": int(settings.CHAINMAP["TERM_MONTHS"]),
            },
        )
        counts["rotation_rules"] += created
        before = LeadershipTerm.objects.filter(chain=chain).count()
        leadership_generate_terms(chain_id=chain.pk, starts_on=rule.first_term_starts_on, until=DEMO_TERMS_UNTIL)
        counts["terms"] += LeadershipTerm.objects.filter(chain=chain).count() - before


def _load_calendars(counts: dict[str, int]) -> None:
    before = CalendarEntry.objects.count()
    for year in DEMO_CALENDAR_YEARS:
        calendar_generate_year(year=year)
    counts["calendar_entries"] += CalendarEntry.objects.count() - before


# --- joint projects and challenges ------------------------------------------------------


class _Picker:
    """Hands out demo enterprises of a chain and region in a fixed order, so picks never depend on the DB."""

    def __init__(self, drafts: list[EnterpriseDraft], *, start: int) -> None:
        self.pools: dict[tuple[str, str], list[EnterpriseDraft]] = defaultdict(list)
        for draft in drafts:
            self.pools[(draft.chain, draft.region)].append(draft)
        self.next: dict[tuple[str, str], int] = defaultdict(lambda: start)

    def take(self, chain: str, region: str) -> EnterpriseDraft:
        pool = self.pools[(chain, region)]
        index = self.next[(chain, region)]
        self.next[(chain, region)] = index + 1
        return pool[index % len(pool)]


def _participants(project: ProjectSpec, picker: _Picker) -> list[tuple[str, str, str | None, bool]]:
    """(unit name, region, credit code or None, is lead) for one project: Beijing's research units lead
    Beijing-led projects, enterprises lead the others; every partner region sends an enterprise."""
    institute = INSTITUTES[project.chain][project.lead_region]
    lead_enterprise = picker.take(project.chain, project.lead_region)
    rows: list[tuple[str, str, str | None, bool]]
    if project.lead_region == "BJ":
        rows = [(institute, "BJ", None, True), (lead_enterprise.name, "BJ", lead_enterprise.credit_code, False)]
    else:
        rows = [
            (lead_enterprise.name, project.lead_region, lead_enterprise.credit_code, True),
            (institute, project.lead_region, None, False),
        ]
    for region in project.partners:
        partner = picker.take(project.chain, region)
        rows.append((partner.name, region, partner.credit_code, False))
    return rows


def _milestones(project: ProjectSpec, index: int) -> list[dict[str, Any]]:
    count = 3 + index % 3
    titles = {3: (0, 2, 4), 4: (0, 1, 2, 4), 5: (0, 1, 2, 3, 4)}[count]
    span = (project.ends_on - project.starts_on).days
    done = project.status in ("completed", "accepted")
    rows = []
    previous_due = project.starts_on
    partial_given = False
    for position, title_index in enumerate(titles, start=1):
        due = project.starts_on + timedelta(days=span * position // count)
        if done or due <= PROGRESS_AS_OF:
            progress, completed_on = 100, max(project.starts_on, due - timedelta(days=5))
        elif not partial_given and project.starts_on <= PROGRESS_AS_OF:
            window = max((due - previous_due).days, 1)
            elapsed = (PROGRESS_AS_OF - previous_due).days
            progress, completed_on = min(90, max(5, 100 * elapsed // window)), None
            partial_given = True
        else:
            progress, completed_on = 0, None
        rows.append(
            {
                "position": position,
                "title": MILESTONE_TITLES[title_index],
                "due_on": due,
                "weight": 1 if title_index in (0, 4) else 2,
                "progress": progress,
                "completed_on": completed_on,
            }
        )
        previous_due = due
    return rows


def _load_projects(
    counts: dict[str, int], *, drafts: list[EnterpriseDraft], enterprises: dict[str, Enterprise]
) -> None:
    regions = {region.code: region for region in Region.objects.all()}
    chains = {chain.code: chain for chain in Chain.objects.filter(code__in=[spec.code for spec in CHAINS])}
    bottlenecks = dict(Bottleneck.objects.filter(code__startswith="KD-").values_list("code", "pk"))

    batches = {}
    for spec in BATCHES:
        batch, created = Batch.objects.get_or_create(
            number=spec.number,
            defaults={"name": spec.name, "launched_on": spec.launched_on, "description": spec.description},
        )
        batches[spec.number] = batch
        counts["batches"] += created

    existing = set(JointProject.objects.filter(code__in=[p.code for p in PROJECTS]).values_list("code", flat=True))
    picker = _Picker(drafts, start=0)
    plans = [(index, spec, _participants(spec, picker)) for index, spec in enumerate(PROJECTS)]
    plans = [plan for plan in plans if plan[1].code not in existing]
    if not plans:
        return
    projects = JointProject.objects.bulk_create(
        [
            JointProject(
                batch=batches[spec.batch],
                code=spec.code,
                title=spec.title,
                description=spec.description,
                chain=chains[spec.chain],
                lead_unit=next(unit for unit, _, _, lead in rows if lead),
                lead_region=regions[spec.lead_region],
                budget=Decimal(spec.budget),
                starts_on=spec.starts_on,
                ends_on=spec.ends_on,
                status=spec.status,
                accepted_on=spec.accepted_on,
            )
            for _, spec, rows in plans
        ]
    )
    through = JointProject.bottlenecks.through
    through.objects.bulk_create(
        [
            through(jointproject_id=project.pk, bottleneck_id=bottlenecks[code])
            for project, (_, spec, _) in zip(projects, plans, strict=True)
            for code in spec.bottlenecks
        ]
    )
    participants = [
        Participant(
            project=project,
            enterprise=enterprises.get(code) if code else None,
            unit_name=unit,
            region=regions[region],
            role="lead" if lead else "participant",
        )
        for project, (_, _, rows) in zip(projects, plans, strict=True)
        for unit, region, code, lead in rows
    ]
    Participant.objects.bulk_create(participants)
    milestones = [
        Milestone(project=project, **row)
        for project, (index, spec, _) in zip(projects, plans, strict=True)
        for row in _milestones(spec, index)
    ]
    Milestone.objects.bulk_create(milestones)
    counts["projects"] += len(projects)
    counts["participants"] += len(participants)
    counts["milestones"] += len(milestones)


def _applications(
    challenge: ChallengeSpec, picker: _Picker, chain: str
) -> list[tuple[EnterpriseDraft, str, int | None, EnterpriseDraft | None]]:
    """(applicant, status, index of the phase reached or None, consortium partner or None) per application."""
    order = ("BJ", "TJ", "HE", "TJ", "HE")
    if challenge.mechanism == "jiebang":
        outcomes = {
            "awarded": ["won", "rejected", "rejected"],
            "reviewing": ["shortlisted", "shortlisted", "rejected"],
            "published": ["submitted", "submitted"],
        }[challenge.status]
        statuses: list[tuple[str, int | None]] = [(outcome, None) for outcome in outcomes]
    elif challenge.status == "awarded":
        passed = sum(1 for _, gate in challenge.phases if gate <= PROGRESS_AS_OF)
        reached = passed - 1 if passed else None
        statuses = [("funded", reached)] * challenge.max_funded_teams + [("eliminated", 0), ("rejected", None)]
    else:
        statuses = [("submitted", None)] * (challenge.max_funded_teams + 1)
    rows = []
    for index, (status, phase) in enumerate(statuses):
        region = order[index % len(order)]
        applicant = picker.take(chain, region)
        partner = picker.take(chain, order[(index + 1) % 3]) if challenge.mechanism == "saima" else None
        rows.append((applicant, status, phase, partner))
    return rows


def _load_challenges(
    counts: dict[str, int],
    *,
    drafts: list[EnterpriseDraft],
    enterprises: dict[str, Enterprise],
    officials: dict[str, Any],
) -> None:
    existing = set(Challenge.objects.filter(code__in=[c.code for c in CHALLENGES]).values_list("code", flat=True))
    bottlenecks = {b.code: b for b in Bottleneck.objects.filter(code__in=[c.bottleneck for c in CHALLENGES])}
    # Challenges draw applicants from further down each pool than the projects do.
    picker = _Picker(drafts, start=5)
    plans = []
    for spec in CHALLENGES:
        chain = spec.bottleneck.split("-")[1]
        plans.append((spec, _applications(spec, picker, chain)))
    for spec, rows in plans:
        if spec.code in existing:
            continue
        bottleneck = bottlenecks[spec.bottleneck]
        suffix = "揭榜挂帅" if spec.mechanism == "jiebang" else "赛马攻关"
        challenge = Challenge.objects.create(
            bottleneck=bottleneck,
            code=spec.code,
            mechanism=spec.mechanism,
            title=f"{bottleneck.title}{suffix}",
            description=f"面向京津冀公开征集“{bottleneck.title}”攻关团队。{bottleneck.description}",
            budget=Decimal(spec.budget),
            max_funded_teams=spec.max_funded_teams,
            status=spec.status,
            published_on=spec.published_on,
            deadline=spec.deadline,
            published_by=_official_of(officials, bottleneck.raised_by.code) or officials.get("lianhe"),
        )
        phases = ChallengePhase.objects.bulk_create(
            [
                ChallengePhase(challenge=challenge, position=position, name=name, gate_on=gate)
                for position, (name, gate) in enumerate(spec.phases, start=1)
            ]
        )
        rng = random.Random(spec.code)
        applications = Application.objects.bulk_create(
            [
                Application(
                    challenge=challenge,
                    enterprise=enterprises[applicant.credit_code],
                    team_lead=_team_lead(rng),
                    proposal=(
                        f"依托{applicant.name}在{bottleneck.title}相关方向的技术积累，"
                        f"提出分阶段攻关方案：先完成关键工艺验证，再研制工程样机，"
                        f"{rng.randint(18, 36)}个月内达到用户单位验收指标。"
                    ),
                    status=status,
                    phase_reached=phases[phase] if phase is not None and phases else None,
                )
                for applicant, status, phase, _ in rows
            ]
        )
        through = Application.consortium.through
        through.objects.bulk_create(
            [
                through(application_id=application.pk, enterprise_id=enterprises[partner.credit_code].pk)
                for application, (applicant, _, _, partner) in zip(applications, rows, strict=True)
                if partner is not None and partner.credit_code != applicant.credit_code
            ]
        )
        counts["challenges"] += 1
        counts["applications"] += len(applications)


def _team_lead(rng: random.Random) -> str:
    name = rng.choice("王李张刘陈杨赵黄周吴徐孙") + rng.choice("建志海文晓立国明") + rng.choice("华伟强军峰涛宁斌")
    return f"{name}（{rng.choice(('教授', '研究员', '正高级工程师', '首席科学家'))}）"


def demo_logins() -> list[dict[str, str]]:
    """The demo logins for the README / ``load_demo`` table: username, role, what they belong to."""
    user_model = get_user_model()
    users = {
        user.get_username(): user
        for user in user_model.objects.filter(username__in=[s.username for s in DEMO_USERS]).select_related(
            "membership__region", "membership__enterprise"
        )
    }
    rows = []
    for spec in DEMO_USERS:
        user = users.get(spec.username)
        membership = getattr(user, "membership", None) if user is not None else None
        if membership is None:
            continue
        if membership.enterprise is not None:
            belongs = membership.enterprise.name
        elif membership.region is not None:
            belongs = f"{membership.region.name}（{membership.get_liaison_level_display()}）"
        else:
            belongs = "—"
        rows.append(
            {
                "username": spec.username,
                "role": str(membership.get_role_display()),
                "belongs_to": belongs,
                "password": DEMO_PASSWORD,
            }
        )
    return rows
