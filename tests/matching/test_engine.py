"""Matching: tokenization at save time, the pure ranking engine, and matching a round (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from chainmap import models as m
from chainmap.matching.services import text
from chainmap.matching.services.engine import (
    BOTTLENECK,
    COMPONENTS,
    NEED,
    Candidate,
    ChainStructure,
    Target,
    Weights,
    rank_candidates,
)
from chainmap.matching.services.loading import matching_inputs
from chainmap.matching.services.matches import matching_run
from tests import factories as f

W = Weights()
FLAT = ChainStructure.build(nodes=[(1, None), (2, 1), (3, None)], edges=[(3, 1)])


def cand(
    pid: int, *, tokens=("质子交换膜", "全氟磺酸"), region="BJ", nodes=(1,), trl=6, offer=None, ent=None, quals=()
):
    return Candidate(
        profile_id=pid,
        offer_id=offer,
        enterprise_id=pid if ent is None else ent,
        region_code=region,
        node_ids=tuple(nodes),
        tokens=list(tokens),
        trl=trl,
        qualifications=frozenset(quals),
    )


def bottleneck(tid: int = 1, *, tokens=("质子交换膜", "国产化"), region="HE", nodes=(1,)) -> Target:
    return Target(kind=BOTTLENECK, id=tid, node_ids=tuple(nodes), tokens=list(tokens), region_code=region)


def ranked_ids(result, key=(BOTTLENECK, 1)) -> list[tuple[int, int | None]]:
    return [(r.profile_id, r.offer_id) for r in result[key]]


# --- the pure engine -----------------------------------------------------------------------


def test_it_ranks_the_text_match_first_on_the_same_node():
    candidates = [
        cand(1, tokens=["金属", "双极板", "冲压", "涂层"]),
        cand(2, tokens=["全氟磺酸", "质子交换膜", "连续", "涂布", "质子交换膜"]),
        cand(3, tokens=["加氢站", "压缩机"], nodes=(3,)),
    ]
    result = rank_candidates(targets=[bottleneck()], candidates=candidates, structure=FLAT, weights=W, top_n=20)
    assert ranked_ids(result)[0] == (2, None)


def test_it_ranks_a_cross_region_candidate_above_an_identical_same_region_one():
    # Same tokens, node, TRL: only the region differs; the Hebei bottleneck prefers Beijing's research.
    candidates = [cand(1, region="HE"), cand(2, region="BJ")]
    result = rank_candidates(targets=[bottleneck(region="HE")], candidates=candidates, structure=FLAT, weights=W)
    assert ranked_ids(result) == [(2, None), (1, None)]
    assert result[(BOTTLENECK, 1)][0].components["region"] > result[(BOTTLENECK, 1)][1].components["region"]


def test_it_scores_structure_same_node_over_parent_over_neighbour():
    candidates = [cand(1, nodes=(3,)), cand(2, nodes=(2,)), cand(3, nodes=(1,)), cand(4, nodes=(99,))]
    result = rank_candidates(targets=[bottleneck()], candidates=candidates, structure=FLAT, weights=W)
    structure = {r.profile_id: r.components["structure"] for r in result[(BOTTLENECK, 1)]}
    assert structure == {3: 1.0, 2: 0.6, 1: 0.4, 4: 0.0}


def test_it_is_deterministic_whatever_the_input_order():
    rng = random.Random(7)
    vocabulary = ["质子交换膜", "双极板", "膜电极", "催化剂", "碳纸", "储氢瓶", "电解槽", "压缩机", "传感器", "阀门"]
    candidates = [
        cand(
            i,
            tokens=rng.choices(vocabulary, k=rng.randint(2, 8)),
            region=rng.choice(["BJ", "TJ", "HE"]),
            nodes=(rng.choice([1, 2, 3]),),
            trl=rng.randint(1, 9),
        )
        for i in range(1, 200)
    ]
    targets = [bottleneck(t, tokens=rng.choices(vocabulary, k=4), nodes=(rng.choice([1, 2, 3]),)) for t in range(1, 6)]
    first = rank_candidates(targets=targets, candidates=candidates, structure=FLAT, weights=W, top_n=15)
    shuffled_c, shuffled_t = candidates[:], targets[:]
    rng.shuffle(shuffled_c)
    rng.shuffle(shuffled_t)
    again = rank_candidates(targets=shuffled_t, candidates=shuffled_c, structure=FLAT, weights=W, top_n=15)
    assert first == again
    assert all(len(first[t.key]) == 15 for t in targets)


def test_it_breaks_ties_by_enterprise_then_profile_then_offer():
    candidates = [cand(30), cand(10), cand(20), cand(5, ent=40, offer=7)]
    result = rank_candidates(targets=[bottleneck()], candidates=candidates, structure=FLAT, weights=W)
    ranked = result[(BOTTLENECK, 1)]
    assert [r.enterprise_id for r in ranked] == [10, 20, 30, 40]
    assert len({r.score for r in ranked}) == 1
    assert [r.rank for r in ranked] == [1, 2, 3, 4]


def test_it_respects_top_n():
    candidates = [cand(i) for i in range(1, 51)]
    result = rank_candidates(targets=[bottleneck()], candidates=candidates, structure=FLAT, weights=W, top_n=7)
    assert ranked_ids(result) == [(i, None) for i in range(1, 8)]


def test_it_keeps_one_row_per_enterprise_its_best_candidate():
    candidates = [
        cand(1, tokens=["储氢瓶"], nodes=(3,)),  # the profile: weak
        cand(1, tokens=["质子交换膜", "国产化"], offer=11),  # its offer: strong
        cand(2, tokens=["质子交换膜"], region="TJ"),
    ]
    result = rank_candidates(targets=[bottleneck()], candidates=candidates, structure=FLAT, weights=W)
    assert ranked_ids(result) == [(1, 11), (2, None)]


def test_it_explains_every_match_with_terms_and_components():
    candidates = [cand(1, tokens=["质子交换膜", "国产化", "涂布"], quals=["is_little_giant"], trl=9)]
    result = rank_candidates(targets=[bottleneck()], candidates=candidates, structure=FLAT, weights=W)
    [match] = result[(BOTTLENECK, 1)]
    assert set(match.components) == set(COMPONENTS)
    assert match.components["qualification"] == 1.0
    assert match.components["trl"] == 1.0
    assert set(match.matched_terms) == {"质子交换膜", "国产化"}
    total = sum(getattr(W, name) * value for name, value in match.components.items())
    assert match.score == pytest.approx(total, abs=1e-3)


def test_it_leaves_out_irrelevant_candidates_and_the_needing_enterprise_itself():
    need = Target(
        kind=NEED, id=1, node_ids=(1,), tokens=["质子交换膜"], region_code="HE", enterprise_id=1, wanted_trl=7
    )
    candidates = [cand(1), cand(2, trl=5), cand(3, tokens=["无关"], nodes=(99,))]
    result = rank_candidates(targets=[need], candidates=candidates, structure=FLAT, weights=W)
    [match] = result[(NEED, 1)]
    assert match.profile_id == 2
    assert match.components["trl"] == pytest.approx(1 - 2 / 9, abs=1e-4)


def test_it_returns_an_empty_list_for_targets_without_candidates():
    assert rank_candidates(targets=[bottleneck()], candidates=[], structure=FLAT, weights=W) == {(BOTTLENECK, 1): []}


# --- tokens ----------------------------------------------------------------------------------


@pytest.fixture
def h2(regions):
    """A small hydrogen chain: 电堆 → {膜电极 → 质子交换膜, 双极板}; 质子交换膜 supplies 膜电极."""
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    stack = f.NodeFactory(chain=chain, code="H2-MID-01", name="电堆", segment=m.Segment.MIDSTREAM)
    mea = f.NodeFactory(chain=chain, code="H2-MID-02", name="膜电极", parent=stack)
    pem = f.NodeFactory(
        chain=chain, code="H2-UP-01", name="质子交换膜", parent=mea, key_technologies="全氟磺酸树脂、增强复合膜"
    )
    plate = f.NodeFactory(chain=chain, code="H2-UP-02", name="双极板", parent=stack)
    f.EdgeFactory(chain=chain, source=pem, target=mea)
    return {"chain": chain, "stack": stack, "mea": mea, "pem": pem, "plate": plate}


def approved(name: str, region: str, node: m.Node, *, products: str, core: str, **extra) -> m.CapabilityProfile:
    enterprise = f.EnterpriseFactory(name=name, region=f.region(region))
    f.PlacementFactory(enterprise=enterprise, node=node)
    return f.ProfileFactory(enterprise=enterprise, products=products, core_technologies=core, trl=7, **extra)


def test_tokenize_keeps_dictionary_terms_whole(h2):
    f.NodeFactory(chain=h2["chain"], code="H2-DOWN-09", name="氢能重卡热管理", segment=m.Segment.DOWNSTREAM)
    text.invalidate_dictionary()
    assert "氢能重卡热管理" in text.user_dictionary_terms()
    assert "全氟磺酸树脂" in text.user_dictionary_terms()  # a key technology
    tokens = text.tokenize("我们提供氢能重卡热管理系统和全氟磺酸树脂，PEM 电堆。")
    assert "氢能重卡热管理" in tokens
    assert "全氟磺酸树脂" in tokens
    assert "pem" in tokens  # ASCII lower-cased
    assert not {"我们", "和", "，", "。", " "} & set(tokens)
    assert all(len(token) >= 2 for token in tokens)


def test_tokenizer_picks_up_a_renamed_node_after_invalidation(h2):
    text.tokenizer(refresh=True)
    h2["plate"].name = "超薄钛合金双极板"
    h2["plate"].save()
    text.invalidate_dictionary()
    assert "超薄钛合金双极板" in text.tokenize("超薄钛合金双极板的冲压")


def test_tokens_refresh_stores_tokens(h2):
    profile = approved(
        "北京膜科技", "BJ", h2["pem"], products="全氟磺酸质子交换膜", core="连续涂布", certifications="ISO9001"
    )
    bottleneck = f.BottleneckFactory(chain=h2["chain"], title="质子交换膜国产化", description="批量制备")
    offer = f.OfferFactory(profile=profile, node=h2["pem"], title="质子交换膜样品", description="")
    need = f.NeedFactory(profile=profile, node=h2["plate"], title="双极板涂层", description="")

    assert "质子交换膜" in text.tokens_refresh_profile(profile_id=profile.pk)
    text.tokens_refresh_bottleneck(bottleneck_id=bottleneck.pk)
    text.tokens_refresh_offer(offer_id=offer.pk)
    text.tokens_refresh_need(need_id=need.pk)

    profile.refresh_from_db()
    bottleneck.refresh_from_db()
    offer.refresh_from_db()
    need.refresh_from_db()
    assert {"质子交换膜", "连续", "涂布"} <= set(profile.tokens)
    assert "质子交换膜" in bottleneck.tokens
    assert "质子交换膜" in offer.tokens
    assert "双极板" in need.tokens


def test_tokens_fill_missing_fills_only_empty_rows_in_batches(h2):
    profiles = [approved(f"企业{i}", "TJ", h2["plate"], products="金属双极板", core=f"冲压工艺{i}") for i in range(5)]
    f.BottleneckFactory(chain=h2["chain"], title="双极板涂层寿命")
    m.CapabilityProfile.objects.filter(pk=profiles[0].pk).update(tokens=["已有"])

    assert text.tokens_fill_missing(batch_size=2) == 5  # four profiles and the bottleneck
    assert m.CapabilityProfile.objects.get(pk=profiles[0].pk).tokens == ["已有"]
    assert all("双极板" in p.tokens for p in m.CapabilityProfile.objects.exclude(pk=profiles[0].pk))
    assert text.tokens_fill_missing() == 0

    call_command("tokenize", "--all", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert "双极板" in m.CapabilityProfile.objects.get(pk=profiles[0].pk).tokens


# --- matching a round ----------------------------------------------------------------------


@pytest.fixture
def market(h2):
    """Hand-labelled: who is the right answer for the 质子交换膜 bottleneck and the 双极板 need."""
    membrane = approved(
        "北京氢膜科技", "BJ", h2["pem"], products="全氟磺酸质子交换膜", core="质子交换膜 全氟磺酸树脂 连续涂布"
    )
    plates = approved("天津双极板制造", "TJ", h2["pem"], products="金属双极板", core="双极板 冲压 涂层")
    needer = approved("河北氢能装备", "HE", h2["stack"], products="燃料电池电堆", core="电堆 集成")
    pem_bottleneck = f.BottleneckFactory(
        chain=h2["chain"],
        title="质子交换膜国产化",
        description="高性能全氟磺酸质子交换膜批量制备",
        raised_by=f.region("HE"),
    )
    pem_bottleneck.nodes.add(h2["pem"])
    plate_need = f.NeedFactory(profile=needer, node=h2["plate"], title="金属双极板涂层", description="耐腐蚀涂层")
    # Unapproved versions with the perfect text never appear.
    hidden = []
    for status in (m.ProfileStatus.DRAFT, m.ProfileStatus.SUBMITTED, m.ProfileStatus.RETURNED):
        enterprise = f.EnterpriseFactory(region=f.region("BJ"))
        f.PlacementFactory(enterprise=enterprise, node=h2["pem"])
        hidden.append(
            f.ProfileFactory(
                enterprise=enterprise, status=status, products="全氟磺酸质子交换膜", core_technologies="质子交换膜"
            )
        )
    hidden.append(
        f.ProfileFactory(
            enterprise=membrane.enterprise, version=0, status=m.ProfileStatus.SUPERSEDED, products="质子交换膜"
        )
    )
    f.OfferFactory(profile=hidden[0], node=h2["pem"], title="质子交换膜")
    text.tokens_fill_missing()
    return {
        "membrane": membrane,
        "plates": plates,
        "needer": needer,
        "bottleneck": pem_bottleneck,
        "need": plate_need,
        "hidden": hidden,
    }


def test_matching_inputs_loads_only_approved_profiles_in_constant_queries(h2, market, django_assert_num_queries):
    with django_assert_num_queries(9):
        targets, candidates, structure = matching_inputs(chain_ids=[h2["chain"].pk])
    assert {t.key for t in targets} == {(BOTTLENECK, market["bottleneck"].pk), (NEED, market["need"].pk)}
    assert set(candidates.profile.tolist()) == {market[k].pk for k in ("membrane", "plates", "needer")}
    assert structure.parent[h2["pem"].pk] == h2["mea"].pk


def test_candidates_are_loaded_from_their_token_codes(h2, market):
    """The term ids stored at save are what matching reads: the JSON tokens are not even consulted."""
    membrane = market["membrane"]
    membrane.refresh_from_db()
    codes = text.decode_tokens(membrane.token_codes)
    assert sorted(m.MatchToken.objects.get(pk=code).text for code in codes.tolist()) == sorted(membrane.tokens)
    assert codes.tolist() == sorted(codes.tolist())
    m.CapabilityProfile.objects.filter(pk=membrane.pk).update(tokens=["不会被读取"])

    _targets, candidates, _structure = matching_inputs(chain_ids=[h2["chain"].pk])
    row = candidates.profile.tolist().index(membrane.pk)
    columns = candidates.counts.indices[candidates.counts.indptr[row] : candidates.counts.indptr[row + 1]]
    loaded = {candidates.terms[c] for c in columns.tolist()}
    assert loaded == set(membrane.tokens)
    assert "不会被读取" not in candidates.terms


def test_a_loaded_table_reads_back_as_the_same_candidates(h2, market):
    targets, table, structure = matching_inputs(chain_ids=[h2["chain"].pk])
    objects = table.to_candidates()
    assert {c.profile_id for c in objects} == {market[k].pk for k in ("membrane", "plates", "needer")}
    membrane = next(c for c in objects if c.profile_id == market["membrane"].pk)
    assert sorted(membrane.tokens) == sorted(m.CapabilityProfile.objects.get(pk=membrane.profile_id).tokens)
    assert h2["pem"].pk in membrane.node_ids
    assert rank_candidates(targets=targets, candidates=objects, structure=structure, weights=W) == rank_candidates(
        targets=targets, candidates=table, structure=structure, weights=W
    )


def test_rows_without_token_codes_rank_exactly_as_encoded_rows(h2, market, django_assert_num_queries):
    """Rows stored before token codes existed fall back to their JSON tokens (two more queries: the
    tokens, and the ids of their terms), and rank the same — including a term no ``MatchToken`` row knows yet."""
    plates = m.CapabilityProfile.objects.get(pk=market["plates"].pk)
    plates.tokens.append("新词项")  # below, a term no ``MatchToken`` row knows (stored before codes existed)
    m.CapabilityProfile.objects.filter(pk=plates.pk).update(tokens=plates.tokens)
    m.CapabilityProfile.objects.filter(pk=plates.pk).update(
        token_codes=text.encode_tokens(plates.tokens, text.term_ids(plates.tokens))
    )
    inputs = matching_inputs(chain_ids=[h2["chain"].pk])
    before = rank_candidates(targets=inputs[0], candidates=inputs[1], structure=inputs[2], weights=W)
    assert any("新词项" in r.matched_terms for r in before[(NEED, market["need"].pk)]) is False

    m.MatchToken.objects.filter(text="新词项").delete()
    m.CapabilityProfile.objects.update(token_codes=None)
    m.SupplyOffer.objects.update(token_codes=None)
    with django_assert_num_queries(11):
        inputs = matching_inputs(chain_ids=[h2["chain"].pk])
    assert "新词项" in inputs[1].terms
    assert rank_candidates(targets=inputs[0], candidates=inputs[1], structure=inputs[2], weights=W) == before

    assert text.tokens_fill_missing() == 0  # only encodes: no row is tokenized again
    assert not m.CapabilityProfile.objects.filter(token_codes__isnull=True).exists()
    assert m.MatchToken.objects.filter(text="新词项").exists()


def test_matching_run_ranks_the_right_answers_first(h2, market):
    round_ = f.RoundFactory(chain=h2["chain"])
    created = matching_run(round_id=round_.pk)

    matches = m.Match.objects.filter(round=round_)
    assert created == matches.count() > 0
    top_bottleneck = matches.get(bottleneck=market["bottleneck"], rank=1)
    assert top_bottleneck.profile_id == market["membrane"].pk
    assert top_bottleneck.enterprise_id == market["membrane"].enterprise_id
    assert "质子交换膜" in top_bottleneck.matched_terms
    assert set(top_bottleneck.components) == set(COMPONENTS)
    assert matches.get(need=market["need"], rank=1).profile_id == market["plates"].pk
    # The needing enterprise is never proposed for its own need.
    assert not matches.filter(need=market["need"], enterprise=market["needer"].enterprise).exists()
    assert not matches.filter(profile__in=market["hidden"]).exists()
    round_.refresh_from_db()
    assert round_.status == m.RoundStatus.MATCHED
    assert round_.matched_at is not None
    assert round_.matching_since is None


def rows(round_) -> list[tuple]:
    return list(
        m.Match.objects.filter(round=round_)
        .order_by("bottleneck", "need", "rank")
        .values_list(
            "bottleneck", "need", "rank", "profile", "offer", "enterprise", "score", "components", "matched_terms"
        )
    )


def test_matching_run_is_idempotent_and_keeps_outcomes(h2, market):
    round_ = f.RoundFactory(chain=h2["chain"])
    matching_run(round_id=round_.pk)
    first = rows(round_)
    m.Match.objects.filter(round=round_, bottleneck=market["bottleneck"], rank=1).update(outcome=m.Outcome.CONTACTED)

    matching_run(round_id=round_.pk)

    assert rows(round_) == first
    assert m.Match.objects.get(round=round_, bottleneck=market["bottleneck"], rank=1).outcome == m.Outcome.CONTACTED


def test_matching_run_skips_a_round_another_worker_holds(h2, market):
    claimed_at = timezone.now()
    round_ = f.RoundFactory(chain=h2["chain"], matching_since=claimed_at)

    assert matching_run(round_id=round_.pk) == 0

    assert not m.Match.objects.filter(round=round_).exists()
    round_.refresh_from_db()
    assert round_.matching_since == claimed_at
    assert round_.status == m.RoundStatus.PLANNED


def test_matching_run_takes_over_a_stale_claim(h2, market):
    round_ = f.RoundFactory(chain=h2["chain"], matching_since=timezone.now() - dt.timedelta(hours=2))
    assert matching_run(round_id=round_.pk) > 0
    round_.refresh_from_db()
    assert round_.matching_since is None


def test_matching_run_releases_the_claim_on_failure(h2, market, monkeypatch):
    from chainmap.matching.services import matches as matching

    def boom(**kwargs):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(matching, "rank_candidates", boom)
    round_ = f.RoundFactory(chain=h2["chain"])
    with pytest.raises(RuntimeError):
        matching_run(round_id=round_.pk)
    round_.refresh_from_db()
    assert round_.matching_since is None
    assert round_.status == m.RoundStatus.PLANNED


def test_matching_run_for_a_cluster_round_covers_its_chains(h2, market):
    cluster = f.ClusterFactory()
    cluster.chains.add(h2["chain"])
    round_ = f.RoundFactory(kind=m.RoundKind.CLUSTER_QUARTER, chain=None, cluster=cluster, period=dt.date(2026, 10, 1))
    assert matching_run(round_id=round_.pk) > 0
    assert m.Match.objects.filter(round=round_, bottleneck=market["bottleneck"], rank=1).exists()


def test_text_vectors_are_sklearns_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from chainmap.matching.services.engine import _prepare

    docs = [["质子交换膜", "涂布", "涂布"], ["双极板", "涂布"], ["质子交换膜", "国产化"], []]
    candidates = [cand(i + 1, tokens=doc) for i, doc in enumerate(docs[:3])]
    targets = [bottleneck(tokens=docs[2]), bottleneck(2, tokens=docs[3])]
    prep = _prepare(targets, candidates)
    reference = TfidfVectorizer(analyzer=lambda doc: doc, sublinear_tf=True).fit([*docs[:3], *docs[2:]])
    ours = prep.candidate_vectors.toarray()
    columns = [prep.vocabulary[term] for term in reference.get_feature_names_out()]
    assert ours[:, columns] == pytest.approx(reference.transform(docs[:3]).toarray(), abs=1e-6)
    assert prep.target_vectors.toarray()[1].sum() == 0  # an empty document stays empty


def test_it_gives_the_same_ranking_as_the_naive_loop_with_any_number_of_threads():
    from chainmap.benchmarks.matching import naive, synthetic

    targets, candidates, structure = synthetic(profiles=1500, bottlenecks=40, needs=40, seed=3)
    one = rank_candidates(targets=targets, candidates=candidates, structure=structure, weights=W, workers=1)
    three = rank_candidates(targets=targets, candidates=candidates, structure=structure, weights=W, workers=3)
    assert one == three
    expected = naive(targets=targets, candidates=candidates, structure=structure, weights=W)
    for key, rows_ in expected.items():
        assert [(r.enterprise_id, r.score) for r in one[key]] == [
            (e, pytest.approx(-s, abs=1e-5)) for s, e, _p, _o in rows_
        ]
