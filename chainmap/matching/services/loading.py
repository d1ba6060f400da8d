"""Loading a round's matching inputs from the database: targets, candidates and the chain structure.

Candidates are read as columns, never as per-profile objects. On PostgreSQL the profiles and the
placements come back as a few ``bytea`` values (``string_agg`` of fixed-width records and of the
packed term ids), read in binary and viewed as numpy arrays: 300,000 profiles arrive as about 60 MB
in four values instead of 300,000 row tuples. Elsewhere (SQLite: the embedded default) the same
querysets are read row by row into the same columns. Both readers share the filters, the grouping
of node sets and the term-count matrix, and give equal tables.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from chainmap.matching.services.engine import (
    BOTTLENECK,
    NEED,
    QUALIFICATION_WEIGHTS,
    REGIONS,
    CandidateTable,
    ChainStructure,
    Target,
)
from chainmap.matching.services.text import decode_tokens

# Byte layout of one profile record in the packed read (big-endian: PostgreSQL's ``int*send``).
_PROFILE_RECORD = np.dtype(
    [("pk", ">i8"), ("enterprise", ">i8"), ("trl", ">i2"), ("region", ">i2"), ("flags", ">i2"), ("codes", ">i4")]
)
_NO_CODES = -1  # record's ``codes`` length when the row has no token codes yet (JSON tokens only)


def matching_inputs(
    *, chain_ids: Sequence[int], packed: bool | None = None
) -> tuple[list[Target], CandidateTable, ChainStructure]:
    """Targets, candidates and structure of some chains, in a constant number of queries (9; two more
    while some candidate rows have no token codes yet: their JSON tokens, and the ids of those terms).

    Targets: open bottlenecks of the chains, open needs (of approved profiles) on their nodes.
    Candidates: approved profiles whose enterprise sits on a node of the chains (placement not
    rejected) or offers something there, and those offers. Only approved profiles ever appear.

    ``packed`` (default: on PostgreSQL) reads the candidates as packed binary columns; otherwise they
    are read row by row. The cyclic garbage collector is paused meanwhile: the row reader makes
    hundreds of thousands of short-lived tuples (they hold no cycles).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _matching_inputs(chain_ids=list(chain_ids), packed=packed)
    finally:
        if collecting:
            gc.enable()


def _matching_inputs(
    *, chain_ids: list[int], packed: bool | None
) -> tuple[list[Target], CandidateTable, ChainStructure]:
    from django.db import connections
    from django.db.models import Case, F, IntegerField, Q, TextField, Value, When
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
    # Candidates' tokens as packed term ids; the JSON text only of a row not encoded yet.
    unencoded = Case(When(token_codes__isnull=True, then=text), default=Value(None), output_field=TextField())
    offers = SupplyOffer.objects.filter(node__chain_id__in=chain_ids, profile__status=ProfileStatus.APPROVED).order_by()
    offer_rows = list(offers.values_list("pk", "profile_id", "node_id", "token_codes", unencoded, "trl"))
    # IN (subquery) rather than EXISTS: PostgreSQL hashes each subquery once instead of probing
    # placements per profile; no ORDER BY (the engine puts candidates in canonical order itself).
    profiles = (
        CapabilityProfile.objects.filter(status=ProfileStatus.APPROVED)
        .filter(Q(enterprise_id__in=placements.values("enterprise_id")) | Q(pk__in=offers.values("profile_id")))
        .order_by()
    )
    # The region as its position in REGIONS (the last: unknown), worked out by the database.
    region_index = Case(
        *(When(enterprise__region__code=code, then=Value(i)) for i, code in enumerate(REGIONS)),
        default=Value(len(REGIONS)),
        output_field=IntegerField(),
    )
    profile_columns = ("pk", "enterprise_id", "trl", region_index, *(F(f"enterprise__{q}") for q in QUALIFICATIONS))
    if packed is None:
        packed = connections[profiles.db].vendor == "postgresql"
    reader = _PackedReader(profiles.db) if packed else _RowReader(profiles.db)
    pairs = reader.placements(placements.values_list("enterprise_id", "node_id"))
    columns = reader.profiles(profiles, profile_columns, text, terms)
    return targets, _table(columns, pairs, offer_rows, terms), structure


# --- the two readers ------------------------------------------------------------------------


@dataclass(slots=True)
class _ProfileColumns:
    """The profiles as read: one entry per profile; ``codes`` their packed term ids end to end, ``lengths``
    each row's number of ids; ``unencoded`` row → tokens of the rows that have no codes yet."""

    pk: np.ndarray
    enterprise: np.ndarray
    trl: np.ndarray
    region_index: np.ndarray  # position in REGIONS, len(REGIONS) when unknown
    qualification: np.ndarray  # float64: the best qualification weight
    codes: np.ndarray  # int32 term ids
    lengths: np.ndarray
    unencoded: dict[int, list[str]] = field(default_factory=dict)


def _qualification_weights() -> np.ndarray:
    from chainmap.models import QUALIFICATIONS

    return np.array([QUALIFICATION_WEIGHTS.get(q, 0.0) for q in QUALIFICATIONS], dtype=np.float64)


class _RowReader:
    """Rows through the database driver, turned into columns (SQLite, or on request)."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def _rows(self, queryset: Any) -> list[tuple[Any, ...]]:
        from django.db import connections

        sql, params = queryset.query.sql_with_params()
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def placements(self, queryset: Any) -> tuple[np.ndarray, np.ndarray]:
        rows = self._rows(queryset)
        pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    def profiles(self, profiles: Any, columns: Sequence[Any], text: Any, terms: _Terms) -> _ProfileColumns:
        rows = self._rows(profiles.values_list(*columns, "token_codes"))
        if not rows:
            return _empty_profiles()
        pks, enterprises, trls, regions, *flags, codes = zip(*rows, strict=True)
        ids, lengths = _joined_codes(codes)
        pk = np.array(pks, dtype=np.int64)
        return _ProfileColumns(
            pk=pk,
            enterprise=np.array(enterprises, dtype=np.int64),
            trl=np.array(trls, dtype=np.int64),
            region_index=np.array(regions, dtype=np.int64),
            qualification=(np.array(flags, dtype=bool).T * _qualification_weights()).max(axis=1, initial=0.0),
            codes=ids,
            lengths=lengths,
            unencoded=_json_tokens(profiles.model, pk, lengths, text, terms),
        )


def _joined_codes(values: Sequence[bytes | memoryview | None]) -> tuple[np.ndarray, np.ndarray]:
    """Rows' packed term ids end to end, and each row's number of ids (``_NO_CODES`` for a row
    that has no codes yet)."""
    blobs = [b"" if value is None else bytes(value) for value in values]
    lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 4
    lengths[[row for row, value in enumerate(values) if value is None]] = _NO_CODES
    return decode_tokens(b"".join(blobs)), lengths


class _PackedReader:
    """PostgreSQL: each queryset becomes one aggregate row of ``bytea`` values, read in binary with a
    server-side-binding cursor and viewed with numpy."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def _aggregate(self, queryset: Any, columns: Sequence[str], select: str) -> tuple[Any, ...]:
        import psycopg
        from django.db import connections

        connection = connections[self.alias]
        sql, params = queryset.query.sql_with_params()
        # Only our own constant SQL is spliced in; values stay parameters.
        query = f"SELECT {select} FROM ({sql}) AS s ({', '.join(columns)})"  # noqa: S608
        connection.ensure_connection()
        started = time.monotonic()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(query, params, binary=True)
            row = cursor.fetchone()
        assert row is not None  # an aggregate without GROUP BY always returns one row
        if connection.queries_logged:  # the query budgets (assertNumQueries) count it like any other
            connection.queries_log.append({"sql": query, "time": f"{time.monotonic() - started:.3f}"})
        return row

    def placements(self, queryset: Any) -> tuple[np.ndarray, np.ndarray]:
        enterprises, nodes = self._aggregate(
            queryset,
            ("enterprise", "node"),
            "string_agg(int8send(s.enterprise), ''), string_agg(int8send(s.node), '')",
        )
        return _int64(enterprises), _int64(nodes)

    def profiles(self, profiles: Any, columns: Sequence[Any], text: Any, terms: _Terms) -> _ProfileColumns:
        from chainmap.models import QUALIFICATIONS

        flags = [f"q{i}" for i in range(len(QUALIFICATIONS))]
        bits = " | ".join(f"(s.{name}::int << {i})" for i, name in enumerate(flags))
        # Rows of no codes keep their place in both aggregates: empty codes and a length of −1.
        record = (
            "int8send(s.pk) || int8send(s.enterprise) || int2send(s.trl) || int2send(s.region::int2)"
            f" || int2send(({bits})::int2) || int4send(coalesce(length(s.codes) / 4, {_NO_CODES}))"
        )
        # Both aggregates see the rows in the same order (one pass feeds every aggregate), so the
        # n-th record and the n-th slice of codes are the same profile.
        records, codes = self._aggregate(
            profiles.values_list(*columns, "token_codes"),
            ("pk", "enterprise", "trl", "region", *flags, "codes"),
            f"string_agg({record}, ''), string_agg(coalesce(s.codes, '\\x'::bytea), '')",
        )
        table = np.frombuffer(records or b"", dtype=_PROFILE_RECORD)
        lengths = table["codes"].astype(np.int64)
        pk = table["pk"].astype(np.int64)
        bit_values = (table["flags"].astype(np.int64)[:, None] >> np.arange(len(flags))) & 1
        return _ProfileColumns(
            pk=pk,
            enterprise=table["enterprise"].astype(np.int64),
            trl=table["trl"].astype(np.int64),
            region_index=table["region"].astype(np.int64),
            qualification=(bit_values * _qualification_weights()).max(axis=1, initial=0.0),
            codes=decode_tokens(codes),
            lengths=lengths,
            unencoded=_json_tokens(profiles.model, pk, lengths, text, terms),
        )


def _json_tokens(model: Any, pk: np.ndarray, lengths: np.ndarray, text: Any, terms: _Terms) -> dict[int, list[str]]:
    """Row → JSON tokens of the rows stored before token codes existed (their length is marked
    ``_NO_CODES``, and set to 0 here): one more query, only while there are such rows."""
    missing = np.flatnonzero(lengths == _NO_CODES)
    if not len(missing):
        return {}
    lengths[missing] = 0
    row_of = dict(zip(pk[missing].tolist(), missing.tolist(), strict=True))
    return {row_of[key]: terms.parse(raw) for key, raw in model.objects.filter(pk__in=row_of).values_list("pk", text)}


def _int64(value: bytes | None) -> np.ndarray:
    return np.frombuffer(value or b"", dtype=">i8").astype(np.int64)


def _empty_profiles() -> _ProfileColumns:
    empty = np.zeros(0, dtype=np.int64)
    return _ProfileColumns(
        pk=empty,
        enterprise=empty,
        trl=empty,
        region_index=empty,
        qualification=np.zeros(0),
        codes=np.zeros(0, dtype=np.int32),
        lengths=empty,
    )


# --- shared: node sets, offers, the term-count matrix ---------------------------------------


@dataclass(slots=True)
class _NodeSets:
    """Distinct node sets (ascending tuples) and, for lookups, which one each placed enterprise has."""

    sets: list[tuple[int, ...]]
    enterprises: np.ndarray  # ascending
    of_enterprise: np.ndarray  # position in ``sets`` of each of ``enterprises``
    _index: dict[tuple[int, ...], int] | None = None

    def index(self, nodes: tuple[int, ...]) -> int:
        """Position of ``nodes`` (ascending, distinct), appended if new."""
        if self._index is None:
            self._index = {nodes: i for i, nodes in enumerate(self.sets)}
        found = self._index.get(nodes)
        if found is None:
            found = self._index[nodes] = len(self.sets)
            self.sets.append(nodes)
        return found

    def lookup(self, enterprises: np.ndarray) -> np.ndarray:
        """Node set of each enterprise; the empty set for one placed nowhere."""
        if not len(self.enterprises):
            return np.full(len(enterprises), self.index(()) if len(enterprises) else 0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.enterprises, enterprises), len(self.enterprises) - 1)
        found = self.enterprises[at] == enterprises
        result = self.of_enterprise[at].copy()
        if not found.all():
            result[~found] = self.index(())
        return result


def _node_keys(count: int) -> np.ndarray:
    """Random 64-bit keys, one per distinct node (fixed seed: the same keys every run)."""
    return np.random.default_rng(0x5EED).integers(1, 2**63, size=count, dtype=np.uint64)


def _group_nodesets(enterprises: np.ndarray, nodes: np.ndarray) -> _NodeSets:
    """(enterprise, node) pairs → each enterprise's distinct nodes, grouped into distinct sets with
    numpy: sets are told apart by a sum of per-node random 64-bit keys, and every grouping is checked
    against the set it was grouped with (a key collision falls back to exact grouping)."""
    if not len(enterprises):
        return _NodeSets(sets=[], enterprises=np.zeros(0, np.int64), of_enterprise=np.zeros(0, np.int64))
    span = int(nodes.max()) + 1
    if int(enterprises.max()) < (2**63 - 1) // span:  # one sortable key per pair: sorted and deduplicated at once
        keys = np.sort(enterprises * span + nodes)  # (np.unique without flags hashes: many times slower here)
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
        ent, node = keys // span, keys % span
    else:
        order = np.lexsort((nodes, enterprises))
        ent, node = enterprises[order], nodes[order]
        keep = np.ones(len(ent), dtype=bool)
        keep[1:] = (ent[1:] != ent[:-1]) | (node[1:] != node[:-1])
        ent, node = ent[keep], node[keep]
    starts = np.flatnonzero(np.r_[True, ent[1:] != ent[:-1]])
    lengths = np.diff(np.r_[starts, len(ent)])
    distinct_nodes, node_pos = np.unique(node, return_inverse=True)
    set_keys = np.add.reduceat(_node_keys(len(distinct_nodes))[node_pos], starts)  # a sum modulo 2**64
    _unique, first, inverse = np.unique(set_keys, return_index=True, return_inverse=True)
    # Check: each enterprise's nodes equal those of the first enterprise with the same key.
    representative = first[inverse]
    same_length = lengths == lengths[representative]
    offsets = np.arange(len(node)) - np.repeat(starts, lengths)
    mirrored = np.repeat(starts[representative], lengths) + offsets
    exact = bool(same_length.all()) and bool((node == node[np.minimum(mirrored, len(node) - 1)]).all())
    listed = node.tolist()
    bounds = np.r_[starts, len(node)].tolist()
    if not exact:  # a collision of 64-bit sums: group the tuples themselves
        index: dict[tuple[int, ...], int] = {}
        sets: list[tuple[int, ...]] = []
        of_enterprise = np.empty(len(starts), dtype=np.int64)
        for i in range(len(starts)):
            nodes_of = tuple(listed[bounds[i] : bounds[i + 1]])
            of_enterprise[i] = index.setdefault(nodes_of, len(index))
            if of_enterprise[i] == len(sets):
                sets.append(nodes_of)
        return _NodeSets(sets=sets, enterprises=ent[starts], of_enterprise=of_enterprise)
    sets = [tuple(listed[bounds[i] : bounds[i + 1]]) for i in first.tolist()]
    return _NodeSets(sets=sets, enterprises=ent[starts], of_enterprise=inverse.astype(np.int64))


def _table(
    profiles: _ProfileColumns,
    pairs: tuple[np.ndarray, np.ndarray],
    offer_rows: list[tuple[Any, ...]],
    terms: _Terms,
) -> CandidateTable:
    """The candidate table: the profiles, then their supply offers (which inherit enterprise, region
    and qualification, and the profile's TRL when they state none)."""
    nodesets = _group_nodesets(*pairs)
    n = len(profiles.pk)
    nodeset_index = nodesets.lookup(profiles.enterprise)
    region_index = profiles.region_index
    codes, lengths, unencoded = [profiles.codes], [profiles.lengths], dict(profiles.unencoded)
    columns = {
        "profile": [profiles.pk],
        "offer": [np.full(n, -1, dtype=np.int64)],
        "enterprise": [profiles.enterprise],
        "region_index": [region_index],
        "trl": [profiles.trl],
        "qualification": [profiles.qualification],
        "nodeset_index": [nodeset_index],
    }
    if offer_rows:
        order = np.argsort(profiles.pk)
        offered: dict[int, set[int]] = {}
        for _pk, profile_id, node_id, *_rest in offer_rows:
            offered.setdefault(profile_id, set()).add(node_id)
        # A profile that offers on some nodes is also related to those nodes.
        for profile_id, nodes in offered.items():
            i = int(order[np.searchsorted(profiles.pk, profile_id, sorter=order)])
            merged = tuple(sorted(nodes.union(nodesets.sets[int(nodeset_index[i])])))
            nodeset_index[i] = nodesets.index(merged)
        offer_pks, offer_profiles, offer_nodes, offer_codes, offer_raws, offer_trls = zip(*offer_rows, strict=True)
        at = order[np.searchsorted(profiles.pk, np.array(offer_profiles, dtype=np.int64), sorter=order)]
        offer_ids, offer_lengths = _joined_codes(offer_codes)
        for offset in np.flatnonzero(offer_lengths == _NO_CODES).tolist():
            unencoded[n + offset] = terms.parse(offer_raws[offset])
            offer_lengths[offset] = 0
        columns["profile"].append(np.array(offer_profiles, dtype=np.int64))
        columns["offer"].append(np.array(offer_pks, dtype=np.int64))
        columns["enterprise"].append(profiles.enterprise[at])
        columns["region_index"].append(region_index[at])
        columns["trl"].append(
            np.array([profiles.trl[i] if t is None else t for t, i in zip(offer_trls, at.tolist(), strict=True)])
        )
        columns["qualification"].append(profiles.qualification[at])
        columns["nodeset_index"].append(np.array([nodesets.index((node,)) for node in offer_nodes], dtype=np.int64))
        codes.append(offer_ids)
        lengths.append(offer_lengths)
    joined = {name: np.concatenate(parts) for name, parts in columns.items()}
    counts, term_texts = _counts(np.concatenate(codes), np.concatenate(lengths), unencoded)
    return CandidateTable(
        profile=joined["profile"].astype(np.int64),
        offer=joined["offer"].astype(np.int64),
        enterprise=joined["enterprise"].astype(np.int64),
        region_index=joined["region_index"].astype(np.int64),
        trl=np.clip(joined["trl"].astype(np.int64), 0, 9),
        qualification=joined["qualification"].astype(np.float64),
        nodeset_index=joined["nodeset_index"].astype(np.int64),
        nodesets=nodesets.sets,
        counts=counts,
        terms=term_texts,
    )


def _counts(ids: np.ndarray, lengths: np.ndarray, unencoded: Mapping[int, list[str]]) -> tuple[sp.csr_matrix, list]:
    """MatchToken counts (rows × the terms in use, in term-id order) from each row's ascending term ids,
    as a canonical CSR matrix; and the terms' texts (read in one query). Rows in ``unencoded`` are
    encoded here: known terms by their id, unknown ones numbered past the largest id (in memory)."""
    from chainmap.models import MatchToken

    local_terms: dict[int, str] = {}
    if unencoded:
        ids, lengths, local_terms = _encode_rest(ids, lengths, unencoded)
    n = len(lengths)
    # 32-bit indices while they fit (scipy would otherwise widen every index, and products slow down).
    index_type = np.int32 if len(ids) < 2**31 else np.int64
    indptr = np.zeros(n + 1, dtype=index_type)
    np.cumsum(lengths, out=indptr[1:])
    present = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
    present[ids] = True
    used = np.flatnonzero(present)
    column_of = (np.cumsum(present, dtype=np.int64) - 1).astype(np.int32)
    columns = column_of[ids]
    # Each row's ids ascend (repeats are the counts): a new entry wherever the column changes or a row starts.
    row_start = np.zeros(len(ids), dtype=bool)
    row_start[indptr[:-1][lengths > 0]] = True
    step = np.diff(columns)
    descending = np.flatnonzero(step < 0) + 1
    if not row_start[descending].all():  # not ascending within some row: let scipy sort
        counts = sp.csr_matrix((np.ones(len(ids), dtype=np.float32), columns, indptr), shape=(n, len(used)))
        counts.sum_duplicates()
    else:
        new = row_start
        if len(ids):
            new[0] = True
            new[1:] |= step != 0
        starts = np.flatnonzero(new).astype(index_type)
        entries = np.zeros(len(ids) + 1, dtype=index_type)
        np.cumsum(new, out=entries[1:])
        repeats = np.diff(starts, append=index_type(len(ids))).astype(np.float32)
        counts = sp.csr_matrix((repeats, columns[starts], entries[indptr]), shape=(n, len(used)))
        counts.has_canonical_format = True
    stored = [i for i in used.tolist() if i not in local_terms]
    texts = dict(MatchToken.objects.filter(pk__in=stored).values_list("pk", "text")) if stored else {}
    texts.update(local_terms)
    return counts, [texts[i] for i in used.tolist()]


def _encode_rest(
    ids: np.ndarray, lengths: np.ndarray, unencoded: Mapping[int, list[str]]
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Codes for the rows stored before token codes existed: known terms by their id, new ones
    numbered past the largest id in use (in memory only). Returns the new ids, lengths and the texts
    of the new terms."""
    from chainmap.models import MatchToken

    wanted = {term for tokens in unencoded.values() for term in tokens}
    known = dict(MatchToken.objects.filter(text__in=wanted).values_list("text", "pk")) if wanted else {}
    top = max([int(ids.max()) if len(ids) else 0, *known.values()])
    local: dict[int, str] = {}
    for term in sorted(wanted.difference(known)):
        top += 1
        known[term] = top
        local[top] = term
    bounds = np.r_[0, np.cumsum(lengths)]
    rows = [ids[bounds[i] : bounds[i + 1]] for i in range(len(lengths))]
    lengths = lengths.copy()
    for row, tokens in unencoded.items():
        rows[row] = np.sort(np.fromiter((known[t] for t in tokens), dtype=np.int32, count=len(tokens)))
        lengths[row] = len(tokens)
    return (np.concatenate(rows) if rows else ids).astype(np.int32), lengths, local


class _Terms:
    """Parses stored token lists, sharing one string object per term."""

    __slots__ = ("_terms",)

    def __init__(self) -> None:
        self._terms: dict[str, str] = {}

    def parse(self, raw: str | None) -> list[str]:
        if not raw:
            return []
        value = json.loads(raw)
        if not isinstance(value, list):
            return []
        return list(map(self._terms.setdefault, value, value))
