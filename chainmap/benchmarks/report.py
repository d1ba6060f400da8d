"""Report benchmark: build a round's report (snapshot + HTML + PDF + XLSX) over synthetic data.

The data is written into the database inside a transaction that is rolled back at the end (and the
files into a temporary media directory), so the benchmark leaves nothing behind. Two rounds: one
the size of a demo chain, and a large one: top-20 candidates for 130 bottlenecks and 200 needs on a
200-node chain. Target (issue 5): under 15 s for the large round.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.test.utils import override_settings

TARGET_SECONDS = 15.0
WORDS = ("质子交换膜", "催化剂", "双极板", "膜电极", "电堆", "储氢瓶", "电解槽", "碳纸", "控制器", "传感器", "减速器")


@dataclass(frozen=True)
class Size:
    label: str
    nodes: int
    bottlenecks: int
    needs: int
    enterprises: int
    top_n: int = 20


SIZES = (
    Size("demo chain", nodes=36, bottlenecks=18, needs=60, enterprises=300),
    Size("large round", nodes=200, bottlenecks=130, needs=200, enterprises=2000),
)


@dataclass
class Row:
    label: str
    targets: int
    matches: int
    seconds: float
    cpu_seconds: float
    pdf_kib: float
    xlsx_kib: float
    status: str
    passed: bool | None


class _Rollback(Exception):
    pass


def _credit_code(rng: random.Random, index: int) -> str:
    return f"91{index:08d}{rng.randrange(10**7):07d}X"[:18]


def _populate(size: Size, seed: int = 5) -> int:
    from chainmap import models as m

    rng = random.Random(seed)
    regions = []
    for position, (code, name, stage) in enumerate(
        (("BJ", "北京", "research"), ("TJ", "天津", "conversion"), ("HE", "河北", "scale"))
    ):
        region, _created = m.Region.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": code, "stage": stage, "role": "-", "position": position}
        )
        regions.append(region)
    chain = m.Chain.objects.create(code="BENCHR", slug="benchmark-report", name="基准测试链", position=99)
    nodes = m.Node.objects.bulk_create(
        m.Node(
            chain=chain,
            segment=("up", "mid", "down")[i % 3],
            code=f"BR-N-{i:04d}",
            name=f"{rng.choice(WORDS)}{i}",
            position=i,
        )
        for i in range(size.nodes)
    )
    m.Edge.objects.bulk_create(
        m.Edge(chain=chain, source=nodes[i], target=nodes[i + 1], kind="component") for i in range(len(nodes) - 1)
    )
    m.NodeAssessment.objects.bulk_create(
        m.NodeAssessment(node=node, region=region, level=rng.choice(("strong", "present", "weak", "empty")))
        for node in nodes
        for region in regions
    )
    enterprises = m.Enterprise.objects.bulk_create(
        m.Enterprise(
            credit_code=_credit_code(rng, i), name=f"基准{rng.choice(WORDS)}科技有限公司{i}", region=rng.choice(regions)
        )
        for i in range(size.enterprises)
    )
    m.Placement.objects.bulk_create(
        m.Placement(enterprise=enterprise, node=rng.choice(nodes), status="confirmed") for enterprise in enterprises
    )
    profiles = m.CapabilityProfile.objects.bulk_create(
        m.CapabilityProfile(enterprise=enterprise, status="approved", products=rng.choice(WORDS), trl=rng.randint(1, 9))
        for enterprise in enterprises
    )
    bottlenecks = m.Bottleneck.objects.bulk_create(
        m.Bottleneck(
            chain=chain, code=f"BR-KD-{i:04d}", title=f"{rng.choice(WORDS)}卡点{i}", raised_by=rng.choice(regions)
        )
        for i in range(size.bottlenecks)
    )
    m.Bottleneck.nodes.through.objects.bulk_create(
        m.Bottleneck.nodes.through(bottleneck=b, node=rng.choice(nodes)) for b in bottlenecks
    )
    needs = m.TechnologyNeed.objects.bulk_create(
        m.TechnologyNeed(profile=rng.choice(profiles), node=rng.choice(nodes), title=f"{rng.choice(WORDS)}需求{i}")
        for i in range(size.needs)
    )
    matching_round = m.MatchingRound.objects.create(
        kind="chain_month", period=dt.date(2099, 1, 1), chain=chain, status="matched"
    )
    matches = []
    targets: list[tuple[m.Bottleneck | None, m.TechnologyNeed | None]] = [
        *((bottleneck, None) for bottleneck in bottlenecks),
        *((None, need) for need in needs),
    ]
    for bottleneck, need in targets:
        for rank, profile in enumerate(rng.sample(profiles, size.top_n), start=1):
            matches.append(
                m.Match(
                    round=matching_round,
                    bottleneck=bottleneck,
                    need=need,
                    profile=profile,
                    enterprise_id=profile.enterprise_id,
                    rank=rank,
                    score=round(1 - rank / 40, 4),
                    components={"text": 0.4, "structure": 0.6, "region": 0.8, "qualification": 0.3, "trl": 0.7},
                    matched_terms=rng.sample(WORDS, 3),
                )
            )
    m.Match.objects.bulk_create(matches, batch_size=2000)
    return matching_round.pk


def run(*, sizes: tuple[int, ...] | None = None) -> list[Row]:
    """One row per round size. ``sizes`` (from ``--sizes``) are total target counts, split 130:200."""
    from chainmap.reports.services.reports import report_build

    chosen: tuple[Size, ...] = SIZES
    if sizes:
        chosen = tuple(
            Size(
                f"{n} targets",
                nodes=200,
                bottlenecks=max(1, n * 130 // 330),
                needs=max(1, n - n * 130 // 330),
                enterprises=2000,
            )
            for n in sizes
        )
    rows: list[Row] = []
    for size in chosen:
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            try:
                with transaction.atomic():
                    round_id = _populate(size)
                    started, cpu_started = time.perf_counter(), time.process_time()
                    report = report_build(round_id=round_id)
                    seconds = time.perf_counter() - started
                    cpu_seconds = time.process_time() - cpu_started
                    rows.append(
                        Row(
                            label=size.label,
                            targets=size.bottlenecks + size.needs,
                            matches=(size.bottlenecks + size.needs) * size.top_n,
                            seconds=round(seconds, 2),
                            cpu_seconds=round(cpu_seconds, 2),
                            pdf_kib=round(report.pdf.size / 1024, 1) if report.pdf else 0.0,
                            xlsx_kib=round(report.xlsx.size / 1024, 1) if report.xlsx else 0.0,
                            status=report.status,
                            passed=report.status == "ready" and seconds < TARGET_SECONDS,
                        )
                    )
                    raise _Rollback
            except _Rollback:
                pass
    return rows


def table(rows: list[Any]) -> str:
    header = (
        f"{'round':<14} {'targets':>7} {'matches':>7} {'build s':>8} {'cpu s':>6} {'PDF KiB':>8} {'XLSX KiB':>8}"
        "  status  target"
    )
    lines = [
        "Report: snapshot + HTML + PDF + XLSX of one round (target < 15 s for 130 bottlenecks + 200 needs, top-20)",
        header,
    ]
    for row in rows:
        verdict = "ok" if row.passed else "MISSED"
        lines.append(
            f"{row.label:<14} {row.targets:>7} {row.matches:>7} {row.seconds:>8.2f} {row.cpu_seconds:>6.2f}"
            f" {row.pdf_kib:>8.0f} {row.xlsx_kib:>8.0f}  {row.status:<6}  {verdict}"
        )
    return "\n".join(lines)
