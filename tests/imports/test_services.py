"""Spreadsheet import / export: preview, all-or-nothing apply, round trips, upload checks, permissions."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chainmap import models as m
from chainmap.core.formulas import escape_cell, unescape_cell
from chainmap.imports.services import exports, imports
from chainmap.imports.services.spreadsheets import write_csv, write_xlsx
from tests import factories as f

REASON = "2026年第一季度链图校核"


# --- helpers --------------------------------------------------------------------------------------


@pytest.fixture
def chain(regions) -> m.Chain:
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    up = f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢", segment=m.Segment.UPSTREAM)
    f.NodeFactory(chain=chain, code="H2-UP-02", name="碱性电解水制氢", segment=m.Segment.UPSTREAM, parent=up)
    f.NodeFactory(chain=chain, code="H2-MID-01", name="燃料电池系统", segment=m.Segment.MIDSTREAM)
    return chain


def xlsx(headers: list[str], rows: list[list[object]]) -> bytes:
    return write_xlsx(headers, rows)


def csv_bytes(headers: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(user, kind: str, content: bytes, *, chain: m.Chain | None = None, name: str = "data.xlsx") -> m.ImportJob:
    return imports.import_job_create(
        user=user, kind=kind, chain_id=chain.pk if chain else None, file_name=name, content=content, reason=REASON
    )


def apply(job: m.ImportJob, user) -> m.ImportJob:
    return imports.import_job_request_apply(job_id=job.pk, user=user)


NODE_HEADERS = ["编码", "名称", "环节", "上级编码", "描述", "关键技术"]


def errors_at(job: m.ImportJob, row: int) -> list[tuple[str | None, str]]:
    return [(error["column"], error["message"]) for error in job.errors if error["row"] == row]


# --- preview and apply ----------------------------------------------------------------------------


def test_it_previews_creates_updates_unchanged_and_names_the_column_of_each_error(chain, joint_office):
    content = xlsx(
        NODE_HEADERS,
        [
            ["H2-UP-01", "制氢（含副产氢）", "上游", "", "", ""],  # update
            ["H2-UP-02", "碱性电解水制氢", "上游", "H2-UP-01", "", ""],  # unchanged
            ["H2-UP-09", "储氢", "upstream", "", "", ""],  # create (English segment accepted)
            ["H2-UP-10", "液氢", "天上", "", "", ""],  # bad segment
            ["H2-UP-11", "管道", "上游", "H2-XX-99", "", ""],  # unknown parent
        ],
    )
    job = upload(joint_office, "nodes", content, chain=chain)

    assert job.status == m.ImportStatus.PREVIEWED
    assert job.preview["counts"] == {"create": 1, "update": 1, "unchanged": 1, "error": 2}
    update = next(row for row in job.preview["rows"] if row["action"] == "update")
    assert update["changes"] == [{"column": "名称", "before": "制氢", "after": "制氢（含副产氢）"}]
    assert errors_at(job, 5)[0][0] == "环节"
    assert errors_at(job, 6)[0][0] == "上级编码"
    assert "H2-XX-99" in errors_at(job, 6)[0][1]
    # A dry run writes nothing.
    assert m.Node.objects.get(code="H2-UP-01").name == "制氢"
    assert not m.Node.objects.filter(code="H2-UP-09").exists()


def test_apply_writes_every_row_with_history_naming_uploader_and_reason(chain, joint_office):
    content = xlsx(
        [*NODE_HEADERS, "北京评估"],
        [
            ["H2-UP-01", "制氢（含副产氢）", "上游", "", "", "", "强"],
            ["H2-UP-09", "储氢", "上游", "H2-UP-01", "描述", "IV型瓶", "弱"],
        ],
    )
    job = upload(joint_office, "nodes", content, chain=chain)
    assert job.errors == []

    job = apply(job, joint_office)

    assert job.status == m.ImportStatus.APPLIED
    renamed = m.Node.objects.get(code="H2-UP-01")
    created = m.Node.objects.get(code="H2-UP-09")
    assert renamed.name == "制氢（含副产氢）" and renamed.version == 2
    assert created.parent == renamed and created.key_technologies == "IV型瓶"
    assert m.NodeAssessment.objects.get(node=created, region__code="BJ").level == "weak"
    for record in (renamed.history.first(), created.history.first()):
        assert record.history_user == joint_office
        assert record.history_change_reason == REASON
    assessment = m.NodeAssessment.objects.get(node=renamed, region__code="BJ")
    assert assessment.history.first().history_change_reason == REASON


def test_a_child_listed_before_its_new_parent_is_applied_after_it(chain, joint_office):
    content = xlsx(
        NODE_HEADERS, [["H2-UP-21", "子", "上游", "H2-UP-20", "", ""], ["H2-UP-20", "父", "上游", "", "", ""]]
    )
    job = apply(upload(joint_office, "nodes", content, chain=chain), joint_office)
    assert job.status == m.ImportStatus.APPLIED
    assert m.Node.objects.get(code="H2-UP-21").parent.code == "H2-UP-20"


def test_one_bad_row_in_fifty_writes_nothing(chain, joint_office):
    rows = [[f"H2-DN-{n:02d}", f"应用{n}", "下游", "", "", ""] for n in range(1, 51)]
    rows[36][3] = "H2-NO-01"  # unknown parent on row 38
    job = upload(joint_office, "nodes", xlsx(NODE_HEADERS, rows), chain=chain)
    assert job.preview["counts"]["create"] == 49 and job.preview["counts"]["error"] == 1
    assert errors_at(job, 38)[0][0] == "上级编码"
    with pytest.raises(ValidationError):
        apply(job, joint_office)
    assert not m.Node.objects.filter(code__startswith="H2-DN-").exists()


def test_a_row_that_fails_only_at_apply_time_rolls_the_whole_file_back(chain, joint_office):
    rows = [[f"H2-DN-{n:02d}", f"应用{n}", "下游", "", "", ""] for n in range(1, 51)]
    job = upload(joint_office, "nodes", xlsx(NODE_HEADERS, rows), chain=chain)
    assert job.errors == []
    f.NodeFactory(code="H2-DN-30")  # meanwhile, code taken in another chain

    job = apply(job, joint_office)

    assert job.status == m.ImportStatus.PREVIEWED
    assert errors_at(job, 31)[0][0] == "编码"
    assert m.Node.objects.filter(code__startswith="H2-DN-", chain=chain).count() == 0


# --- round trips, encodings, formulas -------------------------------------------------------------


def _snapshot() -> tuple:
    return (
        sorted(m.Node.objects.values_list("code", "name", "version")),
        m.Node.history.count(),
        m.Edge.history.count(),
        m.Enterprise.history.count(),
        m.Placement.history.count(),
        m.Bottleneck.history.count(),
        m.NodeAssessment.history.count(),
    )


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", ["nodes", "edges", "enterprises", "placements", "bottlenecks"])
def test_export_then_import_changes_nothing(chain, joint_office, kind, file_format):
    source, target = chain.nodes.get(code="H2-UP-02"), chain.nodes.get(code="H2-MID-01")
    f.EdgeFactory(chain=chain, source=source, target=target, kind="material", note="=1+1")
    m.NodeAssessment.objects.create(node=source, region=m.Region.objects.get(code="TJ"), level="strong")
    sub = m.SubRegion.objects.create(region=m.Region.objects.get(code="HE"), name="雄安新区")
    enterprise = f.EnterpriseFactory(name="=cmd|' /C calc'!A0", region=sub.region, subregion=sub, is_listed=True)
    f.PlacementFactory(enterprise=enterprise, node=source, evidence="+86 电解槽", role="technology")
    bottleneck = f.BottleneckFactory(chain=chain, code="H2-KD-01", title="-高压氢脆", mechanism="saima", status="taken")
    bottleneck.nodes.set([source, target])
    before = _snapshot()

    file = exports.export_file(kind=kind, user=joint_office, chain=chain, file_format=file_format)
    job = upload(joint_office, kind, file.content, chain=chain, name=file.file_name)

    assert job.errors == []
    counts = job.preview["counts"]
    assert counts["unchanged"] >= 1 and counts["create"] == counts["update"] == counts["error"] == 0
    job = apply(job, joint_office)
    assert job.status == m.ImportStatus.APPLIED
    assert _snapshot() == before


def test_formulas_are_escaped_in_xlsx_and_csv_exports_and_unescaped_on_import(chain, joint_office):
    node = chain.nodes.get(code="H2-UP-01")
    node.name = '=HYPERLINK("http://x","点我")'
    node.save()

    book = openpyxl.load_workbook(
        io.BytesIO(exports.export_file(kind="nodes", user=joint_office, chain=chain, file_format="xlsx").content)
    )
    cells = next(row for row in book.active.iter_rows(values_only=True) if row[0] == "H2-UP-01")
    assert cells[1] == "'" + node.name
    assert book.active["B2"].data_type == "s"
    text = exports.export_file(kind="nodes", user=joint_office, chain=chain, file_format="csv").content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in text

    job = upload(
        joint_office,
        "nodes",
        csv_bytes(NODE_HEADERS, [["H2-UP-02", "=新名称", "上游", "H2-UP-01", "", ""]]),
        chain=chain,
    )
    apply(job, joint_office)
    assert m.Node.objects.get(code="H2-UP-02").name == "=新名称"


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\tx", "\rx", "'=x", "''", "'abc", "abc", ""])
def test_escaping_is_exactly_undone(value):
    assert unescape_cell(escape_cell(value)) == value


ENTERPRISE_HEADERS = ["统一社会信用代码", "企业名称", "地区", "下级区域", "高新技术企业", "规模"]


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_chinese_csv_in_gb18030_and_utf8_with_or_without_bom(regions, joint_office, encoding):
    code = f.make_credit_code(7)
    content = csv_bytes(ENTERPRISE_HEADERS, [[code, "河北氢能装备有限公司", "河北", "", "是", "中等"]], encoding)
    job = apply(upload(joint_office, "enterprises", content, name="企业.csv"), joint_office)
    assert job.file_format == "csv" and job.status == m.ImportStatus.APPLIED
    enterprise = m.Enterprise.objects.get(credit_code=code)
    assert (enterprise.name, enterprise.region.code, enterprise.is_high_tech, enterprise.size) == (
        "河北氢能装备有限公司",
        "HE",
        True,
        "medium",
    )


def test_english_headers_are_accepted(regions, joint_office):
    code = f.make_credit_code(8)
    content = csv_bytes(["Credit code", "Name", "Region", "Size"], [[code, "Beijing Co", "BJ", "large"]])
    apply(upload(joint_office, "enterprises", content), joint_office)
    assert m.Enterprise.objects.get(credit_code=code).size == "large"


# --- upload checks --------------------------------------------------------------------------------


def _file_error(excinfo) -> str:
    return " ".join(excinfo.value.message_dict["file"])


def test_an_oversized_file_is_rejected(chain, joint_office, settings):
    settings.CHAINMAP_IMPORTS = {**settings.CHAINMAP_IMPORTS, "MAX_BYTES": 2000}
    content = csv_bytes(NODE_HEADERS, [[f"H2-UP-{n}", "x" * 50, "上游", "", "", ""] for n in range(10, 99)])
    with pytest.raises(ValidationError) as excinfo:
        upload(joint_office, "nodes", content, chain=chain)
    assert "2000" in _file_error(excinfo)
    assert not m.ImportJob.objects.exists()


def test_a_zip_that_is_not_a_workbook_is_rejected_whatever_its_name(chain, joint_office):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(ValidationError) as excinfo:
        upload(joint_office, "nodes", buffer.getvalue(), chain=chain, name="nodes.xlsx")
    assert "XLSX" in _file_error(excinfo)


def test_binary_junk_renamed_xlsx_is_rejected(chain, joint_office):
    with pytest.raises(ValidationError):
        upload(joint_office, "nodes", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", chain=chain, name="nodes.xlsx")


def test_text_renamed_xlsx_is_read_as_what_it_is(chain, joint_office):
    job = upload(joint_office, "nodes", "编码,名称\nH2-UP-01,制氢\n".encode(), chain=chain, name="nodes.xlsx")
    assert job.file_format == "csv" and job.preview["counts"]["unchanged"] == 1


def test_a_zip_bomb_is_rejected_before_openpyxl_opens_it(chain, joint_office, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000

    def explode(*args, **kwargs):
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", explode)
    with pytest.raises(ValidationError) as excinfo:
        upload(joint_office, "nodes", buffer.getvalue(), chain=chain)
    assert "50" in _file_error(excinfo) or ":1" in _file_error(excinfo)


def test_a_highly_compressed_member_is_rejected_even_under_the_size_limit(chain, joint_office, settings):
    settings.CHAINMAP_IMPORTS = {**settings.CHAINMAP_IMPORTS, "MAX_UNCOMPRESSED_BYTES": 100 * 1024 * 1024}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"a" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError) as excinfo:
        upload(joint_office, "nodes", buffer.getvalue(), chain=chain)
    assert ":1" in _file_error(excinfo)


def test_the_row_limit_is_enforced(chain, joint_office, settings):
    settings.CHAINMAP_IMPORTS = {**settings.CHAINMAP_IMPORTS, "MAX_ROWS": 3}
    rows = [[f"H2-UP-{n}", "节点", "上游", "", "", ""] for n in range(20, 25)]
    with pytest.raises(ValidationError) as excinfo:
        upload(joint_office, "nodes", xlsx(NODE_HEADERS, rows), chain=chain)
    assert "3" in _file_error(excinfo)


def test_over_long_cell_text_is_a_row_error(chain, joint_office):
    job = upload(joint_office, "nodes", xlsx(NODE_HEADERS, [["H2-UP-01", "长" * 101, "上游", "", "", ""]]), chain=chain)
    assert errors_at(job, 2)[0][0] == "名称"


# --- row errors -----------------------------------------------------------------------------------

EDGE_HEADERS = ["上游节点编码", "下游节点编码", "关系类型", "备注"]


def test_edge_rows_with_unknown_codes_other_chains_and_cycles_are_errors(chain, joint_office):
    other = f.NodeFactory(code="NEV-UP-01")
    content = xlsx(
        EDGE_HEADERS,
        [
            ["H2-UP-02", "H2-MID-01", "材料", ""],  # fine
            ["H2-MID-01", "H2-UP-02", "部件", ""],  # closes a cycle with the row above
            ["H2-UP-99", "H2-MID-01", "部件", ""],  # unknown
            ["H2-UP-01", other.code, "部件", ""],  # across chains
            ["H2-UP-01", "H2-MID-01", "魔法", ""],  # bad kind
        ],
    )
    job = upload(joint_office, "edges", content, chain=chain)
    assert job.preview["counts"]["create"] == 1
    assert errors_at(job, 3)[0][0] == "下游节点编码" and "回路" in errors_at(job, 3)[0][1]
    assert errors_at(job, 4)[0][0] == "上游节点编码"
    assert errors_at(job, 5)[0][0] == "下游节点编码"
    assert errors_at(job, 6)[0][0] == "关系类型"
    assert not m.Edge.objects.exists()


def test_a_bad_credit_code_is_a_row_error(regions, joint_office):
    good = f.make_credit_code(3)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    job = upload(joint_office, "enterprises", csv_bytes(ENTERPRISE_HEADERS, [[bad, "甲公司", "BJ", "", "", ""]]))
    assert errors_at(job, 2)[0][0] == "统一社会信用代码"


def test_placements_and_bottlenecks_import_by_natural_keys(chain, joint_office):
    enterprise = f.EnterpriseFactory(region=m.Region.objects.get(code="TJ"))
    job = apply(
        upload(
            joint_office,
            "placements",
            csv_bytes(
                ["统一社会信用代码", "节点编码", "角色", "依据", "状态"],
                [[enterprise.credit_code, "H2-UP-02", "产品", "样品", "已确认"]],
            ),
            chain=chain,
        ),
        joint_office,
    )
    assert job.status == m.ImportStatus.APPLIED
    placement = m.Placement.objects.get(enterprise=enterprise)
    assert (placement.node.code, placement.status, placement.reviewed_by) == ("H2-UP-02", "confirmed", joint_office)

    headers = ["卡点编码", "产业链", "节点编码", "标题", "提出地区", "严重程度", "攻关机制", "状态", "目标日期"]
    job = upload(
        joint_office,
        "bottlenecks",
        csv_bytes(
            headers,
            [
                [
                    "H2-KD-09",
                    "氢能",
                    "H2-UP-01、H2-UP-02",
                    "质子交换膜",
                    "天津",
                    "4",
                    "揭榜挂帅",
                    "已揭榜",
                    "2027-06-30",
                ],
                ["H2-KD-10", "NEV", "H2-UP-01", "x", "BJ", "", "", "", ""],
            ],
        ),
        chain=chain,
    )
    assert errors_at(job, 3)[0][0] == "产业链"
    job = apply(
        upload(
            joint_office,
            "bottlenecks",
            csv_bytes(
                headers,
                [
                    [
                        "H2-KD-09",
                        "H2",
                        "H2-UP-01、H2-UP-02",
                        "质子交换膜",
                        "天津",
                        "4",
                        "揭榜挂帅",
                        "已揭榜",
                        "2027-06-30",
                    ]
                ],
            ),
            chain=chain,
        ),
        joint_office,
    )
    bottleneck = m.Bottleneck.objects.get(code="H2-KD-09")
    assert (bottleneck.severity, bottleneck.mechanism, bottleneck.status, str(bottleneck.target_date)) == (
        4,
        "jiebang",
        "taken",
        "2027-06-30",
    )
    assert sorted(bottleneck.nodes.values_list("code", flat=True)) == ["H2-UP-01", "H2-UP-02"]


# --- permissions ----------------------------------------------------------------------------------


def test_an_official_may_import_only_enterprises_of_their_own_region(regions, tj_official):
    bj = f.EnterpriseFactory(region=regions["BJ"], name="北京甲")
    content = csv_bytes(
        ENTERPRISE_HEADERS,
        [
            [bj.credit_code, "北京甲（改名）", "BJ", "", "", ""],  # other region: refused
            [f.make_credit_code(11), "新北京企业", "北京", "", "", ""],  # other region: refused
            [f.make_credit_code(12), "天津新企业", "TJ", "", "", ""],  # own region: fine
        ],
    )
    job = upload(tj_official, "enterprises", content)
    assert [error["row"] for error in job.errors] == [2, 3]
    assert {error["column"] for error in job.errors} == {"地区"}
    assert job.preview["counts"]["create"] == 1


def test_an_enterprise_member_may_not_import(regions, enterprise_member, chain, client_for):
    with pytest.raises(PermissionDenied):
        upload(enterprise_member, "enterprises", csv_bytes(ENTERPRISE_HEADERS, []))
    client = client_for(enterprise_member)
    assert client.get("/imports/").status_code == 403
    assert client.get("/exports/nodes.xlsx?chain=hydrogen").status_code == 403
    token = Token.objects.create(user=enterprise_member)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.post(
        "/api/imports/",
        {"kind": "enterprises", "file": SimpleUploadedFile("a.csv", b"x"), "reason": "r"},
        format="multipart",
    )
    assert response.status_code == 403


def test_a_region_official_not_leading_the_chain_may_not_import_its_nodes(chain, he_official):
    with pytest.raises(PermissionDenied):
        upload(he_official, "nodes", xlsx(NODE_HEADERS, [["H2-UP-01", "改名", "上游", "", "", ""]]), chain=chain)


def test_only_the_uploader_may_apply(chain, joint_office, bj_official):
    f.TermFactory(
        chain=chain,
        region=m.Region.objects.get(code="BJ"),
        starts_on=f.dt.date(2000, 1, 1),
        ends_on=f.dt.date(2100, 1, 1),
    )
    job = upload(bj_official, "nodes", xlsx(NODE_HEADERS, [["H2-UP-01", "改名", "上游", "", "", ""]]), chain=chain)
    with pytest.raises(PermissionDenied):
        apply(job, joint_office)
    assert apply(job, bj_official).status == m.ImportStatus.APPLIED


# --- the newcomer's scenario, pages, Celery, API, commands ----------------------------------------


@pytest.fixture
def hydrogen(db, joint_office):
    from chainmap.demo.loading import demo_load_chains

    demo_load_chains()
    return m.Chain.objects.get(code="H2")


def test_hydrogen_chain_round_trip_through_the_pages(hydrogen, joint_office, client_for):
    client = client_for(joint_office)
    assert "/exports/nodes.xlsx?chain=hydrogen" in client.get("/chains/hydrogen/").content.decode()
    response = client.get("/exports/nodes.xlsx?chain=hydrogen")
    assert response.status_code == 200

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    renamed = 0
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in ("H2-UP-03", "H2-MID-03"):
            row[1].value = f"{row[1].value}（改）"
            renamed += 1
    sheet.append(["H2-MID-13", "氢燃料电池测试台", "中游", "H2-MID-12", "测试台架", "", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    assert renamed == 2

    response = client.post(
        "/imports/",
        {
            "kind": "nodes",
            "chain": "hydrogen",
            "reason": REASON,
            "file": SimpleUploadedFile("h2.xlsx", buffer.getvalue()),
        },
    )
    assert response.status_code == 302
    job = m.ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "PEM电解水制氢（改）" in page
    assert f"/imports/{job.pk}/apply/" in page
    assert job.preview["counts"]["update"] == 2 and job.preview["counts"]["create"] == 1

    assert client.post(f"/imports/{job.pk}/apply/").status_code == 302
    job.refresh_from_db()
    assert job.status == m.ImportStatus.APPLIED
    chain_page = client.get("/chains/hydrogen/").content.decode()
    assert "PEM电解水制氢（改）" in chain_page and "氢燃料电池测试台" in chain_page
    record = m.Node.objects.get(code="H2-UP-03").history.first()
    assert (record.history_user, record.history_change_reason) == (joint_office, REASON)


def test_the_apply_button_is_hidden_when_the_preview_has_errors(chain, joint_office, client_for):
    job = upload(joint_office, "nodes", xlsx(NODE_HEADERS, [["H2-UP-01", "", "上游", "", "", ""]]), chain=chain)
    page = client_for(joint_office).get(f"/imports/{job.pk}/").content.decode()
    assert f"/imports/{job.pk}/apply/" not in page
    assert "名称" in page


def test_a_large_file_runs_as_a_celery_job(
    chain, joint_office, settings, django_capture_on_commit_callbacks, client_for
):
    settings.CHAINMAP_IMPORTS = {**settings.CHAINMAP_IMPORTS, "ASYNC_ROWS": 2}
    rows = [[f"H2-DN-{n:02d}", f"应用{n}", "下游", "", "", ""] for n in range(1, 6)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = upload(joint_office, "nodes", xlsx(NODE_HEADERS, rows), chain=chain)
        assert job.status == m.ImportStatus.PENDING
        page = client_for(joint_office).get(f"/imports/{job.pk}/").content.decode()
        assert 'hx-trigger="every 2s"' in page
    # One job enqueued (besides it, the cache's write version moves on commit).
    assert len([callback for callback in callbacks if "send_on_commit" in callback.__qualname__]) == 1
    job.refresh_from_db()
    assert job.status == m.ImportStatus.PREVIEWED and job.preview["counts"]["create"] == 5

    with django_capture_on_commit_callbacks(execute=True):
        assert apply(job, joint_office).status == m.ImportStatus.APPLYING
    job.refresh_from_db()
    assert job.status == m.ImportStatus.APPLIED
    assert m.Node.objects.filter(code__startswith="H2-DN-").count() == 5
    # A redelivered task does nothing.
    from chainmap.imports import tasks as tasks_imports

    assert tasks_imports.import_apply(job_id=job.pk) == m.ImportStatus.APPLIED
    assert m.Node.objects.filter(code__startswith="H2-DN-").count() == 5


def test_a_script_with_a_token_uploads_previews_and_applies(chain, joint_office):
    token = Token.objects.create(user=joint_office)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    exported = api.get("/api/exports/nodes/?chain=hydrogen&file_format=xlsx")
    assert exported.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    book.active.append(["H2-UP-30", "新节点", "上游", "", "", "", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)

    response = api.post(
        "/api/imports/",
        {
            "kind": "nodes",
            "chain": "hydrogen",
            "reason": REASON,
            "file": SimpleUploadedFile("n.xlsx", buffer.getvalue()),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    detail = api.get(f"/api/imports/{job_id}/").json()
    assert detail["preview"]["counts"] == {"create": 1, "update": 0, "unchanged": 3, "error": 0}
    assert detail["can_apply"] is True

    response = api.post(f"/api/imports/{job_id}/apply/")
    assert response.status_code == 200 and response.json()["status"] == "applied"
    assert m.Node.objects.get(code="H2-UP-30").history.first().history_user == joint_office
    assert api.post(f"/api/imports/{job_id}/apply/").status_code == 400


def test_api_upload_errors_name_the_field(chain, joint_office):
    api = APIClient()
    api.force_authenticate(joint_office)
    response = api.post(
        "/api/imports/",
        {"kind": "nodes", "reason": REASON, "file": SimpleUploadedFile("n.csv", b"a,b\n")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "chain" in response.json()["error"]["fields"]


def test_import_and_export_commands(chain, joint_office, tmp_path):
    path = tmp_path / "nodes.csv"
    call_command("export_data", kind="nodes", chain="hydrogen", file=str(path), user="alice")
    text = path.read_text(encoding="utf-8-sig").replace("燃料电池系统", "燃料电池发动机")
    path.write_text(text, encoding="utf-8-sig")
    out = io.StringIO()
    call_command(
        "import_data", kind="nodes", chain="H2", file=str(path), user="alice", reason=REASON, dry_run=True, stdout=out
    )
    assert "update 1" in out.getvalue()
    assert m.Node.objects.get(code="H2-MID-01").name == "燃料电池系统"
    call_command(
        "import_data", kind="nodes", chain="H2", file=str(path), user="alice", reason=REASON, stdout=io.StringIO()
    )
    assert m.Node.objects.get(code="H2-MID-01").name == "燃料电池发动机"


def test_templates_download_with_chinese_headers(joint_office, client_for):
    response = client_for(joint_office).get("/imports/templates/enterprises.csv")
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith("统一社会信用代码,企业名称")


def test_imports_list_page_runs_a_constant_number_of_queries(chain, joint_office, client_for):
    client = client_for(joint_office)

    def make_jobs(n: int) -> None:
        for _ in range(n):
            m.ImportJob.objects.create(
                uploader=f.UserFactory(),
                kind="nodes",
                chain=chain,
                file_name="x.xlsx",
                file_format="xlsx",
                content=b"",
                reason="r",
            )

    make_jobs(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/imports/").status_code == 200
    make_jobs(18)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/imports/").status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


def test_export_writes_csv_that_excel_reads_as_utf8():
    assert write_csv(["名称"], [["=x"]]).startswith(b"\xef\xbb\xbf")


# --- every error of a row; credit codes that are malformed, not unknown ------------------------------


def _wrong_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def test_the_preview_lists_every_error_of_a_row_each_naming_its_column(regions, joint_office, client_for):
    code = f.make_credit_code(21)
    rows = [
        [f.make_credit_code(22), "乙公司", "BJ", "", "是", "小型"],  # fine
        [_wrong_check(code), "甲公司", "火星", "", "也许", "巨大"],  # four bad cells
    ]
    job = upload(joint_office, "enterprises", csv_bytes(ENTERPRISE_HEADERS, rows))
    assert [column for column, _message in errors_at(job, 3)] == ["统一社会信用代码", "地区", "高新技术企业", "规模"]
    assert errors_at(job, 2) == []
    assert job.preview["counts"]["error"] == 1
    page = client_for(joint_office).get(f"/imports/{job.pk}/").content.decode()
    for _column, message in errors_at(job, 3):
        assert escape(message) in page
    assert page.count('<td class="num">3</td>') == 4
    assert f"/imports/{job.pk}/apply/" not in page


def test_every_error_of_a_node_row_is_listed_and_nothing_can_be_applied(chain, joint_office):
    rows = [
        ["H2-UP-03", "新节点", "上游", "", "", ""],  # fine on its own
        ["H2-UP-09", "", "左游", "H2-XX-99", "", ""],  # name blank, bad segment, unknown parent
    ]
    job = upload(joint_office, "nodes", xlsx(NODE_HEADERS, rows), chain=chain)
    assert [column for column, _message in errors_at(job, 3)] == ["名称", "环节", "上级编码"]
    assert "H2-XX-99" in errors_at(job, 3)[2][1]
    with pytest.raises(ValidationError):
        apply(job, joint_office)
    assert not m.Node.objects.filter(code__in=["H2-UP-03", "H2-UP-09"]).exists()


def test_every_error_of_a_placement_and_a_bottleneck_row_is_listed(chain, joint_office):
    placements = upload(
        joint_office,
        "placements",
        csv_bytes(
            ["统一社会信用代码", "节点编码", "角色", "依据", "状态"], [["123", "H2-UP-99", "魔法", "", "半确认"]]
        ),
        chain=chain,
    )
    assert [column for column, _message in errors_at(placements, 2)] == ["统一社会信用代码", "节点编码", "角色", "状态"]
    headers = ["卡点编码", "产业链", "节点编码", "标题", "提出地区", "严重程度", "攻关机制", "状态", "目标日期"]
    row = ["H2-KD-11", "NEV", "H2-UP-01、H2-UP-98、H2-UP-99", "", "火星", "9", "", "", "明年"]
    bottlenecks = upload(joint_office, "bottlenecks", csv_bytes(headers, [row]), chain=chain)
    assert [column for column, _message in errors_at(bottlenecks, 2)] == [
        "产业链",
        "标题",
        "节点编码",
        "节点编码",
        "提出地区",
        "严重程度",
        "目标日期",
    ]


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("91110108551385082", "17"),  # one short
        ("9111-0108551385082Q", "“-”"),  # a separator: too long because of it, and the dash is named
        ("9111010855138508OQ", "“O”"),  # a letter the code never uses
        ("91110108551385082A", "Q"),  # wrong check character: the right one is named
    ],
)
def test_a_malformed_credit_code_in_a_placement_file_says_what_is_wrong(chain, joint_office, code, says):
    enterprise = f.EnterpriseFactory(credit_code="91110108551385082Q")
    job = upload(
        joint_office,
        "placements",
        csv_bytes(["统一社会信用代码", "节点编码", "角色"], [[code, "H2-UP-01", "产品"]]),
        chain=chain,
    )
    [(column, message)] = errors_at(job, 2)
    assert column == "统一社会信用代码"
    assert says in message
    assert enterprise.credit_code not in message  # not "no enterprise has the credit code …"
    assert "没有" not in message


def test_only_a_well_formed_credit_code_that_does_not_exist_is_unknown(chain, joint_office):
    code = f.make_credit_code(31)
    job = upload(
        joint_office,
        "placements",
        csv_bytes(["统一社会信用代码", "节点编码", "角色"], [[code, "H2-UP-01", "产品"]]),
        chain=chain,
    )
    assert errors_at(job, 2) == [("统一社会信用代码", f"没有统一社会信用代码为 {code} 的企业。")]


def test_a_credit_code_typed_with_spaces_and_full_width_digits_is_read_as_the_code(regions, joint_office):
    code = f.make_credit_code(32)
    typed = " ".join(code[i : i + 4] for i in range(0, 18, 4)).replace("9", "９")  # 22 characters as typed
    job = apply(
        upload(joint_office, "enterprises", csv_bytes(ENTERPRISE_HEADERS, [[typed, "丙公司", "BJ", "", "", ""]])),
        joint_office,
    )
    assert job.errors == []
    assert m.Enterprise.objects.filter(credit_code=code, name="丙公司").exists()
