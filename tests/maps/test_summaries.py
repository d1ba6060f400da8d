"""Maintained summaries (``chainmap.summaries``): pages read counts and map data from the cache,
keyed by the data version every change moves, so the next read after any change shows it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainmap import models as m
from chainmap.core import cache as core_cache
from chainmap.enterprises.services import enterprises as enterprise_services
from chainmap.maps import summaries as maps_summaries
from chainmap.maps.services import mapedit
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(regions):
    chain = f.ChainFactory(slug="summaries", name="汇总链")
    node = f.NodeFactory(chain=chain, code="SUM-UP-01", name="原始节点")
    f.PlacementFactory(node=node, enterprise=f.EnterpriseFactory(region=f.region("BJ")))
    return chain


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def board_row(body: str, code: str) -> str:
    """The board's table row of one bottleneck."""
    return next(row for row in body.split("<tr>") if f"<code>{code}</code>" in row)


def chain_url(chain: m.Chain) -> str:
    return reverse("chainmap:chain_detail", args=[chain.slug])


def test_a_node_edit_shows_on_the_next_chain_page_read(client_for, joint_office, chain):
    client = client_for(joint_office)
    assert "原始节点" in page(client, chain_url(chain))  # now cached under the chain's version
    node = chain.nodes.get()
    mapedit.node_update(
        node_id=node.pk, user=joint_office, reason="更名", expected_version=node.version, changes={"name": "新名节点"}
    )
    body = page(client, chain_url(chain))
    assert "新名节点" in body and "原始节点" not in body


def test_a_second_read_of_an_unchanged_chain_runs_no_aggregate(client_for, joint_office, chain):
    client = client_for(joint_office)
    page(client, chain_url(chain))
    with CaptureQueriesContext(connection) as ctx:
        page(client, chain_url(chain))
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not [sql for sql in sqls if "COUNT(DISTINCT" in sql], sqls
    assert not [sql for sql in sqls if '"chainmap_placement"' in sql], sqls
    # Cold, the same page computes them.
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        page(client, chain_url(chain))
    assert [q for q in ctx.captured_queries if "COUNT(DISTINCT" in q["sql"]]


def test_a_new_placement_moves_the_chain_list_count_and_the_region_cell(client_for, joint_office, chain):
    client = client_for(joint_office)
    assert maps_summaries.chain_counts([chain])[chain.pk].enterprise_count == 1
    page(client, reverse("chainmap:chain_list"))
    f.PlacementFactory(node=chain.nodes.get(), enterprise=f.EnterpriseFactory(region=f.region("TJ")))
    chain.refresh_from_db()
    assert maps_summaries.chain_counts([chain])[chain.pk].enterprise_count == 2
    assert maps_summaries.chain_map_data(chain).enterprises[chain.nodes.get().pk] == {"BJ": 1, "TJ": 1}


def test_moving_an_enterprise_to_another_region_moves_its_chains_counts(joint_office, chain):
    node = chain.nodes.get()
    enterprise = m.Enterprise.objects.get(placements__node=node)
    assert maps_summaries.chain_map_data(chain).enterprises[node.pk] == {"BJ": 1}
    enterprise_services.enterprise_update(
        enterprise_id=enterprise.pk,
        user=joint_office,
        reason="迁址",
        expected_version=enterprise.version,
        changes={"region_id": f.region("HE").pk},
    )
    chain.refresh_from_db()
    assert maps_summaries.chain_map_data(chain).enterprises[node.pk] == {"HE": 1}


def test_a_bottleneck_status_moves_the_coverage_on_dashboard_and_board(client_for, joint_office, chain):
    bottleneck = f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.PUBLISHED)
    client = client_for(joint_office)
    before = maps_summaries.chain_counts([chain])[chain.pk]
    assert "badge-status-published" in board_row(page(client, reverse("chainmap:bottleneck_list")), bottleneck.code)
    bottleneck.status = m.BottleneckStatus.IN_PROGRESS
    bottleneck.mechanism = "jiebang"
    bottleneck.save()
    chain.refresh_from_db()
    after = maps_summaries.chain_counts([chain])[chain.pk]
    assert (before.bottleneck_covered, after.bottleneck_covered) == (0, 1)
    assert "badge-status-in_progress" in board_row(page(client, reverse("chainmap:bottleneck_list")), bottleneck.code)
    coverage = f"{after.bottleneck_covered}<small>/{after.bottleneck_total}</small>"
    assert coverage in page(client, reverse("chainmap:dashboard"))


def test_the_enterprise_list_count_and_rows_follow_a_new_enterprise(client_for, joint_office, chain):
    client = client_for(joint_office)
    url = reverse("chainmap:enterprise_list") + "?q=汇总测试"
    assert "汇总测试企业" not in page(client, url)
    f.EnterpriseFactory(name="汇总测试企业有限公司")
    assert "汇总测试企业有限公司" in page(client, url)
    assert core_cache.list_count(m.Enterprise.objects.filter(name__contains="汇总测试")) == 1


def test_a_rolled_back_change_leaves_the_cached_summary_right(joint_office, chain):
    node = chain.nodes.get()
    maps_summaries.chain_map_data(chain)
    with pytest.raises(RuntimeError), transaction.atomic():
        f.PlacementFactory(node=node, enterprise=f.EnterpriseFactory(region=f.region("TJ")))
        inside = m.Chain.objects.get(pk=chain.pk)
        assert maps_summaries.chain_map_data(inside).enterprises[node.pk] == {"BJ": 1, "TJ": 1}
        raise RuntimeError("roll back")
    chain.refresh_from_db()
    assert maps_summaries.chain_map_data(chain).enterprises[node.pk] == {"BJ": 1}


def test_a_bulk_load_moves_every_chain(chain):
    other = f.ChainFactory()
    versions = dict(m.Chain.objects.values_list("pk", "data_version"))
    maps_summaries.bump_all()
    assert all(version == versions[pk] + 1 for pk, version in m.Chain.objects.values_list("pk", "data_version")), other


def test_enterprise_name_search_has_a_trigram_index_on_postgresql():
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:  # the embedded default scans; no index is created
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'chainmap_ent_name_trgm'")
            assert cursor.fetchone() is None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'chainmap_ent_name_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition and "upper" in definition.lower()


def test_a_list_no_row_can_match_counts_zero_without_a_query():
    with CaptureQueriesContext(connection) as ctx:
        assert core_cache.list_count(m.Enterprise.objects.none()) == 0
        assert core_cache.list_count(m.Enterprise.objects.filter(pk__in=[])) == 0
    assert not ctx.captured_queries
