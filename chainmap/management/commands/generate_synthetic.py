"""``manage.py generate_synthetic``: bulk sample enterprises and capability profiles for benchmarks.

Rows go in in batches, one transaction per batch, without history records: this is load-test data,
not chain history. On PostgreSQL each batch is written with COPY (ids taken from the sequences
first), about five times faster than ``bulk_create``'s multi-row INSERTs, whose SQL compilation and
parsing dominate at 200,000 enterprises; elsewhere with ``bulk_create``. Every enterprise is complete
when its batch commits (placements, profiles, offers, needs), so an interrupted run leaves
consistent data.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from collections import defaultdict
from datetime import timedelta
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from chainmap.demo.chains import CHAINS, CHAINS_BY_CODE
from chainmap.demo.enterprises import (
    ChainInfo,
    EnterpriseDraft,
    EnterpriseGenerator,
    NodeInfo,
    make_credit_code,
    split_technologies,
    synthetic_organization_body,
)
from chainmap.demo.loading import demo_chains_loaded, demo_load_chains, enterprise_from_draft
from chainmap.demo.regions import REGION_CODES
from chainmap.maps import summaries
from chainmap.models import (
    Bottleneck,
    CapabilityProfile,
    Chain,
    Edge,
    Enterprise,
    Node,
    NodeAssessment,
    Placement,
    ProfileStatus,
    Region,
    SubRegion,
    SupplyOffer,
    TechnologyNeed,
)

# Share of profiles that also carry a technology need.
NEED_SHARE = 0.4


class Command(BaseCommand):
    help = "Bulk-insert synthetic enterprises, placements and approved capability profiles (benchmark data)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--enterprises", type=int, required=True, help="Number of enterprises to create.")
        parser.add_argument(
            "--profiles",
            type=int,
            default=None,
            help="Number of capability profiles (default: one per enterprise). More than --enterprises makes "
            "older superseded versions; the newest version of each enterprise is approved.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same data on a fresh DB).")
        parser.add_argument("--batch-size", type=int, default=5000, help="Enterprises per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["enterprises"]
        profile_count: int = count if options["profiles"] is None else options["profiles"]
        seed: int = options["seed"]
        batch_size: int = options["batch_size"]
        if count < 0 or profile_count < 0:
            raise CommandError("--enterprises and --profiles must not be negative.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if profile_count and not count:
            raise CommandError("--profiles needs --enterprises: profiles belong to enterprises.")

        started = time.monotonic()
        if not demo_chains_loaded():
            self.stdout.write("The demo chains are missing: loading regions, chains, nodes and bottlenecks first.")
            demo_load_chains()
        chains, node_ids = _chain_infos()
        regions = {region.code: region for region in Region.objects.all()}
        subregions = {(sub.region.code, sub.name): sub for sub in SubRegion.objects.select_related("region")}
        generator = EnterpriseGenerator(chains=list(chains.values()), seed=seed)
        codes = _CodeSource(seed=seed, existing=set(Enterprise.objects.values_list("credit_code", flat=True)))
        chain_codes = list(chains)
        base, extra = divmod(profile_count, count) if count else (0, 0)

        totals: dict[str, int] = defaultdict(int)
        for start in range(0, count, batch_size):
            drafts = []
            for index in range(start, min(start + batch_size, count)):
                versions = base + (1 if index < extra else 0)
                draft = generator.draft(
                    index=index,
                    chain_code=chain_codes[index % len(chain_codes)],
                    region=REGION_CODES[(index // len(chain_codes)) % len(REGION_CODES)],
                    organization_body=codes.peek_body(),
                    profile_count=versions,
                    need_probability=NEED_SHARE,
                    max_offers=1,
                )
                draft.credit_code = codes.claim(division_code=draft.credit_code[2:8])
                drafts.append(draft)
            with transaction.atomic():
                _insert(drafts, regions=regions, subregions=subregions, node_ids=node_ids, totals=totals)
            self.stdout.write(
                f"  {totals['enterprises']:>9,}/{count:,} enterprises · {totals['profiles']:,} profiles · "
                f"{time.monotonic() - started:.1f}s"
            )
            self.stdout.flush()
        if totals:
            summaries.bump_all()  # COPY and bulk_create fire no signal: the pages' counts move here
        if totals and connection.vendor == "postgresql":
            # As autovacuum would after a bulk load, so the pages see fresh statistics at once.
            with connection.cursor() as cursor:
                written = (Enterprise, Placement, CapabilityProfile, SupplyOffer, TechnologyNeed)
                cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in written))
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{key} {value:,}" for key, value in totals.items())
        self.stdout.write(self.style.SUCCESS(f"Created {summary or 'nothing'} in {elapsed:.1f}s."))


class _CodeSource:
    """Unique organization codes: a scrambled serial per firm, skipping codes already in the database."""

    def __init__(self, *, seed: int, existing: set[str]) -> None:
        self.existing = existing
        self.serial = seed * 7_777_777
        self._body = self._next_body()

    def _next_body(self) -> str:
        self.serial += 1
        return synthetic_organization_body(self.serial)

    def peek_body(self) -> str:
        return self._body

    def claim(self, *, division_code: str) -> str:
        code = make_credit_code(division_code=division_code, organization_body=self._body)
        while code in self.existing:
            self._body = self._next_body()
            code = make_credit_code(division_code=division_code, organization_body=self._body)
        self.existing.add(code)
        self._body = self._next_body()
        return code


def _chain_infos() -> tuple[dict[str, ChainInfo], dict[str, int]]:
    """The demo chains as they are in the database now (nodes, assessments, bottlenecks, edges)."""
    chains = list(Chain.objects.filter(code__in=[spec.code for spec in CHAINS]).order_by("position", "code"))
    nodes = list(
        Node.objects.filter(chain__in=chains).values_list("pk", "code", "name", "key_technologies", "chain__code")
    )
    levels: dict[int, dict[str, str]] = defaultdict(dict)
    for node_id, region_code, level in NodeAssessment.objects.filter(node__chain__in=chains).values_list(
        "node_id", "region__code", "level"
    ):
        levels[node_id][region_code] = level
    titles: dict[int, list[str]] = defaultdict(list)
    for node_id, title in Bottleneck.nodes.through.objects.filter(node__chain__in=chains).values_list(
        "node_id", "bottleneck__title"
    ):
        titles[node_id].append(title)
    suppliers: dict[int, list[str]] = defaultdict(list)
    for target_id, source_code in Edge.objects.filter(chain__in=chains).values_list("target_id", "source__code"):
        suppliers[target_id].append(source_code)
    by_chain: dict[str, list[NodeInfo]] = defaultdict(list)
    for pk, code, name, technologies, chain_code in nodes:
        by_chain[chain_code].append(
            NodeInfo(
                code=code,
                name=name,
                technologies=split_technologies(technologies),
                levels={region: levels[pk].get(region, "present") for region in REGION_CODES},
                bottlenecks=tuple(titles[pk]),
                suppliers=tuple(suppliers[pk]),
            )
        )
    infos = {}
    for chain in chains:
        spec = CHAINS_BY_CODE[chain.code]
        chain_nodes = tuple(by_chain[chain.code])
        if not chain_nodes:
            continue
        infos[chain.code] = ChainInfo(
            code=chain.code,
            name=chain.name,
            nodes=chain_nodes,
            brand_words=spec.brand_words,
            industry_words=spec.industry_words,
            certifications=spec.certifications,
            capacity_unit=spec.capacity_unit,
        )
    if not infos:
        raise CommandError("The demo chains have no nodes to place enterprises on.")
    return infos, {code: pk for pk, code, *_ in nodes}


def _insert(
    drafts: list[EnterpriseDraft],
    *,
    regions: dict[str, Region],
    subregions: dict[tuple[str, str], SubRegion],
    node_ids: dict[str, int],
    totals: dict[str, int],
) -> None:
    enterprises = _save(
        Enterprise, [enterprise_from_draft(draft, regions=regions, subregions=subregions) for draft in drafts]
    )
    placements = [
        Placement(
            enterprise_id=enterprise.pk,
            node_id=node_ids[item.node],
            role=item.role,
            evidence=item.evidence,
            status=item.status,
        )
        for enterprise, draft in zip(enterprises, drafts, strict=True)
        for item in draft.placements
    ]
    _save(Placement, placements)

    now = timezone.now()
    profiles: list[CapabilityProfile] = []
    texts = []
    for enterprise, draft in zip(enterprises, drafts, strict=True):
        last = len(draft.profiles)
        for version, profile in enumerate(draft.profiles, start=1):
            # Older versions were approved once and superseded by the next: at most one approved per firm.
            reviewed = now - timedelta(days=90 * (last - version))
            profiles.append(
                CapabilityProfile(
                    enterprise_id=enterprise.pk,
                    version=version,
                    status=ProfileStatus.APPROVED if version == last else ProfileStatus.SUPERSEDED,
                    products=profile.products,
                    core_technologies=profile.core_technologies,
                    capacity=profile.capacity,
                    trl=profile.trl,
                    certifications=profile.certifications,
                    submitted_at=reviewed - timedelta(days=3),
                    reviewed_at=reviewed,
                )
            )
            texts.append(profile)
    _save(CapabilityProfile, profiles)
    offers = [
        SupplyOffer(
            profile_id=profile.pk, node_id=node_ids[o.node], title=o.title, description=o.description, trl=o.trl
        )
        for profile, text in zip(profiles, texts, strict=True)
        for o in text.offers
    ]
    needs = [
        TechnologyNeed(
            profile_id=profile.pk,
            node_id=node_ids[n.node],
            title=n.title,
            description=n.description,
            is_bottleneck=n.is_bottleneck,
        )
        for profile, text in zip(profiles, texts, strict=True)
        for n in text.needs
    ]
    _save(SupplyOffer, offers)
    _save(TechnologyNeed, needs)
    totals["enterprises"] += len(enterprises)
    totals["placements"] += len(placements)
    totals["profiles"] += len(profiles)
    totals["offers"] += len(offers)
    totals["needs"] += len(needs)


_M = TypeVar("_M", bound=models.Model)


def _save(model: type[_M], objs: list[_M]) -> list[_M]:
    """Insert ``objs`` (unsaved, without pks) and give them their pks, like ``bulk_create``."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)  # ``objects``, each model's only manager
    fields = list(model._meta.concrete_fields)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # Take the ids from the sequence first: COPY returns nothing, and the objects need their pks.
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
        first = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [first + len(objs) - 1])
        now = timezone.now()
        for offset, obj in enumerate(objs):
            obj.pk = first + offset
            obj._state.adding = False
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        convert = [_converter(field, now) for field in fields]
        attnames = [field.attname for field in fields]
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                values = obj.__dict__
                copy.write_row([fn(values[name]) for fn, name in zip(convert, attnames, strict=True)])
    return objs


def _converter(field: models.Field, now: Any) -> Any:
    """How one column's value goes into COPY: timestamps as ``bulk_create`` sets them, JSON as text."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda _value: now
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, ensure_ascii=False)
    return lambda value: value
