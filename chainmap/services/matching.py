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
import gc
import json
import logging
import os
import threading
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
class CandidateTable:
    """Candidates column by column: the shape the engine scores in, and what ``matching_inputs`` loads
    (building 300,000 per-candidate objects would cost more than ranking them).

    Row ``i`` is one candidate: a profile (``offer`` −1) or one of its supply offers. ``counts`` holds
    its term counts (rows × ``terms``, canonical CSR: sorted, no duplicate columns)."""

    profile: np.ndarray  # int64
    offer: np.ndarray  # int64, −1: the profile itself
    enterprise: np.ndarray  # int64
    region_index: np.ndarray  # int64: position in REGIONS, len(REGIONS) when unknown
    trl: np.ndarray  # int64, 0–9
    qualification: np.ndarray  # float64: the best qualification weight
    nodeset_index: np.ndarray  # int64: row → position in ``nodesets``
    nodesets: list[tuple[int, ...]]
    counts: sp.csr_matrix
    terms: list[str]

    def __len__(self) -> int:
        return len(self.profile)

    @classmethod
    def from_candidates(cls, candidates: Sequence[Candidate]) -> CandidateTable:
        n = len(candidates)
        docs = [c.tokens for c in candidates]
        terms = sorted(set(iter_chain.from_iterable(docs)))
        counts = _count_matrix(docs, {term: i for i, term in enumerate(terms)})
        nodesets: list[tuple[int, ...]] = []
        nodeset_ids: dict[tuple[int, ...], int] = {}
        raw_index: list[int] = []
        for c in candidates:
            index = nodeset_ids.get(c.node_ids)
            if index is None:
                index = nodeset_ids[c.node_ids] = len(nodesets)
                nodesets.append(tuple(sorted(set(c.node_ids))))
            raw_index.append(index)
        region_pos = {code: i for i, code in enumerate(REGIONS)}
        return cls(
            profile=np.fromiter((c.profile_id for c in candidates), dtype=np.int64, count=n),
            offer=np.fromiter((-1 if c.offer_id is None else c.offer_id for c in candidates), dtype=np.int64, count=n),
            enterprise=np.fromiter((c.enterprise_id for c in candidates), dtype=np.int64, count=n),
            region_index=np.fromiter(
                (region_pos.get(c.region_code or "", len(REGIONS)) for c in candidates), dtype=np.int64, count=n
            ),
            trl=np.fromiter((min(max(c.trl or 0, 0), 9) for c in candidates), dtype=np.int64, count=n),
            qualification=np.fromiter(
                (qualification_weight(c.qualifications) for c in candidates), dtype=np.float64, count=n
            ),
            nodeset_index=np.array(raw_index, dtype=np.int64),
            nodesets=nodesets,
            counts=counts,
            terms=terms,
        )

    def to_candidates(self) -> list[Candidate]:
        """The rows as ``Candidate`` objects (for the naive baseline and for reading): tokens with their
        counts, and as qualifications the one that gives the row's qualification weight."""
        by_weight = {weight: frozenset({name}) for name, weight in sorted(QUALIFICATION_WEIGHTS.items())}
        regions = (*REGIONS, None)
        counts = self.counts
        result = []
        for i in range(len(self)):
            lo, hi = counts.indptr[i], counts.indptr[i + 1]
            tokens = [
                self.terms[column]
                for column, count in zip(counts.indices[lo:hi].tolist(), counts.data[lo:hi].tolist(), strict=True)
                for _ in range(int(count))
            ]
            offer = int(self.offer[i])
            result.append(
                Candidate(
                    profile_id=int(self.profile[i]),
                    offer_id=None if offer < 0 else offer,
                    enterprise_id=int(self.enterprise[i]),
                    region_code=regions[int(self.region_index[i])],
                    node_ids=self.nodesets[int(self.nodeset_index[i])],
                    tokens=tokens,
                    trl=int(self.trl[i]),
                    qualifications=by_weight.get(float(self.qualification[i]), frozenset()),
                )
            )
        return result

    def ordered(self) -> CandidateTable:
        """The rows in canonical order (enterprise, profile, offer): the ranking cannot depend on the
        order the candidates came in."""
        order = np.lexsort((self.offer, self.profile, self.enterprise))
        if np.array_equal(order, np.arange(len(order))):
            return self
        return CandidateTable(
            profile=self.profile[order],
            offer=self.offer[order],
            enterprise=self.enterprise[order],
            region_index=self.region_index[order],
            trl=self.trl[order],
            qualification=self.qualification[order],
            nodeset_index=self.nodeset_index[order],
            nodesets=self.nodesets,
            counts=self.counts[order],
            terms=self.terms,
        )


def qualification_weight(qualifications: Iterable[str]) -> float:
    return max((QUALIFICATION_WEIGHTS.get(q, 0.0) for q in qualifications), default=0.0)


@dataclass(slots=True)
class _Prepared:
    targets: list[Target]
    table: CandidateTable
    vocabulary: dict[str, int]
    terms: list[str]  # column → term (the candidates' terms, then terms only targets use)
    idf: np.ndarray
    target_vectors: sp.csr_matrix
    candidate_counts: sp.csr_matrix  # candidates × vocabulary (for the matched terms)
    candidate_vectors: sp.csr_matrix  # candidates × vocabulary
    enterprise: np.ndarray  # ascending: candidates are in (enterprise, profile, offer) order
    profile: np.ndarray
    offer: np.ndarray
    region_index: np.ndarray
    trl: np.ndarray
    qualification: np.ndarray
    nodeset_index: np.ndarray
    nodesets: list[tuple[int, ...]]
    weights: Weights
    qualification_part: np.ndarray = field(init=False)
    _parts: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.qualification_part = self.weights.qualification * self.qualification

    def _cached(
        self, key: tuple[Any, ...], values: np.ndarray, weight: float, index: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``weight × values[index]`` over all candidates, made once per key (a few per round)."""
        with self._lock:
            found = self._parts.get(key)
            if found is None:
                found = self._parts[key] = ((weight * values)[index], values)
        return found

    def region_part(self, region_code: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The weighted region component of a target raised in ``region_code``, and its value per
        candidate region (the last: unknown)."""
        position = REGIONS.index(region_code) if region_code in REGIONS else len(REGIONS)
        values = np.array(
            [region_fit(REGIONS[position] if position < len(REGIONS) else None, c) for c in (*REGIONS, None)]
        )
        return self._cached(("region", position), values, self.weights.region, self.region_index)

    def trl_part(self, kind: str, wanted_trl: int | None) -> tuple[np.ndarray, np.ndarray]:
        values = np.array([trl_fit(kind=kind, wanted_trl=wanted_trl, trl=level) for level in range(10)])
        return self._cached(("trl", kind, wanted_trl), values, self.weights.trl, self.trl)

    def of_enterprise(self, enterprise_id: int) -> slice:
        return slice(
            int(np.searchsorted(self.enterprise, enterprise_id, "left")),
            int(np.searchsorted(self.enterprise, enterprise_id, "right")),
        )


def _prepare(
    targets: Sequence[Target], candidates: Sequence[Candidate] | CandidateTable, weights: Weights | None = None
) -> _Prepared:
    # Canonical order first: the ranking cannot depend on the order the inputs came in.
    targets = sorted(targets, key=lambda t: t.key)
    table = candidates if isinstance(candidates, CandidateTable) else CandidateTable.from_candidates(candidates)
    table = table.ordered()
    n = len(table)
    terms = list(table.terms)
    vocabulary = {term: i for i, term in enumerate(terms)}
    for target in targets:
        for term in target.tokens:
            if term not in vocabulary:
                vocabulary[term] = len(terms)
                terms.append(term)
    counts = table.counts
    candidate_counts = sp.csr_matrix((counts.data, counts.indices, counts.indptr), shape=(n, len(terms)))
    target_counts = _count_matrix([t.tokens for t in targets], vocabulary)
    # Document frequency over both (each row's indices are unique: canonical CSR).
    df = np.bincount(candidate_counts.indices, minlength=len(terms)) + np.bincount(
        target_counts.indices, minlength=len(terms)
    )
    n_docs = n + len(targets)
    return _Prepared(
        targets=targets,
        table=table,
        vocabulary=vocabulary,
        terms=terms,
        idf=np.log((1 + n_docs) / (1 + df)) + 1,
        target_vectors=_tfidf(target_counts, df, n_docs),
        candidate_counts=candidate_counts,
        candidate_vectors=_tfidf(candidate_counts, df, n_docs),
        enterprise=table.enterprise,
        profile=table.profile,
        offer=table.offer,
        region_index=table.region_index,
        trl=table.trl,
        qualification=table.qualification,
        nodeset_index=table.nodeset_index,
        nodesets=table.nodesets,
        weights=weights or Weights(),
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


def _matched_terms(prep: _Prepared, target_row: int, index: int) -> list[str]:
    """The terms a target shares with a candidate, the rarest first (then by term)."""
    targets, counts = prep.target_vectors, prep.candidate_counts
    shared = np.intersect1d(
        targets.indices[targets.indptr[target_row] : targets.indptr[target_row + 1]],
        counts.indices[counts.indptr[index] : counts.indptr[index + 1]],
        assume_unique=True,
    )
    terms, idf = prep.terms, prep.idf
    return sorted((terms[column] for column in shared.tolist()), key=lambda term: (-idf[prep.vocabulary[term]], term))[
        :MAX_MATCHED_TERMS
    ]


def rank_candidates(
    *,
    targets: Sequence[Target],
    candidates: Sequence[Candidate] | CandidateTable,
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
    if not targets or not len(candidates) or top_n <= 0:
        return result
    prep = _prepare(targets, candidates, weights)
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
    # Text of the whole block in one sparse × dense product (candidates × block), summed in float32
    # over each candidate's terms in column order — the same sums as ``targets @ candidates.T``.
    targets = prep.target_vectors[start : start + len(block)].toarray().T
    text_block = prep.candidate_vectors @ targets
    structure_table = _structure_block(block, structure, nodesets, columns)
    out = []
    # Row by row: the few candidate-length vectors of one target stay in cache. The parts that do not
    # depend on the target's text or nodes are cached weighted vectors (same products, same sums).
    for offset, target in enumerate(block):
        text_row = text_block[:, offset].astype(np.float64)
        structure_values = structure_table[offset]
        region_part, region_values = prep.region_part(target.region_code)
        trl_part, trl_values = prep.trl_part(target.kind, target.wanted_trl)
        row = w.text * text_row
        row += (w.structure * structure_values)[prep.nodeset_index]
        row += region_part
        row += prep.qualification_part
        row += trl_part
        # Rounded so that equal scores reached through different components compare equal, and the
        # stable keys, not float noise, break the tie.
        np.round(row, 9, out=row)
        row[(text_row <= 0) & (structure_values <= 0)[prep.nodeset_index]] = -np.inf
        if target.kind == NEED and target.enterprise_id is not None:
            row[prep.of_enterprise(target.enterprise_id)] = -np.inf
        ranked = []
        for rank, index in enumerate(_top(prep, row, top_n), start=1):
            offer_id = int(prep.offer[index])
            ranked.append(
                Ranked(
                    target=target.key,
                    rank=rank,
                    score=round(float(row[index]), 6),
                    profile_id=int(prep.profile[index]),
                    offer_id=None if offer_id < 0 else offer_id,
                    enterprise_id=int(prep.enterprise[index]),
                    components={
                        "text": round(float(text_row[index]), 4),
                        "structure": round(float(structure_values[prep.nodeset_index[index]]), 4),
                        "region": round(float(region_values[prep.region_index[index]]), 4),
                        "qualification": round(float(prep.qualification[index]), 4),
                        "trl": round(float(trl_values[prep.trl[index]]), 4),
                    },
                    matched_terms=_matched_terms(prep, start + offset, index),
                )
            )
        out.append((target.key, ranked))
    return out


# --- the database layer ---------------------------------------------------------------------


def matching_inputs(*, chain_ids: Sequence[int]) -> tuple[list[Target], CandidateTable, ChainStructure]:
    """Targets, candidates and structure of some chains, in a constant number of queries (9; one more
    while some candidate rows have no token codes yet). The cyclic garbage collector is paused while
    rows are turned into columns: hundreds of thousands of short-lived tuples would otherwise make it
    walk the whole heap again and again (they hold no cycles).

    Targets: open bottlenecks of the chains, open needs (of approved profiles) on their nodes.
    Candidates: approved profiles whose enterprise sits on a node of the chains (placement not
    rejected) or offers something there, and those offers. Only approved profiles ever appear.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _matching_inputs(chain_ids=list(chain_ids))
    finally:
        if collecting:
            gc.enable()


def _matching_inputs(*, chain_ids: list[int]) -> tuple[list[Target], CandidateTable, ChainStructure]:
    from django.db.models import Case, F, Q, TextField, Value, When
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

    # Targets' tokens come as JSON text, parsed here with every term interned (Django's JSONField
    # decoding costs several times more). Candidates' tokens come as packed term ids: 300,000
    # profiles of ~40 terms would otherwise mean ~12 million strings to parse.
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

    placements = (
        Placement.objects.filter(node__chain_id__in=chain_ids).exclude(status=Placement.Status.REJECTED).order_by()
    )
    placed = _nodes_by_enterprise(_fetch(placements.values_list("enterprise_id", "node_id")))
    # Candidates' tokens as packed term ids; the JSON text only of a row not encoded yet.
    unencoded = Case(When(token_codes__isnull=True, then=text), default=Value(None), output_field=TextField())
    offers = SupplyOffer.objects.filter(node__chain_id__in=chain_ids, profile__status=ProfileStatus.APPROVED).order_by()
    offer_rows = list(offers.values_list("pk", "profile_id", "node_id", "token_codes", unencoded, "trl"))
    offered: dict[int, set[int]] = {}
    for _pk, profile_id, node_id, *_rest in offer_rows:
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
    columns = _CandidateColumns()
    # Rows come straight from the cursor and are turned into columns (zip), not handled one by one.
    rows = _fetch(
        profiles.values_list(
            "pk",
            "enterprise_id",
            "token_codes",
            unencoded,
            "trl",
            F("enterprise__region__code"),
            *(F(f"enterprise__{q}") for q in qualification_fields),
        )
    )
    pks, enterprises, codes, raws, trls, regions, *flags = (
        zip(*rows, strict=True) if rows else [()] * (6 + len(qualification_fields))
    )
    region_pos = {code: i for i, code in enumerate(REGIONS)}
    region_index = [region_pos.get(region or "", len(REGIONS)) for region in regions]
    qualification = (
        np.array(flags, dtype=bool).T * np.array([QUALIFICATION_WEIGHTS.get(q, 0.0) for q in qualification_fields])
    ).max(axis=1, initial=0.0)
    nodeset_of = {enterprise: columns.nodeset(nodes) for enterprise, nodes in placed.items()}
    empty = columns.nodeset(())
    nodeset_index = [nodeset_of.get(enterprise, empty) for enterprise in enterprises]
    position = {pk: i for i, pk in enumerate(pks)} if offered else {}
    for profile_id, nodes in offered.items():
        i = position[profile_id]
        nodeset_index[i] = columns.nodeset(terms.nodes(nodes.union(columns.nodeset_list[nodeset_index[i]])))
    columns.add(
        profile=pks,
        offer=[-1] * len(pks),
        enterprise=enterprises,
        region_index=region_index,
        trl=trls,
        qualification=qualification,
        nodeset_index=nodeset_index,
        codes=codes,
        raws=raws,
    )
    if offer_rows:
        offer_pks, offer_profiles, offer_nodes, offer_codes, offer_raws, offer_trls = zip(*offer_rows, strict=True)
        at = [position[profile_id] for profile_id in offer_profiles]
        columns.add(
            profile=offer_profiles,
            offer=offer_pks,
            enterprise=[enterprises[i] for i in at],
            region_index=[region_index[i] for i in at],
            trl=[trl or trls[i] for trl, i in zip(offer_trls, at, strict=True)],
            qualification=qualification[at],
            nodeset_index=[columns.nodeset((node_id,)) for node_id in offer_nodes],
            codes=offer_codes,
            raws=offer_raws,
        )
    return targets, columns.table(), structure


def _nodes_by_enterprise(rows: list[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    """(enterprise, node) rows → each enterprise's distinct nodes, ascending (grouped with numpy)."""
    if not rows:
        return {}
    pairs = np.array(rows, dtype=np.int64)
    span = int(pairs[:, 1].max()) + 1
    keys = np.unique(pairs[:, 0] * span + pairs[:, 1])  # by enterprise, then node; duplicates gone
    enterprises, starts = np.unique(keys // span, return_index=True)
    nodes = (keys % span).tolist()
    bounds = [*starts.tolist(), len(nodes)]
    return {
        enterprise: tuple(nodes[begin:end])
        for enterprise, begin, end in zip(enterprises.tolist(), bounds, bounds[1:], strict=False)
    }


def _fetch(queryset: Any) -> list[tuple[Any, ...]]:
    """All rows of a ``values_list`` queryset as the database driver returns them (no per-row ORM
    work: the columns here need no conversion)."""
    from django.db import connections

    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _CandidateColumns:
    """Collects candidates as columns, then makes the ``CandidateTable``: the packed term ids become
    one CSR matrix whose columns are the terms in use (their texts read in one query)."""

    def __init__(self) -> None:
        self.terms = _Terms()
        self.columns: dict[str, list[Any]] = {
            name: [] for name in ("profile", "offer", "enterprise", "region_index", "trl", "qualification")
        }
        self.nodeset_index: list[int] = []
        self.nodesets: dict[tuple[int, ...], int] = {}
        self.nodeset_list: list[tuple[int, ...]] = []
        self.codes: list[bytes] = []
        self.unencoded: dict[int, list[str]] = {}  # row → tokens, for rows without codes

    def nodeset(self, nodes: tuple[int, ...]) -> int:
        index = self.nodesets.get(nodes)
        if index is None:
            index = self.nodesets[nodes] = len(self.nodeset_list)
            self.nodeset_list.append(nodes)
        return index

    def add(
        self, *, nodeset_index: Sequence[int], codes: Sequence[Any], raws: Sequence[str | None], **columns: Any
    ) -> None:
        start = len(self.codes)
        for name, values in columns.items():
            self.columns[name].extend(values.tolist() if isinstance(values, np.ndarray) else values)
        self.nodeset_index.extend(nodeset_index)
        self.codes.extend(codes)
        for offset in [i for i, value in enumerate(codes) if value is None]:
            self.unencoded[start + offset] = self.terms.parse(raws[offset])
            self.codes[start + offset] = b""

    def _encode_rest(self, top: int) -> dict[int, str]:
        """Codes for the rows stored before token codes existed: known terms by their id, new ones
        numbered past ``top`` (in memory only). Returns those new ids' texts."""
        from chainmap.models import Term

        wanted = {term for tokens in self.unencoded.values() for term in tokens}
        ids = dict(Term.objects.filter(text__in=wanted).values_list("text", "pk")) if wanted else {}
        top = max(top, *ids.values()) if ids else top
        local: dict[int, str] = {}
        for term in sorted(wanted.difference(ids)):
            top += 1
            ids[term] = top
            local[top] = term
        for row, tokens in self.unencoded.items():
            self.codes[row] = np.sort(np.fromiter((ids[t] for t in tokens), dtype="<i4", count=len(tokens))).tobytes()
        return local

    def table(self) -> CandidateTable:
        from chainmap.models import Term

        ids = _decode(b"".join(self.codes))
        local_terms: dict[int, str] = {}
        if self.unencoded:
            local_terms = self._encode_rest(int(ids.max()) if len(ids) else 0)
            ids = _decode(b"".join(self.codes))
        n = len(self.codes)
        lengths = np.fromiter(map(len, self.codes), dtype=np.int64, count=n) // 4
        present = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
        present[ids] = True
        used = np.flatnonzero(present)
        # Columns in term-id order, so each row's (ascending) codes stay sorted.
        column_of = np.cumsum(present, dtype=np.int64) - 1
        stored = [int(i) for i in used if int(i) not in local_terms]
        texts = dict(Term.objects.filter(pk__in=stored).values_list("pk", "text")) if stored else {}
        texts.update(local_terms)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        counts = sp.csr_matrix(
            (np.ones(len(ids), dtype=np.float32), column_of[ids].astype(np.int32), indptr), shape=(n, len(used))
        )
        counts.sum_duplicates()
        column = self.columns
        return CandidateTable(
            profile=np.array(column["profile"], dtype=np.int64),
            offer=np.array(column["offer"], dtype=np.int64),
            enterprise=np.array(column["enterprise"], dtype=np.int64),
            region_index=np.array(column["region_index"], dtype=np.int64),
            trl=np.clip(np.array(column["trl"], dtype=np.int64), 0, 9),
            qualification=np.array(column["qualification"], dtype=np.float64),
            nodeset_index=np.array(self.nodeset_index, dtype=np.int64),
            nodesets=self.nodeset_list,
            counts=counts,
            terms=[texts[int(i)] for i in used],
        )


def _decode(codes: bytes) -> np.ndarray:
    return np.frombuffer(codes, dtype="<i4")


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
