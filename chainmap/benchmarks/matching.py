"""Benchmark of the matching engine against a naive per-pair Python loop, on synthetic tokens.

``run()`` returns one row per size; the ``benchmark`` management command prints them. The data is
made in memory (deterministic seed): a vocabulary of a few thousand Chinese terms drawn with a
Zipf-like law, 20–60 tokens per profile, targets of 8–30 tokens on a chain of 200 nodes.
"""

from __future__ import annotations

import math
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from chainmap.matching.services.engine import (
    BOTTLENECK,
    NEED,
    QUALIFICATION_WEIGHTS,
    Candidate,
    CandidateTable,
    ChainStructure,
    Target,
    Weights,
    rank_candidates,
    region_fit,
    trl_fit,
)

# What a benchmark ranks: targets, candidates (a list, or the packed table loaded from the database), structure.
Inputs = tuple[list[Target], list[Candidate] | CandidateTable, ChainStructure]

SEED = 20260101
TOP_N = 20
_HEADS_TEXT = (
    "质子 氢 燃料 电池 膜 电极 催化 双极 储氢 加氢 电解 碳纤维 复合 高压 液氢 管道 压缩 阀门 传感 控制 芯片 算法 "
    "软件 工业 互联网 安全 数控 机床 主轴 导轨 伺服 减速 机器人 视觉 激光 光学 检测 仪器 生物 医药 抗体 疫苗 细胞 "
    "基因 试剂 诊断 影像 电池 电机 电控 智能 网联 雷达 自动 驾驶 固态 锂 钠 硅 碳化硅 氮化镓 封装 晶圆 光刻 刻蚀 "
    "薄膜 涂层 合金 陶瓷 高分子 纳米 石墨烯 稀土 永磁 轴承 液压 气动 密封 泵 热管理 散热 冷却 储能 逆变 变流"
)
_TAILS_TEXT = (
    "材料 技术 工艺 设备 系统 模组 组件 器件 平台 装置 单元 模块 方法 结构 制备 测试 检测 控制 优化 集成 "
    "设计 仿真 制造 装配 回收 标定 建模 评估 认证 管理"
)
_HEADS = list(dict.fromkeys(_HEADS_TEXT.split()))
_TAILS = _TAILS_TEXT.split()
_NODE_COUNT = 200


def _vocabulary(rng: random.Random) -> list[str]:
    terms = [head + tail for head in _HEADS for tail in _TAILS]  # ~3,000 compound terms
    terms += _HEADS + _TAILS
    rng.shuffle(terms)
    return terms


def _sampler(rng: random.Random, vocabulary: list[str]):
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(vocabulary))]  # Zipf-like: a few common terms
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)

    def draw(k: int) -> list[str]:
        return rng.choices(vocabulary, cum_weights=cumulative, k=k)

    return draw


def synthetic(
    *, profiles: int, bottlenecks: int, needs: int, seed: int = SEED
) -> tuple[list[Target], list[Candidate], ChainStructure]:
    rng = random.Random(seed)
    draw = _sampler(rng, _vocabulary(rng))
    nodes = [(i, None if i < 20 else rng.randrange(0, i)) for i in range(_NODE_COUNT)]
    edges = sorted(
        {(a, b) for a, b in ((rng.randrange(_NODE_COUNT), rng.randrange(_NODE_COUNT)) for _ in range(400)) if a != b}
    )
    structure = ChainStructure.build(nodes=nodes, edges=edges)
    regions = ("BJ", "TJ", "HE")
    qualifications = list(QUALIFICATION_WEIGHTS)
    candidates = [
        Candidate(
            profile_id=i + 1,
            offer_id=None,
            enterprise_id=i + 1,
            region_code=rng.choice(regions),
            node_ids=tuple(sorted(rng.sample(range(_NODE_COUNT), rng.choice((1, 1, 1, 2, 3))))),
            tokens=draw(rng.randint(20, 60)),
            trl=rng.randint(1, 9),
            qualifications=frozenset(q for q in qualifications if rng.random() < 0.08),
        )
        for i in range(profiles)
    ]
    targets = [
        Target(
            kind=BOTTLENECK,
            id=i + 1,
            node_ids=(rng.randrange(_NODE_COUNT),),
            tokens=draw(rng.randint(8, 30)),
            region_code=rng.choice(regions),
        )
        for i in range(bottlenecks)
    ]
    targets += [
        Target(
            kind=NEED,
            id=i + 1,
            node_ids=(rng.randrange(_NODE_COUNT),),
            tokens=draw(rng.randint(8, 30)),
            region_code=rng.choice(regions),
            enterprise_id=rng.randint(1, max(profiles, 1)),
            wanted_trl=rng.choice((None, 4, 6, 7)),
        )
        for i in range(needs)
    ]
    return targets, candidates, structure


def naive(
    *,
    targets: list[Target],
    candidates: list[Candidate],
    structure: ChainStructure,
    weights: Weights,
    top_n: int = TOP_N,
    only: int | None = None,
    timings: dict[str, float] | None = None,
) -> dict[tuple[str, int], list[tuple[float, int, int, int]]]:
    """The same scores, computed pair by pair in Python (the baseline the engine must beat).

    IDF comes from all candidates and targets, like the engine's; ``only`` scores just the first
    targets (to time a sample); ``timings["prepare_s"]`` gets the time spent before the pair loop."""
    started = time.perf_counter()
    docs = [c.tokens for c in candidates] + [t.tokens for t in targets]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(doc))
    n = len(docs)
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}

    def vector(tokens) -> dict[str, float]:
        v = {term: (1 + math.log(tf)) * idf[term] for term, tf in Counter(tokens).items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {term: x / norm for term, x in v.items()}

    cvecs = [vector(c.tokens) for c in candidates]
    if timings is not None:
        timings["prepare_s"] = time.perf_counter() - started
    result = {}
    for target in targets[:only]:
        tvec = vector(target.tokens)
        node_weights = structure.node_weights(target.node_ids)
        scored = []
        for c, cvec in zip(candidates, cvecs, strict=True):
            if target.kind == NEED and c.enterprise_id == target.enterprise_id:
                continue
            text = sum(x * cvec.get(term, 0.0) for term, x in tvec.items())
            struct = max((node_weights.get(node, 0.0) for node in c.node_ids), default=0.0)
            if text <= 0 and struct <= 0:
                continue
            qual = max((QUALIFICATION_WEIGHTS.get(q, 0.0) for q in c.qualifications), default=0.0)
            score = (
                weights.text * text
                + weights.structure * struct
                + weights.region * region_fit(target.region_code, c.region_code)
                + weights.qualification * qual
                + weights.trl * trl_fit(kind=target.kind, wanted_trl=target.wanted_trl, trl=c.trl)
            )
            scored.append((-round(score, 9), c.enterprise_id, c.profile_id, -1 if c.offer_id is None else c.offer_id))
        scored.sort()
        result[target.key] = scored[:top_n]
    return result


def _maxrss_mib() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / (1024 * 1024) if sys.platform == "darwin" else usage / 1024


def run(
    *,
    sizes: tuple[int, ...] = (10_000, 100_000, 300_000),
    bottlenecks: int = 130,
    needs: int = 200,
    naive_budget_pairs: int = 2_000_000,
    measure_memory: bool = True,
    database: bool | None = None,
) -> list[dict[str, Any]]:
    """Per size: the engine on in-memory tokens, then (``database``) end to end from PostgreSQL —
    ``matching_inputs`` loading the stored tokens of one benchmark chain, then ranking — each with
    time, peak memory and the naive loop on the same inputs (extrapolated when large)."""
    from django.conf import settings

    from chainmap.matching.services.loading import matching_inputs

    if database is None:
        # The database rows store benchmark chains (COPY): PostgreSQL only, and only where the command points.
        database = settings.IS_POSTGRES
    weights = Weights()
    rows: list[dict[str, Any]] = []
    for size in sizes:
        sources: list[tuple[str, Callable[[], Inputs]]] = [
            ("memory", partial(synthetic, profiles=size, bottlenecks=bottlenecks, needs=needs))
        ]
        if database:
            chain_id = seed_db(size=size, bottlenecks=bottlenecks, needs=needs)
            sources.append(("database", partial(matching_inputs, chain_ids=[chain_id])))
        for source, load in sources:
            rows.append(
                _measure(
                    source=source,
                    load=load,
                    size=size,
                    weights=weights,
                    naive_budget_pairs=naive_budget_pairs,
                    measure_memory=measure_memory,
                )
            )
    return rows


def _measure(
    *, source: str, load: Any, size: int, weights: Weights, naive_budget_pairs: int, measure_memory: bool
) -> dict[str, Any]:
    """Time (and peak traced memory of) loading the inputs — the database case only; in memory they
    are given — plus ranking; then the naive loop on the same inputs."""
    from_db = source == "database"

    def engine() -> tuple[Any, Any, Any, Any, float]:
        started = time.perf_counter()
        targets, candidates, structure = load()
        load_s = time.perf_counter() - started
        ranking = rank_candidates(
            targets=targets, candidates=candidates, structure=structure, weights=weights, top_n=TOP_N
        )
        return targets, candidates, structure, ranking, load_s

    if not from_db:
        targets, candidates, structure = load()
        load = lambda: (targets, candidates, structure)  # noqa: E731 - the inputs are given
    started, cpu_started = time.perf_counter(), time.process_time()
    targets, candidates, structure, ranking, load_s = engine()
    engine_s = time.perf_counter() - started
    engine_cpu_s = time.process_time() - cpu_started
    peak_mib = None
    if measure_memory:
        del ranking
        if from_db:
            del targets, candidates, structure
        tracemalloc.start()
        targets, candidates, structure, ranking, _load_s = engine()
        peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    # The naive loop on as many targets as fit the pair budget, scaled to all targets.
    sample = max(1, min(len(targets), naive_budget_pairs // max(size, 1)))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # The same loaded data as per-candidate objects (the conversion is not timed).
    pairs = candidates.to_candidates() if isinstance(candidates, CandidateTable) else candidates
    expected = naive(
        targets=targets, candidates=pairs, structure=structure, weights=weights, only=sample, timings=timings
    )
    loop_s = time.perf_counter() - started - timings["prepare_s"]
    extrapolated = sample < len(targets)
    naive_s = (load_s if from_db else 0.0) + timings["prepare_s"] + loop_s * len(targets) / sample
    agree = all(
        [(r.enterprise_id, r.profile_id) for r in ranking[key]] == [(e, p) for _s, e, p, _o in expected[key]]
        for key in expected
    )
    return {
        "source": source,
        "profiles": size,
        "candidates": len(candidates),
        "targets": len(targets),
        "load_s": round(load_s, 2) if from_db else None,
        "engine_s": round(engine_s, 2),
        "engine_cpu_s": round(engine_cpu_s, 2),
        "engine_peak_mib": None if peak_mib is None else round(peak_mib, 1),
        "process_maxrss_mib": round(_maxrss_mib(), 1),
        "naive_s": round(naive_s, 1),
        "naive_note": (f"extrapolated from {sample} of {len(targets)} targets" if extrapolated else "full run"),
        "speedup": round(naive_s / engine_s, 1) if engine_s else None,
        "same_ranking_as_naive": agree,
        "matches": sum(len(v) for v in ranking.values()),
    }


def table(rows: list[dict[str, Any]]) -> str:
    """The matching section of ``manage.py benchmark``. "memory": the engine on in-memory tokens;
    "database": end to end from PostgreSQL (load stored tokens + rank; target: 300k < 5 s, < 1.5 GiB).
    The naive time of a database row includes the same load."""
    header = (
        f"{'source':>8} {'profiles':>9} {'targets':>7} {'load s':>6} {'total s':>7} {'cpu s':>6} {'peak MiB':>8}"
        f" {'RSS MiB':>8} {'naive s':>8} {'speed-up':>8} {'same':>5}  naive run"
    )
    lines = ["Matching: rank approved profiles against bottlenecks + needs, top-20 with explanations", header]
    for row in rows:
        peak = "-" if row["engine_peak_mib"] is None else f"{row['engine_peak_mib']:.0f}"
        load = "-" if row.get("load_s") is None else f"{row['load_s']:.2f}"
        lines.append(
            f"{row.get('source', 'memory'):>8} {row['profiles']:>9} {row['targets']:>7} {load:>6}"
            f" {row['engine_s']:>7.2f} {row['engine_cpu_s']:>6.2f} {peak:>8} {row['process_maxrss_mib']:>8.0f}"
            f" {row['naive_s']:>8.1f} {row['speedup'] or 0:>7.0f}x"
            f" {'yes' if row['same_ranking_as_naive'] else 'NO':>5}  {row['naive_note']}"
        )
    return "\n".join(lines)


# --- database-backed rows: the same synthetic data stored in PostgreSQL, loaded by matching_inputs ---

_DB_CHAIN_PREFIX = "BM"


def _db_chain_code(size: int) -> str:
    return f"{_DB_CHAIN_PREFIX}{size}"[:8]


def seed_db(*, size: int, bottlenecks: int, needs: int) -> int:
    """A benchmark chain of ``size`` approved profiles (the ``synthetic`` data, tokens stored) in the
    database, made once and reused; returns its id. Bulk rows go in with COPY (seconds, not minutes)."""
    import json

    from django.db import connection, transaction
    from django.utils import timezone

    from chainmap.demo.loading import demo_chains_loaded, demo_load_chains
    from chainmap.matching.services.text import encode_tokens, term_ids
    from chainmap.models import Bottleneck, Chain, Edge, Node, Region

    code = _db_chain_code(size)
    existing = Chain.objects.filter(code=code).values_list("pk", flat=True).first()
    if existing is not None:
        return existing
    if not Region.objects.exists() and not demo_chains_loaded():
        demo_load_chains()
    region_ids = dict(Region.objects.values_list("code", "pk"))
    targets, candidates, _structure = synthetic(profiles=size, bottlenecks=bottlenecks, needs=needs)
    rng = random.Random(SEED)
    nodes = [(i, None if i < 20 else rng.randrange(0, i)) for i in range(_NODE_COUNT)]
    edges = sorted(
        {(a, b) for a, b in ((rng.randrange(_NODE_COUNT), rng.randrange(_NODE_COUNT)) for _ in range(400)) if a != b}
    )
    now = timezone.now()
    with transaction.atomic():
        chain = Chain.objects.create(
            code=code, slug=f"bench-matching-{size}", name=f"匹配基准 {size}", name_en=f"Matching benchmark {size}"
        )
        node_objs = Node.objects.bulk_create(
            Node(chain=chain, segment="mid", code=f"{code}-N{i}", name=f"基准节点{i}", position=i) for i, _ in nodes
        )
        node_pk = [n.pk for n in node_objs]
        for (_index, parent), node in zip(nodes, node_objs, strict=True):
            if parent is not None:
                node.parent_id = node_pk[parent]
        Node.objects.bulk_update(node_objs, ["parent"])
        Edge.objects.bulk_create(Edge(chain=chain, source_id=node_pk[a], target_id=node_pk[b]) for a, b in edges)
        for target in targets:
            if target.kind != BOTTLENECK:
                continue
            assert target.region_code is not None  # synthetic() gives every target a region
            bottleneck = Bottleneck.objects.create(
                chain=chain,
                code=f"{code}-B{target.id}",
                title=f"基准瓶颈{target.id}",
                raised_by_id=region_ids[target.region_code],
                status="published",
                tokens=list(target.tokens),
            )
            bottleneck.nodes.set([node_pk[n] for n in target.node_ids])

        ids = term_ids({term for c in candidates for term in c.tokens})
        with connection.cursor() as cursor:
            enterprise_base = _reserve_ids(cursor, "chainmap_enterprise", size)
            profile_base = _reserve_ids(cursor, "chainmap_capabilityprofile", size)
            raw = cursor.cursor
            with raw.copy(
                "COPY chainmap_enterprise (id, created_at, updated_at, credit_code, name, size, is_high_tech,"
                " is_tech_sme, is_specialized, is_little_giant, is_single_champion, is_listed, description,"
                " website, contact_name, contact_phone, contact_email, is_synthetic, version, region_id)"
                " FROM STDIN"
            ) as copy:
                for c in candidates:
                    assert c.region_code is not None  # synthetic() gives every candidate a region
                    q = c.qualifications
                    copy.write_row(
                        (
                            enterprise_base + c.enterprise_id,
                            now,
                            now,
                            f"9B{size % 1_000_000:06d}{c.enterprise_id:010d}",
                            f"基准企业{size}-{c.enterprise_id}",
                            "small",
                            *(field in q for field in QUALIFICATION_WEIGHTS_FIELDS),
                            "",
                            "",
                            "",
                            "",
                            "",
                            True,
                            1,
                            region_ids[c.region_code],
                        )
                    )
            with raw.copy(
                "COPY chainmap_placement (created_at, updated_at, role, evidence, status, review_comment, version,"
                " enterprise_id, node_id) FROM STDIN"
            ) as copy:
                for c in candidates:
                    for node_index in c.node_ids:
                        copy.write_row(
                            (
                                now,
                                now,
                                "product",
                                "",
                                "confirmed",
                                "",
                                1,
                                enterprise_base + c.enterprise_id,
                                node_pk[node_index],
                            )
                        )
            with raw.copy(
                "COPY chainmap_capabilityprofile (id, created_at, updated_at, version, status, products,"
                " core_technologies, capacity, trl, certifications, tokens, token_codes, review_comment,"
                " edit_version, enterprise_id) FROM STDIN"
            ) as copy:
                for c in candidates:
                    copy.write_row(
                        (
                            profile_base + c.profile_id,
                            now,
                            now,
                            1,
                            "approved",
                            "",
                            "",
                            "",
                            c.trl,
                            "",
                            json.dumps(list(c.tokens), ensure_ascii=False),
                            encode_tokens(c.tokens, ids),
                            "",
                            1,
                            enterprise_base + c.enterprise_id,
                        )
                    )
            with raw.copy(
                "COPY chainmap_technologyneed (created_at, updated_at, title, description, is_bottleneck, status,"
                " tokens, node_id, profile_id) FROM STDIN"
            ) as copy:
                for t in targets:
                    if t.kind != NEED:
                        continue
                    copy.write_row(
                        (
                            now,
                            now,
                            f"基准需求{t.id}",
                            "",
                            False,
                            "open",
                            json.dumps(list(t.tokens), ensure_ascii=False),
                            node_pk[t.node_ids[0]],
                            profile_base + (t.enterprise_id or 1),
                        )
                    )
    # VACUUM (outside the transaction) as autovacuum would after a bulk load: index-only scans need the
    # visibility map.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE chainmap_enterprise, chainmap_placement, chainmap_capabilityprofile")
    return chain.pk


# Enterprise qualification columns in the order of the COPY above.
QUALIFICATION_WEIGHTS_FIELDS = (
    "is_high_tech",
    "is_tech_sme",
    "is_specialized",
    "is_little_giant",
    "is_single_champion",
    "is_listed",
)


def _reserve_ids(cursor: Any, table: str, count: int) -> int:
    """Take ``count`` ids from the table's sequence; returns base so the ids are base + 1 … base + count."""
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
    first = cursor.fetchone()[0]
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [first + count - 1])
    return first - 1
