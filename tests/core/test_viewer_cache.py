"""Pages and API reads kept per viewer under the site's write version (``chainmap.summaries``,
``{% viewer_cache %}``, ``chainmap.core.api.caching``): the next read after any committed write shows it,
whichever way the write went (a save, an ``update()`` in a request, a job), and a cached page never
shows one viewer's content, language, day or CSRF token to another."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from chainmap import models as m
from chainmap.core import cache as summaries
from chainmap.core.middleware import AtomicWritesMiddleware
from chainmap.leadership.tasks import rotate_leadership
from chainmap.maps.services import proposals
from tests import factories as f

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def chain(regions):
    chain = f.ChainFactory(slug="viewer-cache", name="缓存链")
    f.NodeFactory(chain=chain, code="VC-UP-01", name="原始节点")
    return chain


def body(client: Client, url: str, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the site's write version ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_save_moves_the_site_version_at_once_and_once_more_on_commit(chain, settings):
    # No diagram job after the commit: a job that finishes moves the version too (tested below).
    settings.CHAINMAP_DIAGRAMS = {**settings.CHAINMAP_DIAGRAMS, "AUTO_RENDER": False}
    before = summaries.site_version()
    with transaction.atomic():
        for name in ("改名一", "改名二", "改名三"):
            node = chain.nodes.get()
            node.name = name
            node.save()
        during = summaries.site_version()
    # Each save moved it at once (a read later in the transaction files under a new version) ...
    assert during >= before + 3
    # ... and the commit once more, however many rows the transaction wrote.
    assert summaries.site_version() == during + 1


def test_a_write_request_moves_the_site_version_even_with_update_alone(chain):
    node = chain.nodes.get()

    def view(request):
        m.Node.objects.filter(pk=node.pk).update(name="update 不发信号")  # no signal fires
        return HttpResponse("ok")

    before = summaries.site_version()
    middleware = AtomicWritesMiddleware(view)
    middleware._wrapped = staticmethod(lambda request: True)  # type: ignore[method-assign]
    assert middleware(RequestFactory().post("/anything/")).status_code == 200
    assert summaries.site_version() > before


def test_a_failed_write_request_rolls_back_and_leaves_the_version_alone(chain):
    node = chain.nodes.get()

    def view(request):
        m.Node.objects.filter(pk=node.pk).update(name="不该留下")
        return HttpResponse("bad", status=400)

    before = summaries.site_version()
    middleware = AtomicWritesMiddleware(view)
    middleware._wrapped = staticmethod(lambda request: True)  # type: ignore[method-assign]
    assert middleware(RequestFactory().post("/anything/")).status_code == 400
    assert summaries.site_version() == before
    node.refresh_from_db()
    assert node.name == "原始节点"


def test_a_job_moves_the_site_version_when_it_finishes(regions):
    before = summaries.site_version()
    rotate_leadership.delay(day="2026-12-07")  # eager here: run in the caller, task_postrun fires
    assert summaries.site_version() > before


# --- pages ----------------------------------------------------------------------------------------


def test_a_cached_chain_page_reads_nothing_of_the_map_until_a_write(client_for, joint_office, chain):
    client = client_for(joint_office)
    url = reverse("chainmap:chain_detail", args=[chain.slug])
    body(client, url)
    with CaptureQueriesContext(connection) as ctx:
        assert "原始节点" in body(client, url)
    tables = " ".join(query["sql"] for query in ctx.captured_queries)
    assert "chainmap_node" not in tables and "chainmap_placement" not in tables


def test_a_write_by_update_alone_shows_once_its_request_has_committed(client_for, joint_office, chain):
    client = client_for(joint_office)
    url = reverse("chainmap:chain_list")
    assert "缓存链" in body(client, url)
    m.Chain.objects.filter(pk=chain.pk).update(name="悄悄改名链")  # no signal fires
    assert "悄悄改名链" not in body(client, url)  # not announced yet: the cached page stands
    summaries.bump_site_now()  # what the write request's middleware does after its commit
    assert "悄悄改名链" in body(client, url)


def test_the_to_do_shows_a_new_proposal_on_the_next_dashboard_read(client_for, joint_office, tj_official, chain):
    f.TermFactory(chain=chain, region=f.region("BJ"), starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    client = client_for(joint_office)
    assert "Nothing waits for you" not in body(client, reverse("chainmap:dashboard"))  # zh: nothing to review
    proposal = proposals.proposal_create(
        chain_id=chain.pk,
        author=tj_official,
        reason="天津调研",
        items=[{"operation": "rename_node", "node": "VC-UP-01", "name": "电解水制氢"}],
    )
    link = reverse("chainmap:proposal_detail", args=[proposal.pk])
    assert link in body(client, reverse("chainmap:dashboard"))


def test_one_viewers_cached_page_is_never_shown_to_another(client_for, joint_office, subscriber, chain):
    url = reverse("chainmap:dashboard")
    official = body(client_for(joint_office), url)
    assert 'id="conversion-h"' in official  # officials follow the matching up on the dashboard
    assert 'id="conversion-h"' not in body(client_for(subscriber), url)


def test_a_cached_page_is_kept_per_language(client_for, joint_office, chain):
    client = client_for(joint_office)
    url = reverse("chainmap:chain_list")
    assert "重点产业链" in body(client, url)
    client.cookies["django_language"] = "en"
    english = body(client, url)
    assert "Key industrial chains" in english and "重点产业链" not in english


def test_a_cached_dashboard_turns_with_the_day(client_for, joint_office, chain):
    client = client_for(joint_office)
    url = reverse("chainmap:dashboard")
    with time_machine.travel(dt.datetime(2026, 12, 7, 23, 50, tzinfo=SHANGHAI), tick=False):
        assert "2026-12-07" in body(client, url)
    with time_machine.travel(dt.datetime(2026, 12, 8, 0, 10, tzinfo=SHANGHAI), tick=False):
        assert "2026-12-08" in body(client, url)


# --- API ------------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_api_list_shows_a_patch_on_the_next_read(joint_office, chain):
    client = api_for(joint_office)
    node = chain.nodes.get()
    assert [row["name"] for row in client.get("/api/nodes/", {"chain": chain.slug}).json()["results"]] == ["原始节点"]
    detail = client.get(f"/api/nodes/{node.code}/")
    patched = client.patch(
        f"/api/nodes/{node.code}/",
        {"name": "接口改名", "reason": "测试"},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert patched.status_code == 200, patched.content
    assert [row["name"] for row in client.get("/api/nodes/", {"chain": chain.slug}).json()["results"]] == ["接口改名"]
    nodes = client.get(f"/api/chains/{chain.slug}/map/").json()["nodes"]
    assert [row["name"] for row in nodes] == ["接口改名"]


def test_a_cached_api_list_runs_no_query_of_its_rows(joint_office, chain):
    client = api_for(joint_office)
    client.get("/api/enterprises/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/enterprises/").status_code == 200
    assert not any("chainmap_enterprise" in query["sql"] for query in ctx.captured_queries)


def test_api_lists_are_kept_per_viewer(joint_office, enterprise_member, member_enterprise, regions):
    other = f.EnterpriseFactory(name="别家企业", region=regions["BJ"])
    official = {row["name"] for row in api_for(joint_office).get("/api/enterprises/").json()["results"]}
    member = {row["name"] for row in api_for(enterprise_member).get("/api/enterprises/").json()["results"]}
    assert official == {other.name, member_enterprise.name}
    assert member == {member_enterprise.name}  # an enterprise member sees only their own
