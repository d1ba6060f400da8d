"""Matching engine: rank approved profiles and supply offers against bottlenecks and technology needs.

Two layers:

* a pure engine (``rank_candidates``) over plain dataclasses or a columnar ``CandidateTable`` — no
  ORM, no Django — vectorised with numpy / scipy: one sparse TF-IDF product per block of targets;
  structure touches only the candidates on related nodes; region, qualification and TRL are cached
  per kind of target; the top-N comes from a sampled threshold, and only the few candidates above
  it are rounded and sorted. Every candidate is scored exactly (no text shortlist that could drop a
  same-node candidate), and the result is deterministic: inputs are put in canonical order first
  and ties are broken by (enterprise, profile, offer).
* a database layer: ``chainmap.matching.services.loading.matching_inputs`` loads the inputs in a
  constant number of queries; ``chainmap.matching.services.matches.matching_run`` replaces a
  round's ``Match`` rows in one transaction.

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
    """MatchToken counts (docs × vocabulary, every token known), CSR built directly with numpy: no Python
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
    # Counts are small whole numbers: 1 + log(count) from a table, the same values as per entry.
    repeats = counts.data.astype(np.int64)
    sublinear = 1 + np.log(np.arange(1, int(repeats.max(initial=0)) + 1, dtype=np.float64))
    data = sublinear[repeats - 1] * idf[counts.indices]
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
    _parts: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def region_values(self, region_code: str | None) -> np.ndarray:
        """The region component of a target raised in ``region_code``, per candidate region (the
        last: unknown)."""
        target = region_code if region_code in REGIONS else None
        return np.array([region_fit(target, c) for c in (*REGIONS, None)])

    @staticmethod
    def trl_values(kind: str, wanted_trl: int | None) -> np.ndarray:
        return np.array([trl_fit(kind=kind, wanted_trl=wanted_trl, trl=level) for level in range(10)])

    def static_part(self, target: Target) -> np.ndarray:
        """Weighted region + qualification + TRL over all candidates: the same for every target of the
        same region, kind and wanted TRL, so made once per such key (a few per round)."""
        key = (target.region_code if target.region_code in REGIONS else None, target.kind, target.wanted_trl)
        with self._lock:
            found = self._parts.get(key)
            if found is None:
                w = self.weights
                found = (w.region * self.region_values(target.region_code))[self.region_index]
                found += w.qualification * self.qualification
                found += (w.trl * self.trl_values(target.kind, target.wanted_trl))[self.trl]
                self._parts[key] = found
        return found

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


@dataclass(slots=True)
class _NodeSetIndex:
    """Which candidate node sets hold each node, and which candidates have each node set: the
    structure component of a target then touches only the candidates related to its nodes."""

    node_column: dict[int, int]
    sets_of_node: sp.csc_matrix  # node sets × nodes (CSC: a node's sets are one column)
    members: np.ndarray  # candidate indices ordered by node set
    member_bounds: np.ndarray  # node set s → members[bounds[s] : bounds[s + 1]]
    n_sets: int

    @classmethod
    def build(cls, nodesets: Sequence[tuple[int, ...]], nodeset_index: np.ndarray) -> _NodeSetIndex:
        lengths = np.fromiter(map(len, nodesets), dtype=np.int64, count=len(nodesets))
        flat = np.fromiter(iter_chain.from_iterable(nodesets), dtype=np.int64, count=int(lengths.sum()))
        nodes, column_of = np.unique(flat, return_inverse=True)
        indptr = np.zeros(len(nodesets) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        matrix = sp.csr_matrix(
            (np.ones(len(flat), dtype=np.int8), column_of.astype(np.int32), indptr),
            shape=(len(nodesets), max(len(nodes), 1)),
        )
        members = np.argsort(nodeset_index, kind="stable")
        bounds = np.searchsorted(nodeset_index[members], np.arange(len(nodesets) + 1))
        return cls(
            node_column={node: i for i, node in enumerate(nodes.tolist())},
            sets_of_node=matrix.tocsc(),
            members=members,
            member_bounds=bounds,
            n_sets=len(nodesets),
        )

    def values(self, target: Target, structure: ChainStructure) -> np.ndarray:
        """Structure value of each node set for ``target``: the best relation over its nodes."""
        values = np.zeros(self.n_sets, dtype=np.float64)
        related = structure.node_weights(target.node_ids)
        csc = self.sets_of_node
        for level in (STRUCTURE_NEIGHBOUR, STRUCTURE_FAMILY, STRUCTURE_SAME):  # ascending: the best wins
            for node, value in related.items():
                column = self.node_column.get(node)
                if value == level and column is not None:
                    values[csc.indices[csc.indptr[column] : csc.indptr[column + 1]]] = level
        return values

    def candidates_of(self, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The candidates having any of ``sets``, and how many each set has (in the order of ``sets``)."""
        begins, ends = self.member_bounds[sets], self.member_bounds[sets + 1]
        counts = ends - begins
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int64), counts
        # A ragged gather: positions begins[i] … ends[i] − 1 of every set, end to end.
        shift = np.repeat(begins - np.cumsum(np.r_[0, counts[:-1]]), counts)
        return self.members[shift + np.arange(total)], counts


def _kth_largest(row: np.ndarray, k: int) -> float:
    """The ``k``-th largest value of ``row``: from the values above a threshold taken on a strided
    sample when enough of them pass it (almost always), else by a full partition."""
    n = len(row)
    if k >= n:
        return float(row.min())
    stride = 64
    if n >= stride * 64:
        sample = row[::stride]
        take = min(len(sample), 2 * (k // stride) + 6)
        cut = np.partition(sample, len(sample) - take)[len(sample) - take]
        above = row[row >= cut]
        if len(above) >= k:
            return float(np.partition(above, len(above) - k)[len(above) - k])
    return float(np.partition(row, n - k)[n - k])


def _top(prep: _Prepared, scores: np.ndarray, eligible: Any, top_n: int) -> tuple[list[int], list[float]]:
    """Indices of the best eligible candidates, one per enterprise, in ranking order (−score rounded
    to 9 places, then the stable keys), and their rounded scores. ``eligible(indices)`` says which of
    some candidates may be proposed at all (−inf scores never are).

    Only the few candidates near the top are rounded and sorted: everything scoring below the k-th
    best (by more than rounding can close) ranks after it, so the walk down the sorted few is exact
    until it reaches the k-th best's rounded score; if it has not picked enough by then, k doubles."""
    n = len(scores)
    k = min(top_n * 3 + 8, n)
    while True:
        threshold = _kth_largest(scores, k)
        # Complete: every candidate that can rank (finite score) is among the chosen.
        complete = k >= n or threshold == -np.inf
        chosen = np.flatnonzero(scores >= threshold - 2e-9 if not complete else scores > -np.inf)
        rounded = np.round(scores[chosen], 9)
        keep = eligible(chosen)
        chosen, rounded = chosen[keep], rounded[keep]
        order = np.lexsort((prep.offer[chosen], prep.profile[chosen], prep.enterprise[chosen], -rounded))
        floor = -np.inf if complete else round(threshold, 9)
        picked: list[int] = []
        picked_scores: list[float] = []
        seen: set[int] = set()
        for position in order.tolist():
            if rounded[position] < floor:
                break  # from here on, candidates left out of ``chosen`` may rank in between
            index = int(chosen[position])
            enterprise = int(prep.enterprise[index])
            if enterprise in seen:
                continue
            seen.add(enterprise)
            picked.append(index)
            picked_scores.append(float(rounded[position]))
            if len(picked) == top_n:
                break
        if len(picked) == top_n or complete:
            return picked, picked_scores
        k = min(k * 2, n)


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
    nodesets = _NodeSetIndex.build(prep.nodesets, prep.nodeset_index)
    starts = range(0, len(prep.targets), _BLOCK)

    def score(start: int) -> list[tuple[tuple[str, int], list[Ranked]]]:
        return _score_block(prep, start, structure, nodesets, weights, top_n)

    workers = workers or min(4, os.cpu_count() or 1, len(starts))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            blocks = list(pool.map(score, starts))
    else:
        blocks = [score(start) for start in starts]
    for block in blocks:
        result.update(block)
    return result


def _transposed(matrix: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """A C-ordered copy of ``matrix.T``, copied a cache-sized slab at a time (several times faster
    than numpy's element-wise transpose copy of a tall matrix)."""
    result = np.empty(matrix.shape[::-1], dtype=matrix.dtype)
    for begin in range(0, matrix.shape[0], chunk):
        result[:, begin : begin + chunk] = matrix[begin : begin + chunk].T
    return result


def _score_block(
    prep: _Prepared,
    start: int,
    structure: ChainStructure,
    nodesets: _NodeSetIndex,
    w: Weights,
    top_n: int,
) -> list[tuple[tuple[str, int], list[Ranked]]]:
    block = prep.targets[start : start + _BLOCK]
    # Text of the whole block in one sparse × dense product (candidates × block), summed in float32
    # over each candidate's terms in column order — the same sums as ``targets @ candidates.T`` —
    # then laid out target by target (each target's row contiguous).
    targets = prep.target_vectors[start : start + len(block)].toarray().T
    text_block = _transposed(prep.candidate_vectors @ targets)
    out = []
    # Two passes over all candidates per target: text, and the cached parts that depend only on the
    # target's region, kind and wanted TRL; structure touches only the candidates on related nodes.
    # Only the few candidates near the top are then rounded, checked and sorted (``_top``).
    for offset, target in enumerate(block):
        text_row = text_block[offset]
        structure_values = nodesets.values(target, structure)
        row = np.multiply(text_row, w.text, dtype=np.float64)
        related = np.flatnonzero(structure_values)
        members, counts = nodesets.candidates_of(related)
        row[members] += np.repeat(w.structure * structure_values[related], counts)
        row += prep.static_part(target)
        if target.kind == NEED and target.enterprise_id is not None:
            row[prep.of_enterprise(target.enterprise_id)] = -np.inf

        def eligible(
            indices: np.ndarray, text_row: np.ndarray = text_row, values: np.ndarray = structure_values
        ) -> np.ndarray:
            """Some relevance: shared terms or a related node."""
            return (text_row[indices] > 0) | (values[prep.nodeset_index[indices]] > 0)

        region_values = prep.region_values(target.region_code)
        trl_values = prep.trl_values(target.kind, target.wanted_trl)
        picked, scores = _top(prep, row, eligible, top_n)
        ranked = []
        for rank, (index, score) in enumerate(zip(picked, scores, strict=True), start=1):
            offer_id = int(prep.offer[index])
            ranked.append(
                Ranked(
                    target=target.key,
                    rank=rank,
                    score=round(score, 6),
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
