"""The round report: snapshot sections, frozen rebuilds, PDF (CJK font, no remote fetch), XLSX
(one sheet per section, formulas escaped), the report pages and their permissions."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chainmap import models as m
from chainmap.reports.services import reports
from tests import factories as f
from tests.conftest import require

FORMULA_NAME = '=HYPERLINK("http://x")'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def world(regions):
    """A small chain with known gaps, one single-supplier node, a cross-region match, a previous round
    and changes to the map after it."""
    chain = f.ChainFactory(code="H2R", slug="h2-report", name="氢能")
    stack = f.NodeFactory(chain=chain, code="H2R-MID-01", name="电堆", segment=m.Segment.MIDSTREAM)
    mea = f.NodeFactory(chain=chain, code="H2R-MID-02", name="膜电极", segment=m.Segment.MIDSTREAM, parent=stack)
    old = f.NodeFactory(chain=chain, code="H2R-UP-09", name="旧节点", segment=m.Segment.UPSTREAM)
    f.EdgeFactory(chain=chain, source=mea, target=stack)
    for node, levels in ((stack, ("strong", "present", "weak")), (mea, ("present", "strong", "empty"))):
        for code, level in zip(("BJ", "TJ", "HE"), levels, strict=True):
            m.NodeAssessment.objects.create(node=node, region=regions[code], level=level)
    bj = f.EnterpriseFactory(name="北京氢研科技有限公司", region=regions["BJ"])
    tj = f.EnterpriseFactory(name="天津膜电极有限公司", region=regions["TJ"])
    tj2 = f.EnterpriseFactory(name="天津电堆有限公司", region=regions["TJ"])
    formula = f.EnterpriseFactory(name=FORMULA_NAME, region=regions["HE"])
    f.PlacementFactory(enterprise=bj, node=stack)
    f.PlacementFactory(enterprise=tj2, node=stack)
    f.PlacementFactory(enterprise=tj, node=mea)  # the only confirmed supplier of the MEA
    profiles = {e.pk: f.ProfileFactory(enterprise=e) for e in (bj, tj, tj2, formula)}
    bottleneck = f.BottleneckFactory(
        chain=chain, code="KD-H2R-01", title="膜电极国产化", raised_by=regions["HE"], status="published"
    )
    bottleneck.nodes.add(mea)
    f.BottleneckFactory(chain=chain, code="KD-H2R-02", title="已突破", status="breakthrough", mechanism="jiebang")
    need = f.NeedFactory(profile=profiles[tj2.pk], node=stack, title="电堆测试需求")

    previous = f.RoundFactory(chain=chain, period=dt.date(2026, 10, 1), status=m.RoundStatus.HELD)
    previous.matched_at = timezone.now()
    previous.save()
    for rank, (enterprise, outcome) in enumerate(((bj, "signed"), (tj, "contacted"), (tj2, "")), start=1):
        m.Match.objects.create(
            round=previous, bottleneck=bottleneck, profile=profiles[enterprise.pk], enterprise=enterprise,
            rank=rank, score=0.5, outcome=outcome,
        )  # fmt: skip
    # After the previous round: one node added, one renamed, one removed, one edge added.
    new = f.NodeFactory(chain=chain, code="H2R-DOWN-01", name="加氢站", segment=m.Segment.DOWNSTREAM)
    mea.name = "膜电极组件"
    mea.save()
    old.delete()
    f.EdgeFactory(chain=chain, source=stack, target=new)

    current = f.RoundFactory(chain=chain, period=dt.date(2026, 11, 1), status=m.RoundStatus.MATCHED)
    components = {"text": 0.6, "structure": 1.0, "region": 1.0, "qualification": 0.5, "trl": 0.67}
    for rank, enterprise in enumerate((bj, formula, tj), start=1):
        m.Match.objects.create(
            round=current, bottleneck=bottleneck, profile=profiles[enterprise.pk], enterprise=enterprise,
            rank=rank, score=0.9 - rank / 10, components=components, matched_terms=["膜电极", "国产化"],
        )  # fmt: skip
    m.Match.objects.create(
        round=current, need=need, profile=profiles[bj.pk], enterprise=bj, rank=1, score=0.7, components=components
    )
    project = f.ProjectFactory(chain=chain, title="膜电极联合攻关")
    project.milestones.create(position=1, title="中试", due_on=dt.date(2026, 6, 1), weight=1, progress=100)
    project.milestones.create(position=2, title="量产", due_on=dt.date(2027, 6, 1), weight=3, progress=20)
    return {"chain": chain, "round": current, "previous": previous, "stack": stack, "mea": mea, "bj": bj, "tj": tj}


def test_it_snapshots_every_section_from_known_data(world):
    snap = reports.report_snapshot(round_id=world["round"].pk)

    assert [b["code"] for b in snap["bottlenecks"]] == ["KD-H2R-01"]  # the broken-through one is not a target
    ranked = snap["bottlenecks"][0]["candidates"]
    assert [c["enterprise"] for c in ranked] == ["北京氢研科技有限公司", FORMULA_NAME, "天津膜电极有限公司"]
    assert ranked[0]["matched_terms"] == ["膜电极", "国产化"] and ranked[0]["components"]["structure"] == 1.0
    assert snap["needs"][0]["title"] == "电堆测试需求" and snap["needs"][0]["candidates"][0]["region"] == "BJ"

    # Hebei raised the bottleneck: Beijing and Tianjin candidates are cross-region pairs, Hebei's is not.
    pairs = {(p["supplier"], p["demand_region"], p["supply_region"]) for p in snap["cross_region_pairs"]}
    assert ("北京氢研科技有限公司", "HE", "BJ") in pairs and ("天津膜电极有限公司", "HE", "TJ") in pairs
    assert not any(p["supplier"] == FORMULA_NAME for p in snap["cross_region_pairs"])
    assert ("北京氢研科技有限公司", "TJ", "BJ") in pairs  # the Tianjin need, supplied from Beijing

    gaps = {code: {row["code"]: row for row in rows} for code, rows in snap["gaps"].items()}
    assert set(gaps["HE"]) == {"H2R-MID-01", "H2R-MID-02", "H2R-DOWN-01"}  # weak, empty, unassessed
    assert gaps["HE"]["H2R-MID-01"]["level"] == "weak"
    assert "H2R-MID-01" not in gaps["BJ"] and "H2R-MID-01" not in gaps["TJ"]  # strong/present and confirmed firms
    assert "H2R-MID-02" in gaps["BJ"]  # present, but no confirmed Beijing enterprise
    assert [(n["code"], n["enterprise"]) for n in snap["single_supplier_nodes"]] == [
        ("H2R-MID-02", "天津膜电极有限公司")
    ]

    changes = snap["changes"]
    assert changes["previous"]["id"] == world["previous"].pk
    assert [n["code"] for n in changes["nodes_added"]] == ["H2R-DOWN-01"]
    assert [n["code"] for n in changes["nodes_removed"]] == ["H2R-UP-09"]
    assert changes["nodes_renamed"] == [{"code": "H2R-MID-02", "old": "膜电极", "new": "膜电极组件"}]
    assert changes["edges_added"] == [{"source": "H2R-MID-01", "target": "H2R-DOWN-01", "kind": "component"}]
    assert changes["edges_removed"] == []

    assert snap["bottleneck_status"]["published"] == 1 and snap["bottleneck_status"]["breakthrough"] == 1
    assert [(p["title"], p["progress"]) for p in snap["projects"]] == [("膜电极联合攻关", 40.0)]
    assert snap["follow_up"]["counts"]["signed"] == 1 and snap["follow_up"]["counts"]["contacted"] == 1
    assert snap["follow_up"]["total"] == 3


def test_the_region_filter_keeps_what_touches_the_region(world):
    snap = reports.report_snapshot(round_id=world["round"].pk)
    context = reports.report_context(snap, region="TJ")
    assert [g["code"] for g in context["gaps"]] == ["TJ"]
    assert all("TJ" in (p["demand_region"], p["supply_region"]) for p in context["cross_region_pairs"])
    bottleneck = context["bottlenecks"][0]
    assert [c["enterprise"] for c in bottleneck["candidates"]] == ["天津膜电极有限公司"]


def test_a_rebuild_reuses_the_frozen_snapshot_unless_refreshed(world, django_capture_on_commit_callbacks):
    report = reports.report_build(round_id=world["round"].pk)
    assert report.status == m.Report.Status.READY, report.error
    first_pdf = report.pdf.name
    world["bj"].name = "北京更名科技有限公司"
    world["bj"].save()

    with django_capture_on_commit_callbacks(execute=True):
        again = reports.report_build(round_id=world["round"].pk)
    assert again.snapshot == report.snapshot and again.pdf.name != first_pdf
    assert not report.pdf.storage.exists(first_pdf)  # the replaced file is gone, the new one is there
    assert again.pdf.storage.exists(again.pdf.name)

    fresh = reports.report_build(round_id=world["round"].pk, refresh=True)
    names = [c["enterprise"] for c in fresh.snapshot["bottlenecks"][0]["candidates"]]
    assert "北京更名科技有限公司" in names


def test_a_failed_build_keeps_the_previous_files(world, monkeypatch):
    report = reports.report_build(round_id=world["round"].pk)
    pdf, xlsx = report.pdf.name, report.xlsx.name

    def boom(html: str) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(reports, "render_pdf", boom)
    failed = reports.report_build(round_id=world["round"].pk)
    assert failed.status == m.Report.Status.FAILED and "renderer crashed" in failed.error
    assert (failed.pdf.name, failed.xlsx.name) == (pdf, xlsx) and failed.pdf.storage.exists(pdf)


def test_a_build_in_progress_elsewhere_is_left_alone(world):
    report = m.Report.objects.create(round=world["round"], status=m.Report.Status.BUILDING)
    m.Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    assert reports.report_build(round_id=world["round"].pk).status == m.Report.Status.BUILDING
    # A claim older than the timeout belonged to a killed worker: taken over.
    m.Report.objects.filter(pk=report.pk).update(updated_at=timezone.now() - dt.timedelta(hours=2))
    assert reports.report_build(round_id=world["round"].pk).status == m.Report.Status.READY


def test_the_pdf_embeds_a_cjk_font_and_renders_to_png(world, tmp_path):
    require(shutil.which("pdffonts") is not None, "pdffonts is not installed (apt-get install poppler-utils)")
    require(shutil.which("pdftoppm") is not None, "pdftoppm is not installed (apt-get install poppler-utils)")
    report = reports.report_build(round_id=world["round"].pk)
    assert report.status == m.Report.Status.READY, report.error
    path = tmp_path / "report.pdf"
    path.write_bytes(report.pdf.read())
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    cjk = [row for row in rows if any(key in row[0].lower() for key in ("cjk", "wenquanyi", "wqy", "hei", "han"))]
    assert cjk, fonts
    # pdffonts columns: name type encoding emb sub uni object ID; "emb" is "yes" for an embedded font.
    assert all("yes" in row[-5:-2] for row in cjk), fonts
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    png = next(tmp_path.glob("page*.png")).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1000


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red; }")

    def log_message(self, *args) -> None:
        pass


def test_the_pdf_renderer_refuses_remote_urls(caplog):
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Counter.hits = []
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        html = (
            f'<html><head><link rel="stylesheet" href="{base}/x.css"></head>'
            f'<body><p>报告</p><img src="{base}/x.png"><img src="file:///etc/passwd"></body></html>'
        )
        with caplog.at_level("WARNING", logger="chainmap.reports.services.reports"):
            pdf = reports.render_pdf(html)
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF")
    assert _Counter.hits == []  # the server never saw a request
    refused = " ".join(record.getMessage() for record in caplog.records)
    assert f"{base}/x.css" in refused and f"{base}/x.png" in refused and "/etc/passwd" in refused
    assert reports.report_url_allowed("data:image/png;base64,AAAA")
    assert not reports.report_url_allowed("https://example.com/a.png")


def test_the_xlsx_has_one_sheet_per_section_and_escapes_formulas(world):
    from openpyxl import load_workbook

    report = reports.report_build(round_id=world["round"].pk)
    workbook = load_workbook(io.BytesIO(report.xlsx.read()))
    assert len(workbook.sheetnames) == 9
    candidates = workbook.worksheets[1]
    values = [cell for row in candidates.iter_rows(min_row=2) for cell in row]
    escaped = [cell for cell in values if cell.value == "'" + FORMULA_NAME]
    assert escaped and all(cell.data_type == "s" for cell in escaped)
    assert not any(cell.data_type == "f" for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row)
    credit_codes = [row[6] for row in candidates.iter_rows(min_row=2)]  # all digits or not: text, never a number
    assert credit_codes and all(cell.data_type == "s" and len(cell.value) == 18 for cell in credit_codes)
    assert candidates.freeze_panes == "A2"
    assert candidates["D1"].value == "节点"  # the column lists node codes (not "节点数", a count)


# --- pages ------------------------------------------------------------------------------------


def ready_report(matching_round: m.MatchingRound) -> m.Report:
    """A ready report from the real snapshot, with stand-in files (no PDF rendering)."""
    report = m.Report.objects.create(
        round=matching_round,
        status=m.Report.Status.READY,
        snapshot=reports.report_snapshot(round_id=matching_round.pk),
        built_at=timezone.now(),
    )
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7 stand-in"), save=False)
    report.xlsx.save("r.xlsx", ContentFile(b"PK stand-in"), save=False)
    report.save()
    return report


PERSONAS = ("joint_office", "bj_official", "subscriber", "enterprise_member", None)


@pytest.mark.parametrize(
    ("persona", "page", "build"),
    [
        ("joint_office", 200, 302),
        ("bj_official", 200, 302),
        ("subscriber", 200, 403),
        ("enterprise_member", 404, 404),
        (None, 302, 302),
    ],
)
def test_report_pages_permission_matrix(world, persona, page, build, request, client_for):
    ready_report(world["round"])
    user = request.getfixturevalue(persona) if persona else None
    client = client_for(user)
    pk = world["round"].pk
    for url in (f"/rounds/{pk}/report/", f"/rounds/{pk}/report.pdf", f"/rounds/{pk}/report.xlsx"):
        response = client.get(url)
        assert response.status_code == page, url
        if persona is None:
            assert "/login" in response["Location"]
    response = client.post(f"/rounds/{pk}/report/build/")
    assert response.status_code == build
    if persona is None:
        assert "/login" in response["Location"]


def test_downloads_answer_404_until_the_report_is_built(world, joint_office, client_for):
    client = client_for(joint_office)
    pk = world["round"].pk
    for url in (f"/rounds/{pk}/report/", f"/rounds/{pk}/report.pdf", f"/rounds/{pk}/report.xlsx"):
        assert client.get(url).status_code == 404


def test_the_report_page_shows_the_sections_and_filters_by_region(world, bj_official, client_for):
    ready_report(world["round"])
    client = client_for(bj_official)
    page = client.get(f"/rounds/{world['round'].pk}/report/").content.decode()
    assert "膜电极国产化" in page and "北京氢研科技有限公司" in page and "H2R-DOWN-01" in page
    assert "HYPERLINK" in page and "<svg" not in page.split("report-section")[0]  # escaped text, no diagram yet
    tianjin = client.get(f"/rounds/{world['round'].pk}/report/?region=TJ").content.decode()
    assert "天津膜电极有限公司" in tianjin and FORMULA_NAME.replace('"', "&quot;") not in tianjin
    assert client.get(f"/rounds/{world['round'].pk}/report/?region=XX").status_code == 400
    pdf = client.get(f"/rounds/{world['round'].pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]


def test_the_build_button_builds_the_report(world, bj_official, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bj_official).post(f"/rounds/{world['round'].pk}/report/build/")
    assert response.status_code == 302
    report = m.Report.objects.get(round=world["round"])
    assert report.status == m.Report.Status.READY and report.pdf.read().startswith(b"%PDF")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_report_page_query_budget(regions, joint_office, client_for):
    def make(n: int) -> m.MatchingRound:
        chain = f.ChainFactory()
        node = f.NodeFactory(chain=chain)
        bottleneck = f.BottleneckFactory(chain=chain, status="published")
        bottleneck.nodes.add(node)
        matching_round = f.RoundFactory(chain=chain, period=dt.date(2026, 1 + n % 12, 1))
        for rank in range(1, n + 1):
            enterprise = f.EnterpriseFactory(region=regions["TJ"])
            f.PlacementFactory(enterprise=enterprise, node=node)
            profile = f.ProfileFactory(enterprise=enterprise)
            m.Match.objects.create(
                round=matching_round, bottleneck=bottleneck, profile=profile, enterprise=enterprise, rank=rank,
                score=1 - rank / 100, components={"text": 0.5},
            )  # fmt: skip
        ready_report(matching_round)
        return matching_round

    small, large = make(2), make(20)
    client = client_for(joint_office)
    assert _queries(client, f"/rounds/{small.pk}/report/") == _queries(client, f"/rounds/{large.pk}/report/")


def test_the_round_page_lists_deliveries_with_resend_buttons(world, joint_office, subscriber, client_for):
    report = ready_report(world["round"])
    m.Delivery.objects.create(report=report, email="a@example.cn", status="failed", attempts=6, last_error="SMTP 421")
    m.Delivery.objects.create(report=report, email="b@example.cn", status="pending")
    page = client_for(joint_office).get(f"/rounds/{world['round'].pk}/").content.decode()
    assert "a@example.cn" in page and "SMTP 421" in page
    assert page.count("/resend/") == 1  # only the failed row can be resent
    assert "/report/build/" in page
    seen_by_subscriber = client_for(subscriber).get(f"/rounds/{world['round'].pk}/").content.decode()
    assert "/resend/" not in seen_by_subscriber and "/report/build/" not in seen_by_subscriber


# --- readable download names, a shorter web page ------------------------------------------------


def test_downloads_have_readable_names_with_an_ascii_fallback(world, joint_office, client_for):
    ready_report(world["round"])
    client = client_for(joint_office)
    pk = world["round"].pk
    pdf = client.get(f"/rounds/{pk}/report.pdf")["Content-Disposition"]
    assert pdf == (
        'attachment; filename="chainmap-2026-11-h2-report-chain-month.pdf"; '
        "filename*=UTF-8''chainmap-2026-11-%E6%B0%A2%E8%83%BD-%E4%B8%80%E6%9C%88%E4%B8%80%E9%93%BE.pdf"
    )
    xlsx = client.get(f"/rounds/{pk}/report.xlsx")["Content-Disposition"]
    assert 'filename="chainmap-2026-11-h2-report-chain-month.xlsx"' in xlsx and xlsx.endswith(".xlsx")
    assert reports.report_filename(world["round"], "pdf") == "chainmap-2026-11-氢能-一月一链.pdf"


def test_report_file_names_of_a_cluster_quarter_and_of_awkward_names(regions):
    cluster = f.ClusterFactory(slug="bio-med", name='京津冀/生物 医药"集群"')
    matching_round = f.RoundFactory(
        kind=m.RoundKind.CLUSTER_QUARTER, chain=None, cluster=cluster, period=dt.date(2026, 10, 1)
    )
    assert reports.report_filename(matching_round, "xlsx") == "chainmap-2026-Q4-京津冀-生物-医药-集群-一季一群.xlsx"
    assert reports.report_filename(matching_round, "xlsx", ascii_only=True) == (
        "chainmap-2026-Q4-bio-med-cluster-quarter.xlsx"
    )


def _many_candidates(world, n: int) -> None:
    bottleneck = m.Bottleneck.objects.get(code="KD-H2R-01")
    profile = m.CapabilityProfile.objects.filter(enterprise=world["bj"]).first()
    m.Match.objects.bulk_create(
        m.Match(
            round=world["round"],
            bottleneck=bottleneck,
            profile=profile,
            enterprise=world["bj"],
            rank=rank,
            score=0.5 - rank / 1000,
            components={"text": 0.1},
        )
        for rank in range(4, n + 1)
    )


def test_the_web_report_folds_candidates_and_caps_pairs_but_the_print_keeps_them(
    world, joint_office, client_for, settings
):
    settings.CHAINMAP_REPORTS = {**settings.CHAINMAP_REPORTS, "PRINT_TOP_N": 3}
    _many_candidates(world, 12)
    report = ready_report(world["round"])
    snapshot = report.snapshot
    # 25 cross-region pairs: more than the page shows at first.
    pair = snapshot["cross_region_pairs"][0]
    snapshot["cross_region_pairs"] = [{**pair, "supplier": f"供给企业{i:02d}"} for i in range(25)]
    m.Report.objects.filter(pk=report.pk).update(snapshot=snapshot)
    client = client_for(joint_office)
    url = f"/rounds/{world['round'].pk}/report/"
    page = client.get(url).content.decode()
    folded = page.split('<details class="report-more">')[1].split("</details>")[0]
    assert folded.count("<tr>") == 9  # ranks 4–12, nothing dropped
    assert "供给企业19" in page and "供给企业20" not in page and "?pairs=all" in page
    everything = client.get(url, {"pairs": "all"}).content.decode()
    assert "供给企业24" in everything
    assert re.search(r'class="report-meta">[^<]*\d{4}-\d{2}-\d{2} \d{2}:\d{2}', page)  # a readable time
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", page)  # never an ISO timestamp
    printed = reports.render_html(snapshot)
    assert "<details" not in printed and "供给企业24" in printed
