"""The web pages: deny by default, rendering in Chinese and English, query budgets, the enterprise
list's filters, visibility and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from chainmap import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db

SEGMENTS = (m.Segment.UPSTREAM, m.Segment.MIDSTREAM, m.Segment.DOWNSTREAM)
LEVELS = (m.Level.STRONG, m.Level.PRESENT, m.Level.WEAK, m.Level.EMPTY)
REGION_CODES = ("BJ", "TJ", "HE")

# Fixed ceilings; each page's count must also not change with the number of rows.
QUERY_BUDGET = {
    "dashboard": 16,  # includes my to-do (proposals, profiles, placements) and the matching conversion panel
    "chain_list": 7,
    "chain_detail": 14,  # includes what {% chain_diagram %} needs
    "node_detail": 13,
    "enterprise_list": 12,
    "enterprise_detail": 9,
}


# --- data --------------------------------------------------------------------------------------


def build_chain(*, size: int, **chain_fields) -> m.Chain:
    """A chain with ``size`` nodes spread over the three segments (each node under the one three
    before it), a supply edge between neighbours, an assessment per region, an enterprise placed on
    every node (regions in turn) and an open bottleneck on every node."""
    regions = [f.region(code) for code in REGION_CODES]
    chain = f.ChainFactory(**chain_fields)
    nodes: list[m.Node] = []
    for i in range(size):
        node = f.NodeFactory(chain=chain, segment=SEGMENTS[i % 3], parent=nodes[i - 3] if i >= 3 else None, position=i)
        if nodes:
            f.EdgeFactory(chain=chain, source=nodes[-1], target=node)
        for j, region in enumerate(regions):
            m.NodeAssessment.objects.create(node=node, region=region, level=LEVELS[(i + j) % 4])
        enterprise = f.EnterpriseFactory(region=regions[i % 3])
        f.PlacementFactory(enterprise=enterprise, node=node)
        bottleneck = f.BottleneckFactory(chain=chain)
        bottleneck.nodes.add(node)
        nodes.append(node)
    return chain


def today() -> dt.date:
    return timezone.localdate()


def add_term(chain: m.Chain, region_code: str) -> m.LeadershipTerm:
    day = today()
    return f.TermFactory(
        chain=chain,
        region=f.region(region_code),
        starts_on=day - dt.timedelta(days=10),
        ends_on=day + dt.timedelta(days=20),
    )


def count_queries(client: Client, url: str, **headers) -> int:
    """Queries of one request with nothing cached: the most the page makes (its summaries computed)."""
    client.get(url, **headers)  # warm up: the first request of a session may differ
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def text_of(response) -> str:
    return response.content.decode()


# --- deny by default ---------------------------------------------------------------------------

# Dummy path parameters: the first candidate a converter's regex accepts (custom converters included).
DUMMY_CANDIDATES = ("1", "x", "X1-Y1", "x/y", "00000000-0000-0000-0000-000000000000", "9" * 18, "91" + "0" * 16)
# Public by design (login, language switch, health, API with its own 401/403) or not ours (admin, files).
PUBLIC_PREFIXES = ("login/", "i18n/", "healthz", "favicon.ico", "api/", "static/", "media/", "admin/")


def _dummy(converter) -> str:
    value = next((c for c in DUMMY_CANDIDATES if re.fullmatch(converter.regex, c)), None)
    assert value is not None, f"no dummy value for converter {converter!r}: add one to DUMMY_CANDIDATES"
    return converter.to_url(converter.to_python(value))


def _fill(pattern) -> str:
    """A concrete path for one URL pattern piece, with dummy values for its parameters."""
    if isinstance(pattern, RoutePattern):
        return re.sub(
            r"<(?:\w+:)?(?P<name>\w+)>", lambda match: _dummy(pattern.converters[match["name"]]), str(pattern)
        )
    regex = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "")
    # re.split keeps each named group's regex at the odd positions and the literal text between them at the even.
    parts = re.split(r"\(\?P<\w+>([^)]*)\)", regex)
    return "".join(_group_value(part) if i % 2 else re.sub(r"\\(.)", r"\1", part) for i, part in enumerate(parts))


def _group_value(group: str) -> str:
    value = next((c for c in (*DUMMY_CANDIDATES, *group.split("|")) if re.fullmatch(group, c)), None)
    assert value is not None, f"no dummy value for the URL regex group ({group}): add one to DUMMY_CANDIDATES"
    return value


def walk_urls(patterns=None, prefix: str = "") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        path = prefix + _fill(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk_urls(pattern.url_patterns, path)
        elif isinstance(pattern, URLPattern):
            yield path


def test_it_redirects_anonymous_users_to_login_from_every_page(client):
    paths = sorted({p for p in walk_urls() if not p.startswith(PUBLIC_PREFIXES)})
    # Every dummy path must resolve (else it would test the 404 page), and the walk must reach the pages.
    names = {resolve("/" + path).view_name for path in paths}
    pages = ("dashboard", "chain_list", "chain_detail", "node_detail", "enterprise_list", "enterprise_detail")
    assert {f"chainmap:{page}" for page in pages} <= names
    failures = {}
    for path in paths:
        response = client.get("/" + path)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location.startswith("/login/?next="):
            failures[path] = (response.status_code, location)
    assert failures == {}


def test_it_renders_the_login_page_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in text_of(response)
    assert 'action="/i18n/setlang/"' in text_of(response)


def test_it_lets_anonymous_users_switch_language_on_the_login_page(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_it_logs_out_only_by_post_with_csrf(client_for, tj_official):
    client = client_for(tj_official)
    body = text_of(client.get(reverse("chainmap:dashboard")))
    assert re.search(r'<form[^>]*action="/logout/"[^>]*method="post"', body)
    assert "csrfmiddlewaretoken" in body


# --- layout ------------------------------------------------------------------------------------


def test_it_shows_the_users_name_role_and_navigation(client_for, tj_official):
    body = text_of(client_for(tj_official).get(reverse("chainmap:dashboard")))
    assert "tj_official" in body
    assert "天津官员" in body
    for label in ("总览", "产业链", "企业"):
        assert label in body
    assert "管理后台" not in body


def test_it_offers_the_admin_only_to_joint_office_staff(client_for, joint_office):
    joint_office.is_staff = True
    joint_office.save()
    body = text_of(client_for(joint_office).get(reverse("chainmap:dashboard")))
    assert "管理后台" in body
    assert 'href="/admin/"' in body


def test_it_shows_the_sample_data_banner_in_demo_mode(client_for, tj_official, settings):
    settings.DEMO_MODE = True
    assert "示例数据" in text_of(client_for(tj_official).get(reverse("chainmap:dashboard")))


def test_it_hides_the_sample_data_banner_outside_demo_mode(client_for, tj_official, settings):
    settings.DEMO_MODE = False
    assert "示例数据" not in text_of(client_for(tj_official).get(reverse("chainmap:dashboard")))


def test_it_loads_scripts_only_from_static_files(client_for, tj_official):
    body = text_of(client_for(tj_official).get(reverse("chainmap:dashboard")))
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", body, flags=re.S)
    assert scripts
    for attributes, content in scripts:
        assert content.strip() == ""
        assert 'src="/static/' in attributes
    assert "htmx.min.js" in body
    assert "//cdn" not in body and "https://" not in body


# --- pages in Chinese and English --------------------------------------------------------------


@pytest.fixture
def hydrogen(regions):
    chain = build_chain(size=4, name="氢能", name_en="Hydrogen energy", slug="hydrogen")
    add_term(chain, "TJ")
    return chain


def page_urls(chain: m.Chain) -> dict[str, str]:
    node = chain.nodes.order_by("position").first()
    enterprise = m.Enterprise.objects.filter(placements__node__chain=chain).first()
    return {
        "dashboard": reverse("chainmap:dashboard"),
        "chain_list": reverse("chainmap:chain_list"),
        "chain_detail": reverse("chainmap:chain_detail", args=[chain.slug]),
        "node_detail": reverse("chainmap:node_detail", args=[node.code]),
        "enterprise_list": reverse("chainmap:enterprise_list"),
        "enterprise_detail": reverse("chainmap:enterprise_detail", args=[enterprise.credit_code]),
    }


CHINESE = {
    "dashboard": ("总览", "卡点", "产业链"),
    "chain_list": ("产业链", "集群"),
    "chain_detail": ("上游", "中游", "下游", "卡点", "强"),
    "node_detail": ("上游", "卡点", "企业"),
    "enterprise_list": ("企业", "地区", "资质"),
    "enterprise_detail": ("统一社会信用代码", "产业链"),
}
ENGLISH = {
    "dashboard": ("Dashboard", "Bottleneck coverage", "Key industrial chains"),
    "chain_list": ("Key industrial chains", "Advanced-manufacturing clusters"),
    "chain_detail": ("Upstream", "Midstream", "Downstream", "Bottlenecks", "Strong"),
    "node_detail": ("Upstream neighbours", "Bottlenecks", "Enterprises on this node"),
    "enterprise_list": ("Enterprises", "Region", "Qualifications"),
    "enterprise_detail": ("Credit code", "Places on the chain maps"),
}


@pytest.mark.parametrize("page", list(CHINESE))
def test_it_renders_each_page_in_chinese_by_default(client_for, tj_official, hydrogen, page):
    response = client_for(tj_official).get(page_urls(hydrogen)[page])
    assert response.status_code == 200
    body = text_of(response)
    assert '<html lang="zh-Hans">' in body
    for word in CHINESE[page]:
        assert word in body


@pytest.mark.parametrize("page", list(ENGLISH))
def test_it_renders_each_page_in_english_when_english_was_chosen(client_for, tj_official, hydrogen, page):
    client = client_for(tj_official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(page_urls(hydrogen)[page])
    assert response.status_code == 200
    body = text_of(response)
    assert '<html lang="en">' in body
    for word in ENGLISH[page]:
        assert word in body


@pytest.mark.parametrize("page", list(CHINESE))
def test_a_browser_asking_for_english_still_gets_chinese_until_the_switch(client_for, tj_official, hydrogen, page):
    response = client_for(tj_official).get(page_urls(hydrogen)[page], HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    body = text_of(response)
    assert '<html lang="zh-Hans">' in body
    for word in CHINESE[page]:
        assert word in body


def test_the_login_page_ignores_the_browser_language_too(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"


def test_the_api_still_answers_in_the_language_its_client_asks_for(client_for, tj_official):
    response = client_for(tj_official).get("/api/chains/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"


def test_it_keeps_the_language_chosen_with_the_switch(client_for, tj_official, hydrogen):
    client = client_for(tj_official)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME in client.cookies
    # Remembered beyond the browser session: the cookie carries an age of a year.
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"] == 365 * 24 * 3600
    body = text_of(client.get(reverse("chainmap:chain_detail", args=[hydrogen.slug])))
    assert "Upstream" in body
    assert "上游" not in body


# --- query budgets -----------------------------------------------------------------------------


def _measure(client: Client, chain: m.Chain) -> dict[str, int]:
    return {page: count_queries(client, url) for page, url in page_urls(chain).items()}


def test_it_runs_a_constant_number_of_queries_per_page(client_for, joint_office):
    client = client_for(joint_office)
    small = build_chain(size=2)
    add_term(small, "BJ")
    small_counts = _measure(client, small)

    big = build_chain(size=20)
    add_term(big, "HE")
    for _ in range(18):  # more enterprises on the small chain's first node, and more placements
        f.PlacementFactory(node=small.nodes.order_by("position").first(), enterprise=f.EnterpriseFactory())
    big_counts = _measure(client, big)

    assert big_counts == _measure(client, small) == small_counts
    for page, count in big_counts.items():
        assert count <= QUERY_BUDGET[page], (page, count)


def test_it_runs_a_constant_number_of_queries_on_a_filtered_enterprise_list(client_for, joint_office):
    client = client_for(joint_office)
    chain = build_chain(size=2, slug="robots")
    node = chain.nodes.order_by("position").first()
    url = (
        reverse("chainmap:enterprise_list")
        + f"?region=BJ&chain=robots&node={node.code}&q=示例&qualification=is_high_tech"
    )
    for _ in range(2):
        f.PlacementFactory(node=node, enterprise=f.EnterpriseFactory(is_high_tech=True))
    before = count_queries(client, url)
    for _ in range(20):
        f.PlacementFactory(node=node, enterprise=f.EnterpriseFactory(is_high_tech=True))
    assert count_queries(client, url) == before <= QUERY_BUDGET["enterprise_list"]


# --- enterprise list ---------------------------------------------------------------------------


@pytest.fixture
def listed(regions):
    """Enterprises to filter: two on the hydrogen chain (one TJ on a node, one BJ elsewhere), one
    placed but rejected, and one unplaced in Hebei."""
    chain = f.ChainFactory(slug="hydrogen", name="氢能")
    stack = f.NodeFactory(chain=chain, code="H2-MID-01", name="电堆", segment=m.Segment.MIDSTREAM)
    membrane = f.NodeFactory(chain=chain, code="H2-UP-01", name="质子交换膜")
    binhai = m.SubRegion.objects.create(region=regions["TJ"], name="滨海新区")
    tj = f.EnterpriseFactory(name="天津电堆科技", region=regions["TJ"], subregion=binhai, is_high_tech=True)
    bj = f.EnterpriseFactory(name="北京膜材料", region=regions["BJ"], is_little_giant=True, size="large")
    rejected = f.EnterpriseFactory(name="被驳回企业", region=regions["BJ"])
    he = f.EnterpriseFactory(name="河北装备制造", region=regions["HE"])
    f.PlacementFactory(enterprise=tj, node=stack)
    f.PlacementFactory(enterprise=tj, node=membrane, role=m.Placement.Role.TECHNOLOGY)
    f.PlacementFactory(enterprise=bj, node=membrane)
    f.PlacementFactory(enterprise=rejected, node=stack, status=m.Placement.Status.REJECTED)
    return {"chain": chain, "stack": stack, "tj": tj, "bj": bj, "rejected": rejected, "he": he, "binhai": binhai}


def names_in(response) -> set[str]:
    assert response.status_code == 200
    page = response.context["page_obj"]
    return {enterprise.name for enterprise in page.object_list} if page is not None else set()


def list_url(**params) -> str:
    from urllib.parse import urlencode

    return reverse("chainmap:enterprise_list") + ("?" + urlencode(params, doseq=True) if params else "")


def test_it_lists_every_enterprise_to_an_official(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url())) == {
        "天津电堆科技",
        "北京膜材料",
        "被驳回企业",
        "河北装备制造",
    }


def test_it_filters_enterprises_by_region(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url(region="TJ"))) == {"天津电堆科技"}


def test_it_filters_enterprises_by_sub_region(client_for, bj_official, listed):
    response = client_for(bj_official).get(list_url(region="TJ", subregion=listed["binhai"].pk))
    assert names_in(response) == {"天津电堆科技"}


def test_it_filters_enterprises_by_chain_ignoring_rejected_placements(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url(chain="hydrogen"))) == {"天津电堆科技", "北京膜材料"}


def test_it_filters_by_chain_with_exists_not_a_distinct_join(client_for, bj_official, listed):
    with CaptureQueriesContext(connection) as ctx:
        client_for(bj_official).get(list_url(chain="hydrogen"))
    listing = [q["sql"] for q in ctx.captured_queries if "chainmap_placement" in q["sql"]]
    assert listing
    assert all("EXISTS" in sql and "DISTINCT" not in sql for sql in listing)


def test_it_filters_enterprises_by_node_code(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url(node="h2-mid-01"))) == {"天津电堆科技"}


def test_it_offers_the_chosen_chains_nodes_as_a_select(client_for, bj_official, listed):
    body = text_of(client_for(bj_official).get(list_url(chain="hydrogen")))
    assert re.search(r'<select name="node"[^>]*>', body)
    assert '<option value="H2-MID-01">H2-MID-01 电堆</option>' in body


def test_it_filters_enterprises_by_qualification(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url(qualification="is_little_giant"))) == {"北京膜材料"}


def test_it_filters_enterprises_by_several_qualifications_together(client_for, bj_official, listed):
    response = client_for(bj_official).get(list_url(qualification=["is_little_giant", "is_high_tech"]))
    assert names_in(response) == set()


def test_it_filters_enterprises_by_size(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url(size="large"))) == {"北京膜材料"}


def test_it_searches_enterprises_by_name(client_for, bj_official, listed):
    assert names_in(client_for(bj_official).get(list_url(q="电堆"))) == {"天津电堆科技"}


def test_it_finds_an_enterprise_by_its_credit_code(client_for, bj_official, listed):
    response = client_for(bj_official).get(list_url(q=listed["he"].credit_code.lower()))
    assert names_in(response) == {"河北装备制造"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "XX"}, "region"),
        ({"subregion": "abc"}, "subregion"),
        ({"chain": "no-such-chain"}, "chain"),
        ({"node": "NOPE-01"}, "node"),
        ({"qualification": "is_bogus"}, "qualification"),
        ({"size": "huge"}, "size"),
        ({"q": "长" * 101}, "q"),
    ],
)
def test_it_answers_a_bad_filter_with_a_form_error(client_for, bj_official, listed, params, field):
    response = client_for(bj_official).get(list_url(**params))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["page_obj"] is None
    assert 'class="form-errors"' in text_of(response)


def test_it_rejects_a_node_of_another_chain(client_for, bj_official, listed):
    build_chain(size=1, slug="robots")
    response = client_for(bj_official).get(list_url(chain="robots", node="H2-MID-01"))
    assert "node" in response.context["form"].errors


def test_it_rejects_a_sub_region_of_another_region(client_for, bj_official, listed):
    response = client_for(bj_official).get(list_url(region="BJ", subregion=listed["binhai"].pk))
    assert "subregion" in response.context["form"].errors


def test_it_pages_the_enterprise_list(client_for, bj_official, regions, settings):
    settings.CHAINMAP = {**settings.CHAINMAP, "ENTERPRISE_PAGE_SIZE": 10}
    for i in range(12):
        f.EnterpriseFactory(name=f"企业{i:02d}")
    client = client_for(bj_official)
    first = client.get(list_url())
    second = client.get(list_url(page=2))
    assert len(first.context["page_obj"].object_list) == 10
    assert names_in(second) == {"企业10", "企业11"}
    assert "page=2" in text_of(first)


def test_it_returns_only_the_results_to_htmx(client_for, bj_official, listed):
    response = client_for(bj_official).get(list_url(region="TJ"), HTTP_HX_REQUEST="true")
    body = text_of(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert "天津电堆科技" in body and "北京膜材料" not in body
    assert 'hx-swap-oob="true"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_it_returns_the_whole_page_without_htmx(client_for, bj_official, listed):
    body = text_of(client_for(bj_official).get(list_url(region="TJ")))
    assert "<html" in body
    assert 'hx-target="#results"' in body
    assert 'hx-push-url="true"' in body
    assert 'id="results"' in body


def test_it_marks_synthetic_enterprises_in_the_list(client_for, bj_official, regions, settings):
    settings.DEMO_MODE = False
    f.EnterpriseFactory(name="合成企业", is_synthetic=True)
    assert "示例数据" in text_of(client_for(bj_official).get(list_url()))


# --- visibility --------------------------------------------------------------------------------


def test_it_lists_only_their_own_enterprise_to_a_member(client_for, enterprise_member, listed):
    assert names_in(client_for(enterprise_member).get(list_url())) == {"天津示例氢能科技有限公司"}


def test_it_answers_404_for_another_enterprises_page_to_a_member(client_for, enterprise_member, listed):
    url = reverse("chainmap:enterprise_detail", args=[listed["tj"].credit_code])
    assert client_for(enterprise_member).get(url).status_code == 404


def test_it_shows_a_member_their_own_enterprise_with_contacts(client_for, enterprise_member, member_enterprise):
    url = reverse("chainmap:enterprise_detail", args=[member_enterprise.credit_code])
    response = client_for(enterprise_member).get(url)
    assert response.status_code == 200
    assert member_enterprise.contact_email in text_of(response)


def test_it_answers_404_for_an_unknown_enterprise(client_for, bj_official, regions):
    assert client_for(bj_official).get(reverse("chainmap:enterprise_detail", args=["X" * 18])).status_code == 404


def test_it_answers_404_for_an_unknown_chain_or_node(client_for, bj_official, regions):
    client = client_for(bj_official)
    assert client.get(reverse("chainmap:chain_detail", args=["nope"])).status_code == 404
    assert client.get(reverse("chainmap:node_detail", args=["NO-PE"])).status_code == 404


def test_it_answers_404_on_chain_pages_to_a_user_without_a_role(client_for, regions):
    chain = build_chain(size=1)
    client = client_for(f.UserFactory(username="nobody"))
    assert client.get(reverse("chainmap:chain_detail", args=[chain.slug])).status_code == 404


def _contacts_shown(client: Client, enterprise: m.Enterprise) -> bool:
    response = client.get(reverse("chainmap:enterprise_detail", args=[enterprise.credit_code]))
    assert response.status_code == 200
    return enterprise.contact_email in text_of(response)


def test_it_hides_contacts_from_an_official_of_another_region(client_for, bj_official, listed):
    assert not _contacts_shown(client_for(bj_official), listed["tj"])


def test_it_shows_contacts_to_an_official_of_the_same_region(client_for, tj_official, listed):
    assert _contacts_shown(client_for(tj_official), listed["tj"])


def test_it_shows_contacts_to_the_joint_office(client_for, joint_office, listed):
    assert _contacts_shown(client_for(joint_office), listed["tj"])


# --- enterprise page ---------------------------------------------------------------------------


def test_it_shows_the_approved_profile_with_offers_and_needs(client_for, tj_official, listed):
    profile = f.ProfileFactory(enterprise=listed["tj"], products="燃料电池电堆", trl=7)
    f.OfferFactory(profile=profile, node=listed["stack"], title="百千瓦级电堆")
    f.NeedFactory(profile=profile, node=listed["stack"], title="低铂催化剂", is_bottleneck=True)
    f.ProfileFactory(enterprise=listed["tj"], version=2, status=m.ProfileStatus.DRAFT, products="草稿产品")
    body = text_of(client_for(tj_official).get(reverse("chainmap:enterprise_detail", args=[listed["tj"].credit_code])))
    assert "燃料电池电堆" in body and "TRL 7" in body
    assert "百千瓦级电堆" in body and "低铂催化剂" in body
    assert "草稿产品" not in body


def test_it_links_an_enterprises_placements_to_their_nodes(client_for, tj_official, listed):
    body = text_of(client_for(tj_official).get(reverse("chainmap:enterprise_detail", args=[listed["tj"].credit_code])))
    assert reverse("chainmap:node_detail", args=["H2-MID-01"]) in body
    assert reverse("chainmap:node_detail", args=["H2-UP-01"]) in body


# --- chain and node pages ----------------------------------------------------------------------


def test_it_groups_nodes_by_segment_with_children_indented(client_for, tj_official, regions):
    chain = f.ChainFactory()
    parent = f.NodeFactory(chain=chain, segment=m.Segment.MIDSTREAM, name="燃料电池")
    child = f.NodeFactory(chain=chain, segment=m.Segment.MIDSTREAM, parent=parent, name="电堆")
    grandchild = f.NodeFactory(chain=chain, segment=m.Segment.MIDSTREAM, parent=child, name="膜电极")
    page = client_for(tj_official).get(reverse("chainmap:chain_detail", args=[chain.slug])).context["page"]
    blocks = {block.segment: block for block in page.segments}
    assert [block.segment for block in page.segments] == list(SEGMENTS)
    assert blocks[m.Segment.UPSTREAM].rows == []
    assert [(row.node, row.depth) for row in blocks[m.Segment.MIDSTREAM].rows] == [
        (parent, 0),
        (child, 1),
        (grandchild, 2),
    ]


def test_it_counts_distinct_enterprises_per_region_on_each_node(client_for, tj_official, regions):
    node = f.NodeFactory()
    tj = f.EnterpriseFactory(region=regions["TJ"])
    f.PlacementFactory(enterprise=tj, node=node, role=m.Placement.Role.PRODUCT)
    f.PlacementFactory(enterprise=tj, node=node, role=m.Placement.Role.CAPACITY)
    f.PlacementFactory(enterprise=f.EnterpriseFactory(region=regions["TJ"]), node=node, status="proposed")
    f.PlacementFactory(enterprise=f.EnterpriseFactory(region=regions["BJ"]), node=node, status="rejected")
    page = client_for(tj_official).get(reverse("chainmap:chain_detail", args=[node.chain.slug])).context["page"]
    (row,) = page.segments[0].rows
    assert {cell.region.code: cell.enterprises for cell in row.cells} == {"BJ": 0, "TJ": 2, "HE": 0}


def test_it_summarises_regional_coverage(client_for, tj_official, regions):
    chain = f.ChainFactory()
    for level in (m.Level.STRONG, m.Level.STRONG, m.Level.WEAK):
        node = f.NodeFactory(chain=chain)
        m.NodeAssessment.objects.create(node=node, region=regions["HE"], level=level)
    f.NodeFactory(chain=chain)
    page = client_for(tj_official).get(reverse("chainmap:chain_detail", args=[chain.slug])).context["page"]
    hebei = next(row for row in page.coverage if row.region.code == "HE")
    assert dict(hebei.counts) == {"strong": 2, "present": 0, "weak": 1, "empty": 0}
    assert hebei.unassessed == 1


def test_it_lists_the_chains_bottlenecks_and_hides_collected_ones_from_members(
    client_for, tj_official, enterprise_member, regions
):
    chain = f.ChainFactory()
    f.BottleneckFactory(chain=chain, title="高性能质子交换膜", status=m.BottleneckStatus.PUBLISHED)
    f.BottleneckFactory(chain=chain, title="内部收集卡点", status=m.BottleneckStatus.COLLECTED)
    url = reverse("chainmap:chain_detail", args=[chain.slug])
    official = text_of(client_for(tj_official).get(url))
    member = text_of(client_for(enterprise_member).get(url))
    assert "高性能质子交换膜" in official and "内部收集卡点" in official
    assert "高性能质子交换膜" in member and "内部收集卡点" not in member


def test_it_shows_a_nodes_neighbours_with_the_edge_kind(client_for, tj_official, regions):
    chain = f.ChainFactory()
    membrane = f.NodeFactory(chain=chain, name="质子交换膜")
    stack = f.NodeFactory(chain=chain, name="电堆", segment=m.Segment.MIDSTREAM)
    vehicle = f.NodeFactory(chain=chain, name="燃料电池汽车", segment=m.Segment.DOWNSTREAM)
    f.EdgeFactory(chain=chain, source=membrane, target=stack, kind=m.Edge.Kind.MATERIAL)
    f.EdgeFactory(chain=chain, source=stack, target=vehicle, kind=m.Edge.Kind.COMPONENT)
    response = client_for(tj_official).get(reverse("chainmap:node_detail", args=[stack.code]))
    page = response.context["page"]
    assert [n.node for n in page.upstream] == [membrane]
    assert [n.node for n in page.downstream] == [vehicle]
    assert "材料" in text_of(response) and "部件" in text_of(response)


def test_it_pages_the_enterprises_on_a_node(client_for, tj_official, regions, settings):
    settings.CHAINMAP = {**settings.CHAINMAP, "ENTERPRISE_PAGE_SIZE": 10}
    node = f.NodeFactory()
    for _ in range(12):
        f.PlacementFactory(node=node)
    client = client_for(tj_official)
    url = reverse("chainmap:node_detail", args=[node.code])
    assert len(client.get(url).context["placements"].object_list) == 10
    assert len(client.get(url + "?page=2").context["placements"].object_list) == 2


# --- dashboard ---------------------------------------------------------------------------------


def test_it_shows_the_current_leader_and_next_handover(client_for, he_official, regions):
    chain = f.ChainFactory(name="机器人")
    f.TermFactory(
        chain=chain,
        region=regions["BJ"],
        starts_on=today() - dt.timedelta(days=60),
        ends_on=today() - dt.timedelta(days=11),
    )
    term = add_term(chain, "TJ")
    f.TermFactory(
        chain=chain,
        region=regions["HE"],
        starts_on=term.ends_on + dt.timedelta(days=1),
        ends_on=term.ends_on + dt.timedelta(days=90),
    )
    response = client_for(he_official).get(reverse("chainmap:dashboard"))
    (row,) = response.context["dashboard"].chains
    assert row.term.current == term
    assert row.term.handover_on == term.ends_on + dt.timedelta(days=1)
    assert row.term.following.region.code == "HE"
    body = text_of(response)
    assert "badge-region-TJ" in body
    assert (term.ends_on + dt.timedelta(days=1)).isoformat() in body


def test_it_shows_no_leader_when_no_term_covers_today(client_for, he_official, regions):
    chain = f.ChainFactory()
    f.TermFactory(chain=chain, starts_on=today() - dt.timedelta(days=60), ends_on=today() - dt.timedelta(days=1))
    response = client_for(he_official).get(reverse("chainmap:dashboard"))
    assert response.context["dashboard"].chains[0].term.current is None


def test_it_shows_bottleneck_coverage_as_covered_over_total(client_for, he_official, regions):
    chain = f.ChainFactory()
    f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.TAKEN, mechanism=m.Mechanism.JIEBANG)
    f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.ACCEPTED, mechanism=m.Mechanism.SAIMA)
    f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.COLLECTED)
    response = client_for(he_official).get(reverse("chainmap:dashboard"))
    coverage = response.context["dashboard"].coverage
    assert (coverage.covered, coverage.total) == (2, 3)
    assert "2<small>/3</small>" in text_of(response)


def test_it_shows_this_months_chain_and_this_quarters_cluster(client_for, he_official, regions):
    chain = f.ChainFactory(name="生物医药")
    other = f.ChainFactory(name="网络安全和工业互联网")
    cluster = f.ClusterFactory(name="集成电路")
    cluster.chains.add(other)
    day = today()
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=day.replace(day=1), chain=chain)
    last_month = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=last_month, chain=other)
    quarter = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    m.CalendarEntry.objects.create(kind=m.RoundKind.CLUSTER_QUARTER, period=quarter, cluster=cluster)
    response = client_for(he_official).get(reverse("chainmap:dashboard"))
    dashboard = response.context["dashboard"]
    assert dashboard.chain_of_month.chain == chain
    assert dashboard.cluster_of_quarter.cluster == cluster
    assert "本月对接产业链" in text_of(response)


def test_it_lists_the_clusters_with_their_chains(client_for, he_official, regions):
    chain = f.ChainFactory(name="新能源和智能网联汽车", slug="nev")
    cluster = f.ClusterFactory(name="电力装备")
    cluster.chains.add(chain)
    body = text_of(client_for(he_official).get(reverse("chainmap:dashboard")))
    assert "电力装备" in body
    assert reverse("chainmap:chain_detail", args=["nev"]) in body


def test_it_counts_nodes_enterprises_and_open_bottlenecks_per_chain(client_for, he_official, regions):
    chain = build_chain(size=3)
    f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.BREAKTHROUGH, mechanism=m.Mechanism.JOINT_PROJECT)
    (row,) = client_for(he_official).get(reverse("chainmap:dashboard")).context["dashboard"].chains
    assert (row.chain.node_count, row.chain.enterprise_count, row.chain.open_bottleneck_count) == (3, 3, 3)
