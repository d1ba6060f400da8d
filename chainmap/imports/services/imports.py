"""Spreadsheet imports by natural keys: upload → row-by-row dry run (preview) → all-or-nothing apply.

One code path does both: every row is planned (parsed, looked up by its natural key, compared with the
database) and, unless nothing changes, written through the same services the pages use, each row in
its own savepoint so that one bad row becomes a row error instead of stopping the run. A dry run then
rolls everything back and keeps the preview; an apply commits only when no row failed. A row that
changes nothing writes nothing, so re-importing an export leaves the database untouched.

Every row is written by its area's services: chain nodes, edges and bottlenecks by
``chainmap.maps.services.mapedit``, regional levels by ``chainmap.maps.services.assessments``,
enterprises by ``chainmap.enterprises.services.enterprises`` and placements by
``chainmap.enterprises.services.placements``, each with history user, reason and version like every
other write. Small files run in the request; files with more rows than
``CHAINMAP_IMPORTS["ASYNC_ROWS"]`` run the very same functions on a Celery worker.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import DatabaseError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core import jobs, roles
from chainmap.core.actors import Actor, User, signed_in
from chainmap.core.exceptions import ConflictError
from chainmap.core.formulas import unescape_cell
from chainmap.core.validators import clean_credit_code, normalize_credit_code
from chainmap.enterprises.services.enterprises import EnterpriseInput, enterprise_create, enterprise_update
from chainmap.enterprises.services.placements import placement_import
from chainmap.imports.services.spreadsheets import SpreadsheetError, Table, read_table
from chainmap.maps.models.chains import EdgeKind, node_code_validator
from chainmap.maps.services import mapedit
from chainmap.maps.services.assessments import assessment_set
from chainmap.models import (
    QUALIFICATIONS,
    Bottleneck,
    BottleneckStatus,
    Chain,
    Edge,
    Enterprise,
    ImportJob,
    ImportKind,
    ImportStatus,
    Level,
    Mechanism,
    Node,
    NodeAssessment,
    Placement,
    Region,
    Segment,
    SubRegion,
)

CHAIN_KINDS = (ImportKind.NODES, ImportKind.EDGES, ImportKind.BOTTLENECKS)
REGION_CODES = ("BJ", "TJ", "HE")
PROGRESS_EVERY = 25
LIST_SPLIT = re.compile(r"[\s,，、;；]+")
TRUE_WORDS = {"1", "y", "yes", "true", "是", "√", "✓", "x"}
FALSE_WORDS = {"", "0", "n", "no", "false", "否"}
T = TypeVar("T")


# --- columns --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: its key, the Chinese header written in files, the other headers accepted."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    natural_key: bool = False


def normalize_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    return re.sub(r"[\s_\-()（）/:：*]+", "", text)


def _max(model: type[models.Model], name: str) -> int | None:
    # Only the names of concrete (text) fields are passed: never a relation or a generic foreign key.
    return cast("models.Field[Any, Any]", model._meta.get_field(name)).max_length


class RowError(Exception):
    """A problem with one cell: ``column`` is the column key (None for the row as a whole)."""

    def __init__(self, column: str | None, message: str) -> None:
        self.column = column
        self.message = message
        super().__init__(message)


class RowErrors(Exception):
    """Every problem found in one row, so the preview lists them all rather than the first."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(error.message for error in errors))


class RowCheck:
    """Collects the cell errors of one row: each column is parsed even when an earlier one failed."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def __call__(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``parse(*args, **kwargs)``, or None with its error kept."""
        try:
            return parse(*args, **kwargs)
        except RowError as exc:
            self.errors.append(exc)
            return None

    def put(self, into: dict[str, Any], key: str, parse: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """``into[key] = parse(...)`` when it parses (a parsed None is kept: it can mean "blank")."""
        try:
            into[key] = parse(*args, **kwargs)
        except RowError as exc:
            self.errors.append(exc)

    def add(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(column, message))

    def failed(self, *columns: str) -> bool:
        """Whether any of these columns had an error (any column at all when none is named)."""
        if not columns:
            return bool(self.errors)
        return any(error.column in columns for error in self.errors)

    def done(self) -> None:
        if self.errors:
            raise RowErrors(self.errors)


def _choice_words(choices: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Every spelling accepted for a choice: the stored value, the Chinese and the English label."""
    words: dict[str, Any] = {}
    for value, label in choices:
        words[normalize_header(str(value))] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                words[normalize_header(str(label))] = value
    return words


def _zh(label: Any) -> str:
    """A choice label as written into files: Chinese, whatever the uploader's language."""
    with translation.override("zh-hans"):
        return str(label)


def _parse_choice(value: str, choices: Iterable[tuple[Any, Any]], column: str) -> Any:
    words = _choice_words(choices)
    key = normalize_header(value)
    if key in words:
        return words[key]
    allowed = "、".join(_zh(label) for _value, label in choices)
    raise RowError(
        column, _("Unknown value “%(value)s”; use one of: %(allowed)s.") % {"value": value, "allowed": allowed}
    )


def _parse_flag(value: str, column: str) -> bool:
    word = normalize_header(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowError(column, _("Write 是 or 否 (yes or no)."))


def _parse_date(value: str, column: str) -> dt.date | None:
    if not value:
        return None
    text = value.strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise RowError(column, _("Write the date as YYYY-MM-DD.")) from None


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return "、".join(str(item) for item in value)
    return str(value)


@dataclass
class RowPlan:
    """What one row would do: ``create``, ``update`` (with before → after per column) or ``unchanged``."""

    key: str
    action: str
    label: str = ""
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (column key, before, after)
    write: Callable[[], None] | None = None


class Handler(ABC):
    """The columns, export and row planning of one import kind."""

    kind: ClassVar[str]
    columns: ClassVar[list[Column]]
    # Service field name → column key, to put a service's ValidationError on the right column.
    field_columns: ClassVar[dict[str, str]] = {}

    def __init__(self, *, user: User, chain: Chain | None, reason: str) -> None:
        self.user = user
        self.chain = chain
        self.reason = reason

    @classmethod
    def column(cls, key: str) -> Column:
        return next(column for column in cls.columns if column.key == key)

    @classmethod
    def headers(cls) -> list[str]:
        return [column.header for column in cls.columns]

    @classmethod
    def header_map(cls) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for column in cls.columns:
            for text in (column.header, column.key, *column.aliases):
                mapping[normalize_header(text)] = column.key
        return mapping

    def prepare(self, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
        """Load what the rows refer to in bulk; return the rows in the order they must be applied."""
        return rows

    @abstractmethod
    def plan(self, cells: dict[str, str]) -> RowPlan:
        """What this row would do: create, update (with before → after), unchanged, or errors."""

    @abstractmethod
    def export_rows(self) -> list[list[Any]]:
        """The rows of an export, in the columns' order."""

    # helpers for subclasses

    def text(self, cells: dict[str, str], key: str, *, required: bool = False) -> str:
        value = cells.get(key, "")
        if required and not value:
            raise RowError(key, _("This column is required."))
        limit = self.column(key).max_length
        if limit is not None and len(value) > limit:
            raise RowError(
                key, _("Too long: %(length)d characters, at most %(limit)d.") % {"length": len(value), "limit": limit}
            )
        return value

    def credit_code(self, cells: dict[str, str]) -> str:
        """The row's credit code, normalized; a malformed one says how (never "unknown enterprise")."""
        try:
            return clean_credit_code(self.text(cells, "credit_code", required=True))
        except ValidationError as exc:
            raise RowError("credit_code", " ".join(exc.messages)) from None

    def chain_node(self, code: str, column: str) -> Node:
        code = code.strip().upper()
        node = Node.objects.filter(code=code).first()
        if node is None:
            raise RowError(column, _("Unknown node code %(code)s.") % {"code": code})
        if self.chain is not None and node.chain_id != self.chain.pk:
            raise RowError(
                column, _("Node %(code)s belongs to another chain (%(chain)s).") % {"code": code, "chain": node.chain}
            )
        return node


def _diff(current: dict[str, Any], wanted: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(key, current[key], value) for key, value in wanted.items() if current[key] != value]


def _region_lookup() -> dict[str, Region]:
    lookup: dict[str, Region] = {}
    for region in Region.objects.all():
        for text in (region.code, region.name, region.name_en, region.get_code_display()):
            lookup[normalize_header(text)] = region
        with translation.override("zh-hans"):
            lookup[normalize_header(region.get_code_display())] = region
    return lookup


def _parse_region(value: str, lookup: dict[str, Region], column: str) -> Region:
    region = lookup.get(normalize_header(value))
    if region is None:
        raise RowError(
            column, _("Unknown region “%(value)s”; use BJ, TJ or HE or the region's name.") % {"value": value}
        )
    return region


# --- nodes ------------------------------------------------------------------------------------------

LEVEL_COLUMNS = {"BJ": "level_bj", "TJ": "level_tj", "HE": "level_he"}


class NodeHandler(Handler):
    kind = ImportKind.NODES
    columns = [
        Column("code", "编码", ("code", "node code", "节点编码"), 40, natural_key=True),
        Column("name", "名称", ("name", "node name", "节点名称"), _max(Node, "name")),
        Column("segment", "环节", ("segment", "产业链环节")),
        Column("parent", "上级编码", ("parent", "parent code", "上级节点编码")),
        Column("description", "描述", ("description", "说明"), _max(Node, "description")),
        Column("key_technologies", "关键技术", ("key technologies", "key technology"), _max(Node, "key_technologies")),
        Column("level_bj", "北京评估", ("BJ", "BJ level", "Beijing", "北京")),
        Column("level_tj", "天津评估", ("TJ", "TJ level", "Tianjin", "天津")),
        Column("level_he", "河北评估", ("HE", "HE level", "Hebei", "河北")),
    ]
    field_columns = {"parent": "parent", "parent_id": "parent"}

    def prepare(self, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
        self.regions = {region.code: region for region in Region.objects.filter(code__in=REGION_CODES)}
        codes = [cells.get("code", "").upper() for _, cells in rows]
        self.nodes = {node.code: node for node in Node.objects.filter(code__in=codes)}
        self.levels = {
            (node_id, code): level
            for node_id, code, level in NodeAssessment.objects.filter(node__code__in=codes).values_list(
                "node_id", "region__code", "level"
            )
        }
        # Parents named in the file are applied before their children.
        by_code = {cells.get("code", "").upper(): (number, cells) for number, cells in rows}
        ordered: list[tuple[int, dict[str, str]]] = []
        placed: set[int] = set()

        def visit(number: int, cells: dict[str, str], depth: int) -> None:
            if number in placed or depth > len(rows):
                return
            parent = by_code.get(cells.get("parent", "").upper())
            if parent is not None and parent[0] != number:
                visit(*parent, depth + 1)
            placed.add(number)
            ordered.append((number, cells))

        for number, cells in rows:
            visit(number, cells, 0)
        return ordered

    def plan(self, cells: dict[str, str]) -> RowPlan:
        assert self.chain is not None
        check = RowCheck()
        code = check(self._code, cells)
        node = None
        if code is not None:
            node = self.nodes.get(code) or Node.objects.filter(code=code).first()
            if node is not None and node.chain_id != self.chain.pk:
                check.add(
                    "code",
                    _("Node %(code)s belongs to another chain (%(chain)s).") % {"code": code, "chain": node.chain},
                )
        wanted: dict[str, Any] = {}
        if "name" in cells:
            check.put(wanted, "name", self.text, cells, "name", required=True)
        if "segment" in cells:
            segment = check(self.text, cells, "segment", required=True)
            if segment is not None:
                check.put(wanted, "segment", _parse_choice, segment, Segment.choices, "segment")
        if "parent" in cells:
            parent_code = cells["parent"].upper()
            if not parent_code:
                wanted["parent_id"] = None
            elif parent_code == code:
                check.add("parent", _("A node cannot be its own parent."))
            else:
                parent = check(self.chain_node, parent_code, "parent")
                if parent is not None:
                    wanted["parent_id"] = parent.pk
        for key in ("description", "key_technologies"):
            if key in cells:
                check.put(wanted, key, self.text, cells, key)
        levels: dict[str, Any] = {}
        for region, column in LEVEL_COLUMNS.items():
            if cells.get(column):
                check.put(levels, region, _parse_choice, cells[column], Level.choices, column)
        if code is not None and node is None:
            for key in ("name", "segment"):
                if key not in cells:
                    check.add(key, _("This column is required for a new row."))
        check.done()
        assert code is not None
        if node is None:
            return RowPlan(
                key=code,
                action="create",
                label=wanted["name"],
                write=lambda: self._create(code, wanted, levels),
            )
        current = {
            "name": node.name,
            "segment": node.segment,
            "parent_id": node.parent_id,
            "description": node.description,
            "key_technologies": node.key_technologies,
        }
        changes = _diff(current, wanted)
        level_changes = [
            (LEVEL_COLUMNS[region], self.levels.get((node.pk, region)), level)
            for region, level in levels.items()
            if self.levels.get((node.pk, region)) != level
        ]
        shown = [
            (self._column_of(key), self._shown(key, before), self._shown(key, after)) for key, before, after in changes
        ]
        shown += [
            (column, _zh(Level(before).label) if before else "", _zh(Level(after).label))
            for column, before, after in level_changes
        ]
        if not shown:
            return RowPlan(key=code, action="unchanged", label=node.name)
        return RowPlan(
            key=code,
            action="update",
            label=node.name,
            changes=shown,
            write=lambda: self._update(node, {key: after for key, _before, after in changes}, levels),
        )

    def _code(self, cells: dict[str, str]) -> str:
        code = self.text(cells, "code", required=True).upper()
        try:
            node_code_validator(code)
        except ValidationError as exc:
            raise RowError("code", exc.messages[0]) from None
        return code

    @staticmethod
    def _column_of(key: str) -> str:
        return "parent" if key == "parent_id" else key

    def _shown(self, key: str, value: Any) -> str:
        if key == "parent_id":
            return Node.objects.filter(pk=value).values_list("code", flat=True).first() or "" if value else ""
        if key == "segment":
            return _zh(Segment(value).label)
        return _show(value)

    def _create(self, code: str, wanted: dict[str, Any], levels: dict[str, str]) -> None:
        assert self.chain is not None
        node = mapedit.node_create(
            chain_id=self.chain.pk,
            user=self.user,
            reason=self.reason,
            code=code,
            name=wanted["name"],
            segment=wanted["segment"],
            parent_id=wanted.get("parent_id"),
            description=wanted.get("description", ""),
            key_technologies=wanted.get("key_technologies", ""),
        )
        self.nodes[code] = node
        self._assess(node, levels)

    def _update(self, node: Node, changes: dict[str, Any], levels: dict[str, str]) -> None:
        if changes:
            node = mapedit.node_update(
                node_id=node.pk, user=self.user, reason=self.reason, expected_version=None, changes=changes
            )
            self.nodes[node.code] = node
        self._assess(node, levels)

    def _assess(self, node: Node, levels: dict[str, str]) -> None:
        """Each changed level through the assessments' service, recorded like every map edit."""
        for region_code, level in levels.items():
            if self.levels.get((node.pk, region_code)) == level:
                continue
            assessment_set(
                node_id=node.pk,
                region_id=self.regions[region_code].pk,
                level=level,
                user=self.user,
                reason=self.reason,
            )
            self.levels[(node.pk, region_code)] = level

    def export_rows(self) -> list[list[Any]]:
        assert self.chain is not None
        nodes = list(
            Node.objects.filter(chain=self.chain).select_related("parent").order_by("segment", "position", "code")
        )
        order = {Segment.UPSTREAM: 0, Segment.MIDSTREAM: 1, Segment.DOWNSTREAM: 2}
        nodes.sort(key=lambda node: (order.get(node.segment, 9), node.position, node.code))
        levels = {
            (node_id, code): level
            for node_id, code, level in NodeAssessment.objects.filter(node__chain=self.chain).values_list(
                "node_id", "region__code", "level"
            )
        }
        return [
            [
                node.code,
                node.name,
                _zh(Segment(node.segment).label),
                node.parent.code if node.parent else "",
                node.description,
                node.key_technologies,
                *(
                    _zh(Level(levels[(node.pk, region)]).label) if (node.pk, region) in levels else ""
                    for region in REGION_CODES
                ),
            ]
            for node in nodes
        ]


# --- edges ------------------------------------------------------------------------------------------


class EdgeHandler(Handler):
    kind = ImportKind.EDGES
    columns = [
        Column("source", "上游节点编码", ("source", "source code", "供给节点编码"), natural_key=True),
        Column("target", "下游节点编码", ("target", "target code", "需求节点编码"), natural_key=True),
        Column("kind", "关系类型", ("kind", "type", "类型")),
        Column("note", "备注", ("note", "notes"), _max(Edge, "note")),
    ]
    field_columns = {
        "source": "source",
        "source_id": "source",
        "target": "target",
        "target_id": "target",
        "kind": "kind",
    }

    def prepare(self, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
        assert self.chain is not None
        self.edges = {
            (edge.source_id, edge.target_id): edge
            for edge in Edge.objects.filter(chain=self.chain).select_related("source", "target")
        }
        return rows

    def plan(self, cells: dict[str, str]) -> RowPlan:
        assert self.chain is not None
        check = RowCheck()
        source = check(lambda: self.chain_node(self.text(cells, "source", required=True), "source"))
        target = check(lambda: self.chain_node(self.text(cells, "target", required=True), "target"))
        if source is not None and target is not None and source.pk == target.pk:
            check.add("target", _("An edge cannot join a node to itself."))
        wanted: dict[str, Any] = {}
        if cells.get("kind"):
            check.put(wanted, "kind", _parse_choice, cells["kind"], EdgeKind.choices, "kind")
        if "note" in cells:
            check.put(wanted, "note", self.text, cells, "note")
        check.done()
        assert source is not None and target is not None
        key = f"{source.code} → {target.code}"
        edge = self.edges.get((source.pk, target.pk))
        if edge is None:
            return RowPlan(key=key, action="create", write=lambda: self._create(source, target, wanted))
        changes = _diff({"kind": edge.kind, "note": edge.note}, wanted)
        if not changes:
            return RowPlan(key=key, action="unchanged")
        shown = [
            (
                name,
                _zh(EdgeKind(before).label) if name == "kind" else before,
                _zh(EdgeKind(after).label) if name == "kind" else after,
            )
            for name, before, after in changes
        ]
        return RowPlan(
            key=key,
            action="update",
            changes=shown,
            write=lambda: self._update(edge, {name: after for name, _before, after in changes}),
        )

    def _create(self, source: Node, target: Node, wanted: dict[str, Any]) -> None:
        assert self.chain is not None
        edge = mapedit.edge_create(
            chain_id=self.chain.pk,
            user=self.user,
            reason=self.reason,
            source_id=source.pk,
            target_id=target.pk,
            kind=wanted.get("kind", EdgeKind.COMPONENT),
            note=wanted.get("note", ""),
        )
        self.edges[(source.pk, target.pk)] = edge

    def _update(self, edge: Edge, changes: dict[str, Any]) -> None:
        mapedit.edge_update(edge_id=edge.pk, user=self.user, reason=self.reason, expected_version=None, changes=changes)

    def export_rows(self) -> list[list[Any]]:
        assert self.chain is not None
        edges = (
            Edge.objects.filter(chain=self.chain)
            .select_related("source", "target")
            .order_by("source__code", "target__code")
        )
        return [[edge.source.code, edge.target.code, _zh(EdgeKind(edge.kind).label), edge.note] for edge in edges]


# --- enterprises -----------------------------------------------------------------------------------

QUALIFICATION_HEADERS = {
    "is_high_tech": ("高新技术企业", ("high-tech", "high tech enterprise")),
    "is_tech_sme": ("科技型中小企业", ("tech SME", "technology-based SME")),
    "is_specialized": ("专精特新", ("specialized", "specialized and sophisticated SME")),
    "is_little_giant": ("小巨人", ("little giant", "专精特新小巨人")),
    "is_single_champion": ("单项冠军", ("single champion", "manufacturing single champion")),
    "is_listed": ("上市", ("listed", "listed company", "上市公司")),
}
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


def _may_write_region(user: Actor, region_id: int | None) -> bool:
    """Region officials import only their own region's enterprises and placements; the joint office all."""
    if roles.is_joint_office(user):
        return True
    own = roles.official_region_id(user)
    return own is not None and own == region_id


class EnterpriseHandler(Handler):
    kind = ImportKind.ENTERPRISES
    columns = [
        Column(
            "credit_code",
            "统一社会信用代码",
            ("credit code", "unified social credit code", "信用代码"),
            40,  # not 18: spaces are dropped first, then the validator names a wrong length itself
            natural_key=True,
        ),
        Column("name", "企业名称", ("name", "enterprise", "enterprise name", "名称"), _max(Enterprise, "name")),
        Column("region", "地区", ("region", "省市")),
        Column("subregion", "下级区域", ("sub-region", "subregion", "区县", "园区")),
        *(Column(key, header, aliases) for key, (header, aliases) in QUALIFICATION_HEADERS.items()),
        Column("size", "规模", ("size", "企业规模")),
        Column(
            "contact_name", "联系人", ("contact", "contact person", "contact name"), _max(Enterprise, "contact_name")
        ),
        Column("contact_phone", "联系电话", ("phone", "contact phone"), _max(Enterprise, "contact_phone")),
        Column("contact_email", "联系邮箱", ("email", "contact email"), _max(Enterprise, "contact_email")),
    ]
    field_columns = {"subregion": "subregion", "region": "region", **{name: name for name in CONTACT_FIELDS}}

    def prepare(self, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
        self.regions = _region_lookup()
        # Keyed by (region id, name); looked up with the row's region id, None when the row has no region.
        self.subregions: dict[tuple[int | None, str], SubRegion] = {
            (sub.region_id, normalize_header(sub.name)): sub for sub in SubRegion.objects.all()
        }
        codes = [normalize_credit_code(cells.get("credit_code", "")) for _, cells in rows]
        self.existing = {
            e.credit_code: e
            for e in Enterprise.objects.filter(credit_code__in=codes).select_related("region", "subregion")
        }
        return rows

    def plan(self, cells: dict[str, str]) -> RowPlan:
        check = RowCheck()
        code = check(self.credit_code, cells)
        enterprise = self.existing.get(code) if code is not None else None
        wanted: dict[str, Any] = {}
        if "name" in cells:
            check.put(wanted, "name", self.text, cells, "name", required=True)
        if "region" in cells:
            region = check(lambda: _parse_region(self.text(cells, "region", required=True), self.regions, "region"))
            if region is not None:
                wanted["region_id"] = region.pk
        region_id = wanted.get("region_id", enterprise.region_id if enterprise else None)
        if "subregion" in cells and not check.failed("region"):
            check.put(wanted, "subregion_id", self._subregion, cells, region_id)
        for key in QUALIFICATIONS:
            if key in cells:
                check.put(wanted, key, _parse_flag, cells[key], key)
        if cells.get("size"):
            check.put(wanted, "size", _parse_choice, cells["size"], Enterprise.Size.choices, "size")
        hide_contacts = enterprise is not None and not permissions.can_view_enterprise_contacts(
            user=self.user, enterprise=enterprise
        )
        for key in CONTACT_FIELDS:
            if key not in cells or (hide_contacts and not cells[key]):
                continue  # contacts the uploader may not see were exported blank: blank means "as is"
            check.put(wanted, key, self._contact, cells, key)
        if code is not None and enterprise is None:
            for key in ("name", "region"):
                if key not in cells:
                    check.add(key, _("This column is required for a new row."))
        check.done()
        assert code is not None
        if enterprise is None:
            if not _may_write_region(self.user, region_id):
                raise RowError("region", _("You may import only enterprises of your own region."))
            return RowPlan(
                key=code, action="create", label=wanted["name"], write=lambda: self._save(None, code, wanted)
            )
        current = {key: getattr(enterprise, key) for key in wanted}
        changes = _diff(current, wanted)
        if not changes:
            return RowPlan(key=code, action="unchanged", label=enterprise.name)
        if not _may_write_region(self.user, enterprise.region_id) or not _may_write_region(self.user, region_id):
            raise RowError("region", _("You may import only enterprises of your own region."))
        shown = [
            (key.removesuffix("_id"), self._shown(key, before), self._shown(key, after))
            for key, before, after in changes
        ]
        return RowPlan(
            key=code,
            action="update",
            label=enterprise.name,
            changes=shown,
            write=lambda: self._save(enterprise, code, {key: after for key, _before, after in changes}),
        )

    def _subregion(self, cells: dict[str, str], region_id: int | None) -> int | None:
        name = self.text(cells, "subregion")
        if not name:
            return None
        sub = self.subregions.get((region_id, normalize_header(name)))
        if sub is None:
            raise RowError("subregion", _("Unknown sub-region “%(name)s” in this region.") % {"name": name})
        return sub.pk

    def _contact(self, cells: dict[str, str], key: str) -> str:
        value = self.text(cells, key)
        if key == "contact_email" and value:
            try:
                EmailValidator()(value)
            except ValidationError:
                raise RowError(key, _("Enter a valid email address.")) from None
        return value

    def _shown(self, key: str, value: Any) -> str:
        if value is None:
            return ""
        if key == "region_id":
            return str(Region.objects.get(pk=value).name)
        if key == "subregion_id":
            return str(SubRegion.objects.get(pk=value).name)
        if key == "size":
            return _zh(Enterprise.Size(value).label)
        return _show(value)

    def _save(self, enterprise: Enterprise | None, code: str, values: dict[str, Any]) -> None:
        """Through the enterprise services, the same writes the edit page and the API make."""
        data = EnterpriseInput(**values)
        if enterprise is None:
            enterprise = enterprise_create(user=self.user, reason=self.reason, credit_code=code, data=data)
        else:
            enterprise = enterprise_update(
                enterprise_id=enterprise.pk, user=self.user, reason=self.reason, expected_version=None, changes=data
            )
        self.existing[code] = enterprise

    def export_rows(self) -> list[list[Any]]:
        enterprises = Enterprise.objects.select_related("region", "subregion").order_by("credit_code")
        if self.chain is not None:
            enterprises = enterprises.on_chain(self.chain.pk)
        rows = []
        for enterprise in enterprises:
            contacts = permissions.can_view_enterprise_contacts(user=self.user, enterprise=enterprise)
            rows.append(
                [
                    enterprise.credit_code,
                    enterprise.name,
                    enterprise.region.code,
                    enterprise.subregion.name if enterprise.subregion else "",
                    *(_show(getattr(enterprise, key)) for key in QUALIFICATIONS),
                    _zh(Enterprise.Size(enterprise.size).label),
                    *((getattr(enterprise, key) if contacts else "") for key in CONTACT_FIELDS),
                ]
            )
        return rows


# --- placements ------------------------------------------------------------------------------------


class PlacementHandler(Handler):
    kind = ImportKind.PLACEMENTS
    columns = [
        Column(
            "credit_code",
            "统一社会信用代码",
            ("credit code", "unified social credit code", "信用代码"),
            40,  # not 18: spaces are dropped first, then the validator names a wrong length itself
            natural_key=True,
        ),
        Column("node", "节点编码", ("node", "node code", "编码"), 40, natural_key=True),
        Column("role", "角色", ("role",), natural_key=True),
        Column("evidence", "依据", ("evidence", "证明材料"), _max(Placement, "evidence")),
        Column("status", "状态", ("status",)),
    ]

    def prepare(self, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
        codes = [normalize_credit_code(cells.get("credit_code", "")) for _, cells in rows]
        self.enterprises = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
        self.existing = {
            (p.enterprise_id, p.node_id, p.role): p for p in Placement.objects.filter(enterprise__credit_code__in=codes)
        }
        return rows

    def plan(self, cells: dict[str, str]) -> RowPlan:
        check = RowCheck()
        code = check(self.credit_code, cells)
        enterprise = self.enterprises.get(code) if code is not None else None
        if code is not None and enterprise is None:
            # Only a well-formed code can be unknown: a malformed one was reported as such above.
            check.add("credit_code", _("No enterprise has the credit code %(code)s.") % {"code": code})
        node = check(lambda: self.chain_node(self.text(cells, "node", required=True), "node"))
        role: str | None = Placement.Role.PRODUCT
        if cells.get("role"):
            role = check(_parse_choice, cells["role"], Placement.Role.choices, "role")
        wanted: dict[str, Any] = {}
        if "evidence" in cells:
            check.put(wanted, "evidence", self.text, cells, "evidence")
        if cells.get("status"):
            check.put(wanted, "status", _parse_choice, cells["status"], Placement.Status.choices, "status")
        check.done()
        assert enterprise is not None and node is not None and role is not None
        key = f"{code} @ {node.code} ({role})"
        placement = self.existing.get((enterprise.pk, node.pk, role))
        current = {"evidence": placement.evidence, "status": placement.status} if placement else None
        if current is not None and not _diff(current, wanted):
            return RowPlan(key=key, action="unchanged", label=enterprise.name)
        if not _may_write_region(self.user, enterprise.region_id):
            raise RowError("credit_code", _("You may import only placements of your own region's enterprises."))
        if placement is None:
            return RowPlan(
                key=key,
                action="create",
                label=enterprise.name,
                write=lambda: self._save(None, enterprise, node, role, wanted),
            )
        changes = _diff(current, wanted)  # type: ignore[arg-type]
        shown = [
            (
                name,
                _zh(Placement.Status(before).label) if name == "status" else before,
                _zh(Placement.Status(after).label) if name == "status" else after,
            )
            for name, before, after in changes
        ]
        return RowPlan(
            key=key,
            action="update",
            label=enterprise.name,
            changes=shown,
            write=lambda: self._save(placement, enterprise, node, role, {n: after for n, _b, after in changes}),
        )

    def _save(
        self, placement: Placement | None, enterprise: Enterprise, node: Node, role: str, values: dict[str, Any]
    ) -> None:
        self.existing[(enterprise.pk, node.pk, role)] = placement_import(
            placement_id=placement.pk if placement is not None else None,
            enterprise=enterprise,
            node=node,
            role=role,
            values=values,
            user=self.user,
            reason=self.reason,
        )

    def export_rows(self) -> list[list[Any]]:
        placements = Placement.objects.select_related("enterprise", "node").order_by(
            "enterprise__credit_code", "node__code", "role"
        )
        if self.chain is not None:
            placements = placements.filter(node__chain=self.chain)
        return [
            [
                p.enterprise.credit_code,
                p.node.code,
                _zh(Placement.Role(p.role).label),
                p.evidence,
                _zh(Placement.Status(p.status).label),
            ]
            for p in placements
        ]


# --- bottlenecks -----------------------------------------------------------------------------------


class BottleneckHandler(Handler):
    kind = ImportKind.BOTTLENECKS
    columns = [
        Column("code", "卡点编码", ("code", "bottleneck code", "编码"), _max(Bottleneck, "code"), natural_key=True),
        Column("chain", "产业链", ("chain", "链")),
        Column("nodes", "节点编码", ("nodes", "node codes", "node")),
        Column("title", "标题", ("title", "名称"), _max(Bottleneck, "title")),
        Column("description", "描述", ("description", "说明"), _max(Bottleneck, "description")),
        Column("raised_by", "提出地区", ("raised by", "region", "地区")),
        Column("severity", "严重程度", ("severity",)),
        Column("mechanism", "攻关机制", ("mechanism", "机制")),
        Column("status", "状态", ("status",)),
        Column("target_date", "目标日期", ("target date", "deadline")),
    ]
    field_columns = {
        "node_ids": "nodes",
        "raised_by": "raised_by",
        **{k: k for k in ("title", "severity", "mechanism", "status")},
    }

    def prepare(self, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
        self.regions = _region_lookup()
        codes = [cells.get("code", "") for _, cells in rows]
        self.existing = {b.code: b for b in Bottleneck.objects.filter(code__in=codes).prefetch_related("nodes")}
        return rows

    def plan(self, cells: dict[str, str]) -> RowPlan:
        assert self.chain is not None
        check = RowCheck()
        code = check(self.text, cells, "code", required=True)
        bottleneck = self.existing.get(code) if code is not None else None
        if bottleneck is not None and bottleneck.chain_id != self.chain.pk:
            check.add("code", _("Bottleneck %(code)s belongs to another chain.") % {"code": code})
        if cells.get("chain"):
            check(self._same_chain, cells["chain"])
        wanted: dict[str, Any] = {}
        if "title" in cells:
            check.put(wanted, "title", self.text, cells, "title", required=True)
        if "description" in cells:
            check.put(wanted, "description", self.text, cells, "description")
        if "nodes" in cells:
            node_codes = [c for c in LIST_SPLIT.split(cells["nodes"].upper()) if c]
            nodes = [check(self.chain_node, c, "nodes") for c in node_codes]
            wanted["node_ids"] = sorted({node.pk for node in nodes if node is not None})
        raised_by = None
        if cells.get("raised_by"):
            raised_by = check(_parse_region, cells["raised_by"], self.regions, "raised_by")
        if cells.get("severity"):
            severity = check(_parse_choice, cells["severity"], Bottleneck.Severity.choices, "severity")
            if severity is not None:
                wanted["severity"] = int(severity)
        if cells.get("mechanism"):
            check.put(wanted, "mechanism", _parse_choice, cells["mechanism"], Mechanism.choices, "mechanism")
        elif "mechanism" in cells:
            wanted["mechanism"] = ""
        if cells.get("status"):
            check.put(wanted, "status", _parse_choice, cells["status"], BottleneckStatus.choices, "status")
        if "target_date" in cells:
            check.put(wanted, "target_date", _parse_date, cells["target_date"], "target_date")
        if not check.failed("status", "mechanism"):
            status = wanted.get("status", bottleneck.status if bottleneck else BottleneckStatus.COLLECTED)
            mechanism = wanted.get("mechanism", bottleneck.mechanism if bottleneck else "")
            if status not in (BottleneckStatus.COLLECTED, BottleneckStatus.PUBLISHED) and not mechanism:
                check.add("mechanism", _("Say how the bottleneck is attacked before it is taken."))
        if code is not None and bottleneck is None:
            if "title" not in cells:
                check.add("title", _("This column is required for a new row."))
            if not cells.get("raised_by"):
                check.add("raised_by", _("This column is required for a new row."))
        check.done()
        assert code is not None
        if bottleneck is None:
            assert raised_by is not None
            return RowPlan(
                key=code, action="create", label=wanted["title"], write=lambda: self._create(code, raised_by, wanted)
            )
        if raised_by is not None and raised_by.pk != bottleneck.raised_by_id:
            raise RowError("raised_by", _("The region that raised a bottleneck cannot be changed by import."))
        current = {
            "title": bottleneck.title,
            "description": bottleneck.description,
            "node_ids": sorted(node.pk for node in bottleneck.nodes.all()),
            "severity": bottleneck.severity,
            "mechanism": bottleneck.mechanism,
            "status": bottleneck.status,
            "target_date": bottleneck.target_date,
        }
        changes = _diff({key: current[key] for key in wanted}, wanted)
        if not changes:
            return RowPlan(key=code, action="unchanged", label=bottleneck.title)
        shown = [
            (self._column_of(key), self._shown(key, before), self._shown(key, after)) for key, before, after in changes
        ]
        return RowPlan(
            key=code,
            action="update",
            label=bottleneck.title,
            changes=shown,
            write=lambda: self._update(bottleneck, {key: after for key, _before, after in changes}),
        )

    def _same_chain(self, value: str) -> None:
        assert self.chain is not None
        names = (self.chain.code, self.chain.name, self.chain.slug, self.chain.name_en)
        words = {normalize_header(name) for name in names if name}
        if normalize_header(value) not in words:
            raise RowError("chain", _("This file imports into the chain %(chain)s only.") % {"chain": self.chain.name})

    @staticmethod
    def _column_of(key: str) -> str:
        return "nodes" if key == "node_ids" else key

    def _shown(self, key: str, value: Any) -> str:
        if key == "node_ids":
            return "、".join(Node.objects.filter(pk__in=value).order_by("code").values_list("code", flat=True))
        if key == "severity":
            return _zh(Bottleneck.Severity(value).label)
        if key == "mechanism":
            return _zh(Mechanism(value).label) if value else ""
        if key == "status":
            return _zh(BottleneckStatus(value).label)
        return _show(value)

    def _create(self, code: str, raised_by: Region, wanted: dict[str, Any]) -> None:
        assert self.chain is not None
        mapedit.bottleneck_create(
            chain_id=self.chain.pk, user=self.user, reason=self.reason, code=code, raised_by_id=raised_by.pk, **wanted
        )

    def _update(self, bottleneck: Bottleneck, changes: dict[str, Any]) -> None:
        mapedit.bottleneck_update(
            bottleneck_id=bottleneck.pk, user=self.user, reason=self.reason, expected_version=None, changes=changes
        )

    def export_rows(self) -> list[list[Any]]:
        assert self.chain is not None
        bottlenecks = (
            Bottleneck.objects.filter(chain=self.chain)
            .select_related("raised_by", "chain")
            .prefetch_related("nodes")
            .order_by("code")
        )
        return [
            [
                b.code,
                b.chain.code,
                "、".join(sorted(node.code for node in b.nodes.all())),
                b.title,
                b.description,
                b.raised_by.code,
                int(b.severity),
                _zh(Mechanism(b.mechanism).label) if b.mechanism else "",
                _zh(BottleneckStatus(b.status).label),
                b.target_date.isoformat() if b.target_date else "",
            ]
            for b in bottlenecks
        ]


HANDLERS: dict[str, type[Handler]] = {
    handler.kind: handler
    for handler in (NodeHandler, EdgeHandler, EnterpriseHandler, PlacementHandler, BottleneckHandler)
}


def handler_for(kind: str) -> type[Handler]:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise ValidationError({"kind": _("Unknown import kind.")}) from None


# --- running a file ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    preview: dict[str, Any]
    errors: list[dict[str, Any]]


def _error(row: int | None, column: str | None, message: str, handler: type[Handler] | None = None) -> dict[str, Any]:
    header = None
    if column is not None and handler is not None:
        header = next((c.header for c in handler.columns if c.key == column), column)
    return {"row": row, "column": header, "message": str(message)}


def _map_table(
    table: Table, handler: type[Handler]
) -> tuple[list[tuple[int, dict[str, str]]], list[dict[str, Any]], list[str]]:
    """Rows as {column key: text} by the header alias map; errors for missing key columns; unknown headers."""
    mapping = handler.header_map()
    positions: dict[str, int] = {}
    unknown: list[str] = []
    errors: list[dict[str, Any]] = []
    for index, header in enumerate(table.headers):
        key = mapping.get(normalize_header(header))
        if key is None:
            if header.strip():
                unknown.append(header.strip())
            continue
        if key in positions:
            errors.append(_error(1, key, _("This column appears twice."), handler))
        positions[key] = index
    for column in handler.columns:
        if column.natural_key and column.key not in positions:
            errors.append(
                _error(1, column.key, _("The file has no “%(header)s” column.") % {"header": column.header}, handler)
            )
    rows = [
        (
            number,
            {
                key: unescape_cell((cells[index] if index < len(cells) else "").strip())
                for key, index in positions.items()
            },
        )
        for number, cells in table.rows
    ]
    return rows, errors, unknown


def _validation_errors(exc: ValidationError, number: int, handler: type[Handler]) -> list[dict[str, Any]]:
    if not hasattr(exc, "error_dict"):
        return [_error(number, None, message) for message in exc.messages]
    out: list[dict[str, Any]] = []
    for name, messages in exc.message_dict.items():
        column = handler.field_columns.get(name, name if any(c.key == name for c in handler.columns) else None)
        out.extend(_error(number, column, message, handler) for message in messages)
    return out


def progress_key(job_id: int) -> str:
    return f"chainmap:import:{job_id}:progress"


def _run(job: ImportJob, *, commit: bool) -> Outcome:
    """Plan and write every row in a transaction kept only when ``commit`` and no row failed."""
    handler_class = handler_for(job.kind)
    try:
        table = read_table(bytes(job.content))
    except SpreadsheetError as exc:
        return Outcome(preview={}, errors=[_error(None, None, str(exc))])
    rows, errors, unknown = _map_table(table, handler_class)
    counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
    planned: list[dict[str, Any]] = []
    total = len(rows)
    if errors:
        return Outcome(
            preview={"counts": counts, "rows": [], "unknown_headers": unknown, "total": total}, errors=errors
        )
    handler = handler_class(user=job.uploader, chain=job.chain, reason=job.reason)
    seen: dict[str, int] = {}
    with transaction.atomic():
        ordered = handler.prepare(rows)
        for done, (number, cells) in enumerate(ordered, start=1):
            row_errors: list[dict[str, Any]] = []
            try:
                with transaction.atomic():
                    plan = handler.plan(cells)
                    if plan.key in seen:
                        raise RowError(None, _("The same key is already on row %(row)d.") % {"row": seen[plan.key]})
                    seen[plan.key] = number
                    if plan.write is not None:
                        plan.write()
            except RowErrors as exc:
                row_errors.extend(_error(number, e.column, e.message, handler_class) for e in exc.errors)
            except RowError as exc:
                row_errors.append(_error(number, exc.column, exc.message, handler_class))
            except ValidationError as exc:
                row_errors.extend(_validation_errors(exc, number, handler_class))
            except (PermissionDenied, ConflictError) as exc:
                row_errors.append(_error(number, None, str(exc) or _("You may not change this row.")))
            except DatabaseError:
                row_errors.append(
                    _error(number, None, _("The database refused this row (a value is too long or clashes)."))
                )
            if row_errors:
                errors.extend(row_errors)
                counts["error"] += 1
            else:
                counts[plan.action] += 1
                planned.append(
                    {
                        "row": number,
                        "key": plan.key,
                        "label": plan.label,
                        "action": plan.action,
                        "changes": [
                            {
                                "column": _error(None, c, "", handler_class)["column"],
                                "before": _show(b),
                                "after": _show(a),
                            }
                            for c, b, a in plan.changes
                        ],
                    }
                )
            if done % PROGRESS_EVERY == 0 or done == total:
                cache.set(progress_key(job.pk), done, timeout=3600)
        if errors or not commit:
            transaction.set_rollback(True)
    errors.sort(key=lambda error: error["row"] or 0)
    planned.sort(key=lambda item: item["row"])
    preview = {"counts": counts, "rows": planned, "unknown_headers": unknown, "total": total}
    return Outcome(preview=preview, errors=errors)


# --- jobs -------------------------------------------------------------------------------------------


def _async(job: ImportJob) -> bool:
    return job.progress_total > settings.CHAINMAP_IMPORTS["ASYNC_ROWS"]


def _enqueue(task_name: str, job_id: int) -> None:
    jobs.send_on_commit(f"chainmap.tasks_imports.{task_name}", job_id=job_id)


@transaction.atomic
def import_job_create(
    *, user: Actor, kind: str, chain_id: int | None, file_name: str, content: bytes, reason: str
) -> ImportJob:
    """Check the upload as a file, keep it, and validate it (now, or on a worker when it is large)."""
    handler_for(kind)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Give a reason for this import.")
    elif len(reason) > 500:
        errors["reason"] = _("Keep the reason under %(max)d characters.") % {"max": 500}
    if kind in CHAIN_KINDS and chain_id is None:
        errors["chain"] = _("Choose the chain to import into.")
    chain = None
    if chain_id is not None:
        chain = Chain.objects.filter(pk=chain_id).first()
        if chain is None:
            errors["chain"] = _("Unknown chain.")
    if errors:
        raise ValidationError(errors)
    if not permissions.can_import(user=user, kind=kind, chain_id=chain_id):
        raise PermissionDenied(_("You may not import this kind of data into this chain."))
    try:
        table = read_table(content)
    except SpreadsheetError as exc:
        raise ValidationError({"file": str(exc)}) from None
    job = ImportJob.objects.create(
        uploader=signed_in(user),
        kind=kind,
        chain=chain,
        file_name=(file_name or "upload")[:200],
        file_format=table.file_format,
        content=content,
        reason=reason,
        progress_total=len(table.rows),
    )
    if _async(job):
        _enqueue("import_validate", job.pk)
        return job
    return import_job_validate(job_id=job.pk)


@transaction.atomic
def import_job_validate(*, job_id: int) -> ImportJob:
    """The dry run: every row planned and tried, nothing kept. Safe to run twice (only a pending job runs)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(status=ImportStatus.VALIDATING)
    job = ImportJob.objects.select_related("uploader", "chain").get(pk=job_id)
    if not claimed:
        return job
    outcome = _run(job, commit=False)
    job.preview = outcome.preview
    job.errors = outcome.errors
    job.progress_done = job.progress_total
    file_error = any(error["row"] is None for error in outcome.errors)
    job.status = ImportStatus.FAILED if file_error else ImportStatus.PREVIEWED
    job.save(update_fields=["preview", "errors", "progress_done", "status", "updated_at"])
    return job


@transaction.atomic
def import_job_request_apply(*, job_id: int, user: Actor) -> ImportJob:
    """Ask for the apply of a previewed job without errors; small files are applied at once."""
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if not permissions.can_apply_import(user=user, job=job):
        raise PermissionDenied(_("Only the uploader may apply this import, with the rights to write its rows."))
    if job.status != ImportStatus.PREVIEWED or job.errors:
        raise ValidationError({"status": _("Only a checked import without errors can be applied.")})
    job.status = ImportStatus.APPLYING
    job.progress_done = 0
    job.save(update_fields=["status", "progress_done", "updated_at"])
    cache.set(progress_key(job.pk), 0, timeout=3600)
    if _async(job):
        _enqueue("import_apply", job.pk)
        return job
    return import_job_apply(job_id=job.pk)


@transaction.atomic
def import_job_apply(*, job_id: int) -> ImportJob:
    """Write every row, all or nothing, as the uploader with the job's reason.

    The job row stays locked for the whole write; a redelivered task finds it applied and does nothing.
    If a row fails now (the data changed since the preview), nothing is written and the job goes back
    to ``previewed`` with the new errors."""
    job = ImportJob.objects.select_for_update(of=("self",)).select_related("uploader", "chain").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return job
    outcome = _run(job, commit=True)
    job.preview = outcome.preview
    job.errors = outcome.errors
    job.progress_done = job.progress_total
    if outcome.errors:
        file_error = any(error["row"] is None for error in outcome.errors)
        job.status = ImportStatus.FAILED if file_error else ImportStatus.PREVIEWED
    else:
        job.status = ImportStatus.APPLIED
        job.applied_at = timezone.now()
    job.save(update_fields=["preview", "errors", "progress_done", "status", "applied_at", "updated_at"])
    return job


def import_progress(job: ImportJob) -> tuple[int, int]:
    """Rows done and total; a running job reports through the cache (its transaction is not visible yet)."""
    if job.running:
        done = cache.get(progress_key(job.pk))
        if done is not None:
            return min(int(done), job.progress_total), job.progress_total
    return job.progress_done, job.progress_total
