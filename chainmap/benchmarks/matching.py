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
from typing import Any

from chainmap.services.matching import (
    BOTTLENECK,
    NEED,
    QUALIFICATION_WEIGHTS,
    Candidate,
    ChainStructure,
    Target,
    Weights,
    rank_candidates,
    region_fit,
    trl_fit,
)

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
) -> list[dict[str, Any]]:
    """One row per size: engine time and memory, and the naive loop's time (extrapolated when large)."""
    weights = Weights()
    rows: list[dict[str, Any]] = []
    for size in sizes:
        targets, candidates, structure = synthetic(profiles=size, bottlenecks=bottlenecks, needs=needs)
        started, cpu_started = time.perf_counter(), time.process_time()
        ranking = rank_candidates(
            targets=targets, candidates=candidates, structure=structure, weights=weights, top_n=TOP_N
        )
        engine_s = time.perf_counter() - started
        engine_cpu_s = time.process_time() - cpu_started
        peak_mib = None
        if measure_memory:
            tracemalloc.start()
            rank_candidates(targets=targets, candidates=candidates, structure=structure, weights=weights, top_n=TOP_N)
            peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()

        # The naive loop on as many targets as fit the pair budget, scaled to all targets.
        sample = max(1, min(len(targets), naive_budget_pairs // max(size, 1)))
        timings: dict[str, float] = {}
        started = time.perf_counter()
        expected = naive(
            targets=targets, candidates=candidates, structure=structure, weights=weights, only=sample, timings=timings
        )
        loop_s = time.perf_counter() - started - timings["prepare_s"]
        extrapolated = sample < len(targets)
        naive_s = timings["prepare_s"] + loop_s * len(targets) / sample
        agree = all(
            [(r.enterprise_id, r.profile_id) for r in ranking[key]] == [(e, p) for _s, e, p, _o in expected[key]]
            for key in expected
        )
        rows.append(
            {
                "profiles": size,
                "targets": len(targets),
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
        )
    return rows


def inputs_from_db(*, chain_ids: list[int]) -> dict[str, Any]:
    """Optional: time loading the inputs of some chains from the database (needs data)."""
    from chainmap.services.matching import matching_inputs

    started = time.perf_counter()
    targets, candidates, _structure = matching_inputs(chain_ids=chain_ids)
    return {"targets": len(targets), "candidates": len(candidates), "load_s": round(time.perf_counter() - started, 2)}


def table(rows: list[dict[str, Any]]) -> str:
    """The matching section of ``manage.py benchmark`` (engine on in-memory tokens; target: 300k < 5 s)."""
    header = (
        f"{'profiles':>9} {'targets':>7} {'engine s':>8} {'cpu s':>6} {'peak MiB':>8} {'RSS MiB':>8}"
        f" {'naive s':>8} {'speed-up':>8} {'same':>5}  naive run"
    )
    lines = ["Matching: rank approved profiles against bottlenecks + needs, top-20 with explanations", header]
    for row in rows:
        peak = "-" if row["engine_peak_mib"] is None else f"{row['engine_peak_mib']:.0f}"
        lines.append(
            f"{row['profiles']:>9} {row['targets']:>7} {row['engine_s']:>8.2f} {row['engine_cpu_s']:>6.2f}"
            f" {peak:>8} {row['process_maxrss_mib']:>8.0f} {row['naive_s']:>8.1f} {row['speedup'] or 0:>7.0f}x"
            f" {'yes' if row['same_ranking_as_naive'] else 'NO':>5}  {row['naive_note']}"
        )
    return "\n".join(lines)
