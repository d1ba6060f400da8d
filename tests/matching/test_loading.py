"""The matching engine's fast paths against plain references: the packed PostgreSQL reader against the
row reader, node-set grouping, term counts, and the top-N selection against a full sort."""

from __future__ import annotations

import types

import numpy as np
import pytest
from django.db import connection

from chainmap import models as m
from chainmap.matching.services import loading as matching_load
from chainmap.matching.services import text
from chainmap.matching.services.engine import _kth_largest, _top, rank_candidates
from chainmap.matching.services.loading import _counts, _group_nodesets, matching_inputs
from tests import factories as f
from tests.conftest import require
from tests.matching.test_engine import W, approved, h2, market  # noqa: F401 - fixtures are used by name


def rows_of(table) -> list[tuple]:
    """Every candidate row as plain values, its node set and its term counts, in canonical order."""
    table = table.ordered()
    counts = table.counts
    result = []
    for i in range(len(table)):
        lo, hi = counts.indptr[i], counts.indptr[i + 1]
        terms = sorted(
            zip(
                (table.terms[c] for c in counts.indices[lo:hi].tolist()),
                counts.data[lo:hi].tolist(),
                strict=True,
            )
        )
        result.append(
            (
                int(table.profile[i]),
                int(table.offer[i]),
                int(table.enterprise[i]),
                int(table.region_index[i]),
                int(table.trl[i]),
                float(table.qualification[i]),
                table.nodesets[int(table.nodeset_index[i])],
                terms,
            )
        )
    return result


@pytest.fixture
def mixed(h2, market):  # noqa: F811 - pytest fixtures by name
    """Beyond the market: an enterprise that only offers (placed nowhere), a placed one offering on a
    further node, an offer without TRL, a qualification, and rows stored before token codes existed."""
    offering = f.ProfileFactory(
        enterprise=f.EnterpriseFactory(region=f.region("TJ"), is_specialized=True),
        products="膜电极 热压",
        core_technologies="膜电极",
        trl=5,
    )
    f.OfferFactory(profile=offering, node=h2["mea"], title="膜电极热压成型", trl=None)
    f.OfferFactory(profile=market["plates"], node=h2["stack"], title="电堆双极板配套", trl=8)
    rejected = approved("北京被驳回企业", "BJ", h2["pem"], products="质子交换膜", core="质子交换膜")
    m.Placement.objects.filter(enterprise=rejected.enterprise).update(status=m.Placement.Status.REJECTED)
    text.tokens_fill_missing()
    m.CapabilityProfile.objects.filter(pk=market["needer"].pk).update(token_codes=None)
    m.SupplyOffer.objects.filter(profile=offering).update(token_codes=None)
    return {**market, "offering": offering, "rejected": rejected}


def test_packed_and_row_readers_load_the_same_candidates(h2, mixed):  # noqa: F811
    require(connection.vendor == "postgresql", "the packed reader reads PostgreSQL aggregates")
    targets, packed, structure = matching_inputs(chain_ids=[h2["chain"].pk], packed=True)
    _targets, rows, _structure = matching_inputs(chain_ids=[h2["chain"].pk], packed=False)

    assert rows_of(packed) == rows_of(rows)
    loaded = {row[0]: row for row in rows_of(packed) if row[1] == -1}
    assert mixed["rejected"].pk not in loaded  # its only placement was rejected
    offering = loaded[mixed["offering"].pk]
    assert offering[6] == (h2["mea"].pk,)  # placed nowhere: related through its offer only
    assert offering[5] == pytest.approx(0.7)  # 专精特新
    assert offering[7], "its JSON tokens were read: it has no codes"
    assert h2["stack"].pk in loaded[mixed["plates"].pk][6]  # placed on pem, offers on stack
    assert rank_candidates(targets=targets, candidates=packed, structure=structure, weights=W) == rank_candidates(
        targets=targets, candidates=rows, structure=structure, weights=W
    )


def test_nodesets_are_grouped_exactly_even_when_keys_collide(monkeypatch):
    enterprises = np.array([5, 3, 5, 9, 3, 7, 9, 5, 11], dtype=np.int64)
    nodes = np.array([2, 1, 1, 2, 2, 4, 1, 2, 1], dtype=np.int64)
    expected = {3: (1, 2), 5: (1, 2), 7: (4,), 9: (1, 2), 11: (1,)}

    def grouped() -> dict[int, tuple[int, ...]]:
        sets = _group_nodesets(enterprises, nodes)
        return {int(e): sets.sets[int(i)] for e, i in zip(sets.enterprises, sets.of_enterprise, strict=True)}

    assert grouped() == expected
    assert len(set(_group_nodesets(enterprises, nodes).sets)) == 3
    # Every node the same key: every set sums alike, and the exact grouping takes over.
    monkeypatch.setattr(matching_load, "_node_keys", lambda count: np.ones(count, dtype=np.uint64))
    assert grouped() == expected


def test_term_counts_do_not_depend_on_the_order_of_a_rows_ids(db):
    a, b, c, d = (m.MatchToken.objects.create(text=word).pk for word in ("涂布", "双极板", "质子交换膜", "电堆"))
    ordered = np.array([b, b, c, a, d, d, d], dtype=np.int32)
    shuffled = np.array([c, b, b, d, a, d, d], dtype=np.int32)
    lengths = np.array([3, 0, 4])
    for ids in (ordered, shuffled):
        counts, terms = _counts(ids, lengths, {})
        assert terms == ["涂布", "双极板", "质子交换膜", "电堆"]
        assert counts.toarray().tolist() == [[0, 2, 1, 0], [0, 0, 0, 0], [1, 0, 0, 3]]
        assert counts.has_canonical_format


@pytest.mark.parametrize("size", [1, 7, 500, 5000, 200_000])
def test_kth_largest_is_the_kth_value_of_a_full_sort(size):
    rng = np.random.default_rng(size)
    row = np.round(rng.random(size), 2)  # many ties
    row[rng.random(size) < 0.2] = -np.inf
    for k in sorted({1, 3, 68, size // 2, size} - {0}):
        if k <= size:
            assert _kth_largest(row, k) == np.sort(row)[::-1][k - 1]


def test_kth_largest_falls_back_when_the_sample_misses_the_top():
    row = np.zeros(100_000)
    row[0 : 64 * 8 : 64] = 2.0  # eight of the sampled points (every 64th) are the largest
    row[1:60] = 1.0  # the next 59 all sit between sampled points
    assert _kth_largest(row, 8) == 2.0
    assert _kth_largest(row, 60) == 1.0
    assert _kth_largest(row, 68) == 0.0


def reference_top(table, scores, eligible, top_n):
    rounded = np.round(scores, 9)
    order = np.lexsort((table.offer, table.profile, table.enterprise, -rounded))
    picked, seen = [], set()
    for i in order.tolist():
        if not np.isfinite(rounded[i]) or not eligible(np.array([i]))[0] or table.enterprise[i] in seen:
            continue
        seen.add(table.enterprise[i])
        picked.append(i)
        if len(picked) == top_n:
            break
    return picked


@pytest.mark.parametrize("seed", range(6))
def test_top_is_a_full_sort_of_the_rounded_scores(seed):
    """Ties, scores a rounding apart, one row per enterprise, ineligible and excluded rows at the
    top: the selection that only sorts the few near the top picks exactly what a full sort does."""
    rng = np.random.default_rng(seed)
    n = 20_000
    enterprise = np.sort(rng.integers(0, 2_000 if seed % 2 else 19_000, size=n))
    table = types.SimpleNamespace(
        enterprise=enterprise, profile=np.arange(n) + 1, offer=np.where(rng.random(n) < 0.3, np.arange(n), -1)
    )
    scores = np.round(rng.random(n), 3) + rng.choice([0.0, 4e-10, -4e-10, 1.2e-9], size=n)
    ineligible = rng.random(n) < (0.9 if seed >= 3 else 0.1)
    scores[ineligible] += 0.5  # the ineligible crowd the top
    scores[rng.random(n) < 0.05] = -np.inf

    def eligible(indices):
        return ~ineligible[indices]

    top_n = 20
    picked, values = _top(table, scores, eligible, top_n)
    assert picked == reference_top(table, scores, eligible, top_n)
    assert values == np.round(scores[picked], 9).tolist()


def test_the_engine_matches_the_naive_loop_on_a_pool_large_enough_to_sample():
    from chainmap.benchmarks.matching import naive, synthetic

    targets, candidates, structure = synthetic(profiles=6000, bottlenecks=6, needs=6, seed=11)
    ranking = rank_candidates(targets=targets, candidates=candidates, structure=structure, weights=W)
    expected = naive(targets=targets, candidates=candidates, structure=structure, weights=W)
    for key, rows_ in expected.items():
        assert [(r.enterprise_id, r.profile_id) for r in ranking[key]] == [(e, p) for _s, e, p, _o in rows_]
        assert [r.score for r in ranking[key]] == [pytest.approx(-s, abs=1e-5) for s, *_rest in rows_]
