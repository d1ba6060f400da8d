"""Matching engine: rank approved profiles and supply offers against bottlenecks and technology needs.

Two layers:

* a pure engine (``rank_candidates``) over plain dataclasses — no ORM, no Django — vectorised with
  numpy / scipy: one sparse TF-IDF product per block of targets, the other components gathered
  from small per-target tables, top-N by ``argpartition``. Every candidate is scored exactly (no
  text shortlist that could drop a same-node candidate), and the result is deterministic: inputs
  are put in canonical order first and ties are broken by (enterprise, profile, offer).
* a database layer (``matching_inputs``, ``matching_run``) loading the inputs in a constant number
  of ``values_list`` queries and replacing a round's ``Match`` rows in one transaction.

Score = Σ weight × component, each component in [0, 1]:

``text``           cosine of sublinear-TF × IDF vectors of the stored tokens;
``structure``      1.0 same node, 0.6 parent/child, 0.4 direct upstream/downstream neighbour, else 0;
``region``         research → conversion → scale-up (BJ → TJ → HE): a candidate earlier in the flow
                   than the target scores most, a cross-region pair against the flow less, the same
                   region least (see ``region_fit``);
``qualification``  the best of the enterprise's qualifications (``QUALIFICATION_WEIGHTS``);
``trl``            bottlenecks want mature results (TRL / 9); a need with a wanted TRL is fully met
                   at or above it and loses 1/9 per missing level.

A candidate is eligible only with some relevance (text > 0 or structure > 0), and never for its own
enterprise's need. Each target keeps at most one row per enterprise (its best candidate).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain as iter_chain
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

BOTTLENECK = "bottleneck"
NEED = "need"
COMPONENTS = ("text", "structure", "region", "qualification", "trl")
REGIONS = ("BJ", "TJ", "HE")
# Stage position of each region in the research → conversion → scale-up flow (Region.stage).
STAGE = {"BJ": 0, "TJ": 1, "HE": 2}
STRUCTURE_SAME, STRUCTURE_FAMILY, STRUCTURE_NEIGHBOUR = 1.0, 0.6, 0.4
QUALIFICATION_WEIGHTS: dict[str, float] = {
    "is_little_giant": 1.0,
    "is_single_champion": 1.0,
    "is_specialized": 0.7,
    "is_high_tech": 0.5,
    "is_listed": 0.4,
    "is_tech_sme": 0.3,
}
MAX_MATCHED_TERMS = 10
_BLOCK = 32  # targets per sparse product: bounds the dense block at 32 × candidates floats


def region_fit(target_region: str | None, candidate_region: str | None) -> float:
    """How well a candidate's region complements the target's (the 北京研发、天津转化、河北制造 flow)."""
    if target_region not in STAGE or candidate_region not in STAGE:
        return 0.0
    step = STAGE[target_region] - STAGE[candidate_region]
    if step == 0:
        return 0.2
    if step < 0:
        return 0.5  # cross-region, against the flow (e.g. Beijing needing Hebei's capacity)
    if candidate_region == "BJ":
        return 1.0  # Tianjin or Hebei taking up what Beijing researches
    return 0.8  # Tianjin converting for Hebei


def trl_fit(*, kind: str, wanted_trl: int | None, trl: int) -> float:
    if kind == NEED and wanted_trl:
        return max(0.0, 1.0 - max(0, wanted_trl - trl) / 9)
    return min(max(trl, 0), 9) / 9


@dataclass(frozen=True, slots=True)
class Target:
    """A bottleneck (region: who raised it) or an open technology need (region: the needing enterprise's)."""

    kind: str
    id: int
    node_ids: tuple[int, ...]
    tokens: Sequence[str]
    region_code: str | None = None
    enterprise_id: int | None = None
    wanted_trl: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An approved profile (``offer_id`` None) or one of its supply offers."""

    profile_id: int
    offer_id: int | None
    enterprise_id: int
    region_code: str | None
    node_ids: tuple[int, ...]
    tokens: Sequence[str]
    trl: int
    qualifications: frozenset[str] = frozenset()

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.enterprise_id, self.profile_id, -1 if self.offer_id is None else self.offer_id)


@dataclass(frozen=True, slots=True)
class ChainStructure:
    """The chain map as matching sees it: parents, children and direct supply neighbours of each node."""

    parent: Mapping[int, int | None]
    children: Mapping[int, frozenset[int]]
    upstream: Mapping[int, frozenset[int]]
    downstream: Mapping[int, frozenset[int]]

    @classmethod
    def build(cls, *, nodes: Iterable[tuple[int, int | None]], edges: Iterable[tuple[int, int]]) -> ChainStructure:
        """From (node, parent) pairs and (source, target) supply edges."""
        parent: dict[int, int | None] = {}
        children: dict[int, set[int]] = {}
        for node_id, parent_id in nodes:
            parent[node_id] = parent_id
            if parent_id is not None:
                children.setdefault(parent_id, set()).add(node_id)
        upstream: dict[int, set[int]] = {}
        downstream: dict[int, set[int]] = {}
        for source, target in edges:
            downstream.setdefault(source, set()).add(target)
            upstream.setdefault(target, set()).add(source)
        return cls(
            parent=parent,
            children={k: frozenset(v) for k, v in children.items()},
            upstream={k: frozenset(v) for k, v in upstream.items()},
            downstream={k: frozenset(v) for k, v in downstream.items()},
        )

    def node_weights(self, node_ids: Iterable[int]) -> dict[int, float]:
        """Structure value of every node related to any of ``node_ids`` (the best relation wins)."""
        weights: dict[int, float] = {}

        def put(node: int | None, value: float) -> None:
            if node is not None and weights.get(node, 0.0) < value:
                weights[node] = value

        for node in node_ids:
            put(node, STRUCTURE_SAME)
            put(self.parent.get(node), STRUCTURE_FAMILY)
            for child in self.children.get(node, ()):
                put(child, STRUCTURE_FAMILY)
            for neighbour in iter_chain(self.upstream.get(node, ()), self.downstream.get(node, ())):
                put(neighbour, STRUCTURE_NEIGHBOUR)
        return weights


@dataclass(frozen=True, slots=True)
class Weights:
    text: float = 0.5
    structure: float = 0.2
    region: float = 0.15
    qualification: float = 0.05
    trl: float = 0.1

    @classmethod
    def from_settings(cls) -> Weights:
        from django.conf import settings

        return cls(**settings.CHAINMAP_MATCHING["WEIGHTS"])


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranked candidate for one target, with why: each component and the shared terms."""

    target: tuple[str, int]
    rank: int
    score: float
    profile_id: int
    offer_id: int | None
    enterprise_id: int
    components: dict[str, float] = field(default_factory=dict)
    matched_terms: list[str] = field(default_factory=list)


# --- the pure engine ------------------------------------------------------------------------


def _count_matrix(docs: Sequence[Sequence[str]], vocabulary: Mapping[str, int]) -> sp.csr_matrix:
    """Term counts (docs × vocabulary, every token known), CSR built directly with numpy: no Python
    loop per document and no COO sort of all tokens."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.fromiter(
        map(vocabulary.__getitem__, iter_chain.from_iterable(docs)), dtype=np.int32, count=int(indptr[-1])
    )
    matrix = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(docs), len(vocabulary))
    )
    matrix.sum_duplicates()
    return matrix


def _tfidf(counts: sp.csr_matrix, df: np.ndarray, n_docs: int) -> sp.csr_matrix:
    """Sublinear TF × smoothed IDF, rows L2-normalised: what sklearn's
    ``TfidfVectorizer(sublinear_tf=True)`` computes, done in place on the CSR arrays."""
    idf = np.log((1 + n_docs) / (1 + df)) + 1
    data = (1 + np.log(counts.data.astype(np.float64))) * idf[counts.indices]
    lengths = np.diff(counts.indptr)
    rows = np.repeat(np.arange(counts.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=counts.shape[0]))
    norms[norms == 0] = 1.0  # empty documents stay empty
    data /= np.repeat(norms, lengths)
    return sp.csr_matrix((data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape)


@dataclass(slots=True)
class _Prepared:
    targets: list[Target]
    candidates: list[Candidate]
    vocabulary: dict[str, int]
    idf: np.ndarray
    target_vectors: sp.csr_matrix
    candidate_vectors_t: sp.csr_matrix  # vocabulary × candidates (transposed once)
    enterprise: np.ndarray  # ascending: candidates are in (enterprise, profile, offer) order
    profile: np.ndarray
    offer: np.ndarray
    region_index: np.ndarray
    trl: np.ndarray
    qualification: np.ndarray
    nodeset_index: np.ndarray
    nodesets: list[tuple[int, ...]]

    def of_enterprise(self, enterprise_id: int) -> slice:
        return slice(
            int(np.searchsorted(self.enterprise, enterprise_id, "left")),
            int(np.searchsorted(self.enterprise, enterprise_id, "right")),
        )


def _prepare(targets: Sequence[Target], candidates: Sequence[Candidate]) -> _Prepared:
    # Canonical order first: the ranking cannot depend on the order the inputs came in.
    targets = sorted(targets, key=lambda t: t.key)
    candidates = sorted(candidates, key=lambda c: c.sort_key)
    n = len(candidates)
    candidate_docs = [c.tokens for c in candidates]
    target_docs = [t.tokens for t in targets]
    vocabulary = {
        term: i for i, term in enumerate(sorted(set(iter_chain.from_iterable(iter_chain(candidate_docs, target_docs)))))
    }
    candidate_counts = _count_matrix(candidate_docs, vocabulary)
    target_counts = _count_matrix(target_docs, vocabulary)
    # Document frequency over both (each row's indices are unique after sum_duplicates).
    df = np.bincount(candidate_counts.indices, minlength=len(vocabulary)) + np.bincount(
        target_counts.indices, minlength=len(vocabulary)
    )
    n_docs = n + len(targets)

    # Few distinct node sets (many candidates share one): structure is computed per node set.
    nodesets: list[tuple[int, ...]] = []
    nodeset_ids: dict[tuple[int, ...], int] = {}
    raw_index: list[int] = []
    for c in candidates:
        index = nodeset_ids.get(c.node_ids)
        if index is None:
            index = nodeset_ids[c.node_ids] = len(nodesets)
            nodesets.append(tuple(sorted(set(c.node_ids))))
        raw_index.append(index)

    qualification_of: dict[frozenset[str], float] = {}
    for c in candidates:
        if c.qualifications not in qualification_of:
            qualification_of[c.qualifications] = max(
                (QUALIFICATION_WEIGHTS.get(q, 0.0) for q in c.qualifications), default=0.0
            )
    region_pos = {code: i for i, code in enumerate(REGIONS)}
    return _Prepared(
        targets=targets,
        candidates=candidates,
        vocabulary=vocabulary,
        idf=np.log((1 + n_docs) / (1 + df)) + 1,
        target_vectors=_tfidf(target_counts, df, n_docs),
        candidate_vectors_t=_tfidf(candidate_counts, df, n_docs).T.tocsr(),
        enterprise=np.fromiter((c.enterprise_id for c in candidates), dtype=np.int64, count=n),
        profile=np.fromiter((c.profile_id for c in candidates), dtype=np.int64, count=n),
        offer=np.fromiter((-1 if c.offer_id is None else c.offer_id for c in candidates), dtype=np.int64, count=n),
        region_index=np.fromiter(
            (region_pos.get(c.region_code or "", len(REGIONS)) for c in candidates), dtype=np.int64, count=n
        ),
        trl=np.fromiter((min(max(c.trl or 0, 0), 9) for c in candidates), dtype=np.int64, count=n),
        qualification=np.fromiter((qualification_of[c.qualifications] for c in candidates), dtype=np.float64, count=n),
        nodeset_index=np.array(raw_index, dtype=np.int64),
        nodesets=nodesets,
    )


def _nodeset_matrix(prep: _Prepared) -> tuple[sp.csr_matrix, dict[int, int]]:
    """Distinct candidate node sets × nodes, as a 0/1 sparse matrix (and each node's column)."""
    columns: dict[int, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for si, nodes in enumerate(prep.nodesets):
        for node in nodes:
            rows.append(si)
            cols.append(columns.setdefault(node, len(columns)))
    matrix = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(prep.nodesets), max(len(columns), 1))
    )
    return matrix, columns


def _structure_block(
    block: Sequence[Target], structure: ChainStructure, nodesets: sp.csr_matrix, columns: dict[int, int]
) -> np.ndarray:
    """Structure value of each block target × each candidate node set (the best relation over its nodes),
    by one sparse product per relation level instead of a loop over node sets."""
    table = np.zeros((len(block), nodesets.shape[0]), dtype=np.float64)
    for level in (STRUCTURE_NEIGHBOUR, STRUCTURE_FAMILY, STRUCTURE_SAME):  # ascending: the best level wins
        rows: list[int] = []
        cols: list[int] = []
        for offset, target in enumerate(block):
            for node, value in structure.node_weights(target.node_ids).items():
                if value == level and node in columns:
                    rows.append(columns[node])
                    cols.append(offset)
        if not rows:
            continue
        indicator = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(nodesets.shape[1], len(block))
        )
        hits = (nodesets @ indicator).toarray().T > 0
        table[hits] = level
    return table


def _top(prep: _Prepared, scores: np.ndarray, top_n: int) -> list[int]:
    """Indices of the best candidates, one per enterprise, in ranking order (−score, then stable keys)."""
    eligible = int(np.count_nonzero(np.isfinite(scores)))
    if eligible == 0:
        return []
    k = min(top_n * 3 + 8, eligible)
    while True:
        part = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[part].min()
        # Everything tied with the k-th score comes along, so argpartition's arbitrary choice among
        # equal scores never decides who is in.
        chosen = np.flatnonzero(scores >= threshold)
        order = chosen[np.lexsort((prep.offer[chosen], prep.profile[chosen], prep.enterprise[chosen], -scores[chosen]))]
        picked: list[int] = []
        seen: set[int] = set()
        for index in order.tolist():
            enterprise = int(prep.enterprise[index])
            if enterprise in seen:
                continue
            seen.add(enterprise)
            picked.append(index)
            if len(picked) == top_n:
                return picked
        if k >= eligible:
            return picked
        k = min(k * 2, eligible)


def _matched_terms(prep: _Prepared, target: Target, candidate: Candidate) -> list[str]:
    shared = set(target.tokens).intersection(candidate.tokens)
    vocabulary, idf = prep.vocabulary, prep.idf
    return sorted(shared, key=lambda term: (-idf[vocabulary[term]], term))[:MAX_MATCHED_TERMS]


def rank_candidates(
    *,
    targets: Sequence[Target],
    candidates: Sequence[Candidate],
    structure: ChainStructure,
    weights: Weights,
    top_n: int = 20,
    workers: int | None = None,
) -> dict[tuple[str, int], list[Ranked]]:
    """The best ``top_n`` candidates of each target, with explanations. Same inputs, same result.

    Blocks of targets are scored in threads (scipy's sparse product and numpy release the GIL);
    blocks are independent, so the result does not depend on the number of workers.
    """
    result: dict[tuple[str, int], list[Ranked]] = {t.key: [] for t in targets}
    if not targets or not candidates or top_n <= 0:
        return result
    prep = _prepare(targets, candidates)
    nodesets, columns = _nodeset_matrix(prep)
    starts = range(0, len(prep.targets), _BLOCK)

    def score(start: int) -> list[tuple[tuple[str, int], list[Ranked]]]:
        return _score_block(prep, start, structure, nodesets, columns, weights, top_n)

    workers = workers or min(4, os.cpu_count() or 1, len(starts))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            blocks = list(pool.map(score, starts))
    else:
        blocks = [score(start) for start in starts]
    for block in blocks:
        result.update(block)
    return result


def _score_block(
    prep: _Prepared,
    start: int,
    structure: ChainStructure,
    nodesets: sp.csr_matrix,
    columns: dict[int, int],
    w: Weights,
    top_n: int,
) -> list[tuple[tuple[str, int], list[Ranked]]]:
    block = prep.targets[start : start + _BLOCK]
    # One sparse product per block of targets: targets × candidates, dense only for this block.
    text = (prep.target_vectors[start : start + len(block)] @ prep.candidate_vectors_t).toarray()
    structure_table = _structure_block(block, structure, nodesets, columns)
    region_pos = {code: i for i, code in enumerate(REGIONS)}
    region_table = np.array(
        [[region_fit(t, c) for c in (*REGIONS, None)] for t in (*REGIONS, None)], dtype=np.float64
    )  # last row and column: unknown region
    out = []
    # Row by row: the 5 candidate-length vectors of one target stay in cache.
    for offset, target in enumerate(block):
        text_row = text[offset].astype(np.float64)
        structure_row = structure_table[offset][prep.nodeset_index]
        region_row = region_table[region_pos.get(target.region_code or "", len(REGIONS))][prep.region_index]
        trl_table = np.array(
            [trl_fit(kind=target.kind, wanted_trl=target.wanted_trl, trl=level) for level in range(10)],
            dtype=np.float64,
        )
        trl_row = trl_table[prep.trl]
        row = w.text * text_row
        row += w.structure * structure_row
        row += w.region * region_row
        row += w.qualification * prep.qualification
        row += w.trl * trl_row
        # Rounded so that equal scores reached through different components compare equal, and the
        # stable keys, not float noise, break the tie.
        np.round(row, 9, out=row)
        row[(text_row <= 0) & (structure_row <= 0)] = -np.inf
        if target.kind == NEED and target.enterprise_id is not None:
            row[prep.of_enterprise(target.enterprise_id)] = -np.inf
        ranked = []
        for rank, index in enumerate(_top(prep, row, top_n), start=1):
            candidate = prep.candidates[index]
            ranked.append(
                Ranked(
                    target=target.key,
                    rank=rank,
                    score=round(float(row[index]), 6),
                    profile_id=candidate.profile_id,
                    offer_id=candidate.offer_id,
                    enterprise_id=candidate.enterprise_id,
                    components={
                        "text": round(float(text_row[index]), 4),
                        "structure": round(float(structure_row[index]), 4),
                        "region": round(float(region_row[index]), 4),
                        "qualification": round(float(prep.qualification[index]), 4),
                        "trl": round(float(trl_row[index]), 4),
                    },
                    matched_terms=_matched_terms(prep, target, candidate),
                )
            )
        out.append((target.key, ranked))
    return out


# --- the database layer ---------------------------------------------------------------------


def matching_inputs(*, chain_ids: Sequence[int]) -> tuple[list[Target], list[Candidate], ChainStructure]:
    """Targets, candidates and structure of some chains, in a constant number of queries (8).

    Targets: open bottlenecks of the chains, open needs (of approved profiles) on their nodes.
    Candidates: approved profiles whose enterprise sits on a node of the chains (placement not
    rejected) or offers something there, and those offers. Only approved profiles ever appear.
    """
    from django.db.models import F, Q, TextField
    from django.db.models.functions import Cast

    from chainmap.models import (
        OPEN_BOTTLENECK_STATUSES,
        QUALIFICATIONS,
        Bottleneck,
        CapabilityProfile,
        Edge,
        Node,
        Placement,
        ProfileStatus,
        SupplyOffer,
        TechnologyNeed,
    )

    chain_ids = list(chain_ids)
    # Tokens come as JSON text and are parsed here, one ``json.loads`` per row, with every term
    # interned: Django's JSONField decoding costs several times more, and 300,000 profiles of ~40
    # terms would otherwise hold ~12 million separate strings of a vocabulary of a few thousand.
    terms = _Terms()
    text = Cast("tokens", TextField())
    structure = ChainStructure.build(
        nodes=Node.objects.filter(chain_id__in=chain_ids).order_by().values_list("pk", "parent_id"),
        edges=Edge.objects.filter(chain_id__in=chain_ids).order_by().values_list("source_id", "target_id"),
    )

    open_bottlenecks = Bottleneck.objects.filter(chain_id__in=chain_ids, status__in=OPEN_BOTTLENECK_STATUSES)
    bottleneck_nodes: dict[int, list[int]] = {}
    for bottleneck_id, node_id in (
        Bottleneck.nodes.through.objects.filter(bottleneck__in=open_bottlenecks, node__chain_id__in=chain_ids)
        .order_by()
        .values_list("bottleneck_id", "node_id")
    ):
        bottleneck_nodes.setdefault(bottleneck_id, []).append(node_id)
    targets = [
        Target(
            kind=BOTTLENECK,
            id=pk,
            node_ids=tuple(sorted(bottleneck_nodes.get(pk, ()))),
            tokens=terms.parse(tokens),
            region_code=region,
        )
        for pk, tokens, region in open_bottlenecks.order_by().values_list("pk", text, "raised_by__code")
    ]
    targets += [
        Target(kind=NEED, id=pk, node_ids=(node_id,), tokens=terms.parse(tokens), region_code=region, enterprise_id=ent)
        for pk, node_id, tokens, ent, region in TechnologyNeed.objects.filter(
            node__chain_id__in=chain_ids,
            status=TechnologyNeed.Status.OPEN,
            profile__status=ProfileStatus.APPROVED,
        )
        .order_by()
        .values_list("pk", "node_id", text, "profile__enterprise_id", "profile__enterprise__region__code")
    ]

    placed: dict[int, set[int]] = {}
    placements = (
        Placement.objects.filter(node__chain_id__in=chain_ids).exclude(status=Placement.Status.REJECTED).order_by()
    )
    for enterprise_id, node_id in placements.values_list("enterprise_id", "node_id"):
        placed.setdefault(enterprise_id, set()).add(node_id)
    offers = SupplyOffer.objects.filter(node__chain_id__in=chain_ids, profile__status=ProfileStatus.APPROVED).order_by()
    offer_rows = [
        (pk, profile_id, node_id, terms.parse(tokens), trl)
        for pk, profile_id, node_id, tokens, trl in offers.values_list("pk", "profile_id", "node_id", text, "trl")
    ]
    offered: dict[int, set[int]] = {}
    for _pk, profile_id, node_id, _tokens, _trl in offer_rows:
        offered.setdefault(profile_id, set()).add(node_id)

    qualification_fields = list(QUALIFICATIONS)
    # IN (subquery) rather than EXISTS: PostgreSQL hashes each subquery once instead of probing
    # placements per profile; no ORDER BY (the engine puts candidates in canonical order itself).
    profiles = (
        CapabilityProfile.objects.filter(status=ProfileStatus.APPROVED)
        .filter(
            Q(enterprise_id__in=placements.values("enterprise_id")) | Q(pk__in=offers.values("profile_id")),
        )
        .order_by()
    )
    candidates: list[Candidate] = []
    profile_info: dict[int, tuple[int, str, int, frozenset[str]]] = {}
    qualification_sets: dict[tuple[bool, ...], frozenset[str]] = {}
    no_nodes: set[int] = set()
    for pk, enterprise_id, tokens, trl, region, *flags in profiles.values_list(
        "pk",
        "enterprise_id",
        text,
        "trl",
        F("enterprise__region__code"),
        *(F(f"enterprise__{q}") for q in qualification_fields),
    ).iterator(chunk_size=10_000):
        key = tuple(flags)
        qualifications = qualification_sets.get(key)
        if qualifications is None:
            qualifications = qualification_sets[key] = frozenset(
                q for q, on in zip(qualification_fields, flags, strict=True) if on
            )
        profile_info[pk] = (enterprise_id, region, trl, qualifications)
        nodes = placed.get(enterprise_id, no_nodes)
        extra = offered.get(pk)
        if extra:
            nodes = nodes | extra
        candidates.append(
            Candidate(
                profile_id=pk,
                offer_id=None,
                enterprise_id=enterprise_id,
                region_code=region,
                node_ids=terms.nodes(nodes),
                tokens=terms.parse(tokens),
                trl=trl,
                qualifications=qualifications,
            )
        )
    for pk, profile_id, node_id, tokens, trl in offer_rows:
        enterprise_id, region, profile_trl, qualifications = profile_info[profile_id]
        candidates.append(
            Candidate(
                profile_id=profile_id,
                offer_id=pk,
                enterprise_id=enterprise_id,
                region_code=region,
                node_ids=(node_id,),
                tokens=tokens,
                trl=trl or profile_trl,
                qualifications=qualifications,
            )
        )
    return targets, candidates, structure


class _Terms:
    """Parses stored token lists, sharing one string object per term and one tuple per node set."""

    __slots__ = ("_nodesets", "_terms")

    def __init__(self) -> None:
        self._terms: dict[str, str] = {}
        self._nodesets: dict[frozenset[int], tuple[int, ...]] = {}

    def parse(self, raw: str | None) -> list[str]:
        if not raw:
            return []
        value = json.loads(raw)
        if not isinstance(value, list):
            return []
        return list(map(self._terms.setdefault, value, value))

    def nodes(self, nodes: set[int] | frozenset[int]) -> tuple[int, ...]:
        key = frozenset(nodes)
        found = self._nodesets.get(key)
        if found is None:
            found = self._nodesets[key] = tuple(sorted(key))
        return found


def round_chain_ids(*, round_id: int) -> list[int]:
    """The chain of a chain round, or the chains of a cluster round's cluster."""
    from chainmap.models import Cluster, MatchingRound

    chain_id, cluster_id = MatchingRound.objects.values_list("chain_id", "cluster_id").get(pk=round_id)
    if chain_id is not None:
        return [chain_id]
    return sorted(Cluster.chains.through.objects.filter(cluster_id=cluster_id).values_list("chain_id", flat=True))


def matching_run(*, round_id: int, top_n: int | None = None, weights: Weights | None = None) -> int:
    """Match a round: replace its Match rows with a fresh ranking and mark it matched.

    Idempotent (same data → same rows). Claimed with a conditional UPDATE on ``matching_since``:
    if another worker holds the round (and its claim is not stale), nothing happens and 0 is
    returned. Officials' follow-up outcomes survive a re-run on rows with the same target and
    candidate. Returns the number of Match rows written.
    """
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from chainmap.models import Match, MatchingRound, RoundStatus

    config = settings.CHAINMAP_MATCHING
    now = timezone.now()
    stale = now - dt.timedelta(seconds=config["CLAIM_TIMEOUT_SECONDS"])
    claimed = MatchingRound.objects.filter(
        Q(matching_since__isnull=True) | Q(matching_since__lt=stale), pk=round_id
    ).update(matching_since=now)
    if not claimed:
        logger.info("matching round %s is being matched by another worker", round_id)
        return 0
    try:
        targets, candidates, structure = matching_inputs(chain_ids=round_chain_ids(round_id=round_id))
        ranking = rank_candidates(
            targets=targets,
            candidates=candidates,
            structure=structure,
            weights=weights or Weights.from_settings(),
            top_n=top_n or config["TOP_N"],
        )
        with transaction.atomic():
            kept = _kept_outcomes(round_id=round_id)
            Match.objects.filter(round_id=round_id).delete()
            rows = []
            for (kind, target_id), ranked in sorted(ranking.items()):
                for item in ranked:
                    outcome = kept.get((kind, target_id, item.profile_id, item.offer_id), {})
                    rows.append(
                        Match(
                            round_id=round_id,
                            bottleneck_id=target_id if kind == BOTTLENECK else None,
                            need_id=target_id if kind == NEED else None,
                            profile_id=item.profile_id,
                            offer_id=item.offer_id,
                            enterprise_id=item.enterprise_id,
                            rank=item.rank,
                            score=item.score,
                            components=item.components,
                            matched_terms=item.matched_terms,
                            **outcome,
                        )
                    )
            Match.objects.bulk_create(rows, batch_size=1000)
            MatchingRound.objects.filter(pk=round_id, status__in=[RoundStatus.PLANNED, RoundStatus.OPEN]).update(
                status=RoundStatus.MATCHED
            )
            MatchingRound.objects.filter(pk=round_id).update(matched_at=timezone.now())
        return len(rows)
    finally:
        MatchingRound.objects.filter(pk=round_id, matching_since=now).update(matching_since=None)


def _kept_outcomes(*, round_id: int) -> dict[tuple[str, int, int, int | None], dict[str, Any]]:
    from chainmap.models import Match

    kept: dict[tuple[str, int, int, int | None], dict[str, Any]] = {}
    for bottleneck_id, need_id, profile_id, offer_id, outcome, note, by_id, at in (
        Match.objects.filter(round_id=round_id)
        .exclude(outcome="")
        .values_list(
            "bottleneck_id",
            "need_id",
            "profile_id",
            "offer_id",
            "outcome",
            "outcome_note",
            "outcome_by_id",
            "outcome_at",
        )
    ):
        key = (
            (BOTTLENECK, bottleneck_id, profile_id, offer_id)
            if bottleneck_id
            else (NEED, need_id, profile_id, offer_id)
        )
        kept[key] = {"outcome": outcome, "outcome_note": note, "outcome_by_id": by_id, "outcome_at": at}
    return kept
