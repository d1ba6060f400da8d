"""Plain data a diagram is drawn from: frozen dataclasses, no ORM, no Django.

The selectors (``chainmap.diagrams.selectors``) load them in a constant number of queries;
the DOT builder (``chainmap.diagrams.services.dot``) turns them into DOT text; the benchmark
builds them in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

# Stored values of chainmap.models.Level / Segment / Edge.Kind, repeated here so the
# builder imports no models (and stays testable without a database).
LEVELS: tuple[str, ...] = ("strong", "present", "weak", "empty")
SEGMENTS: tuple[str, ...] = ("up", "mid", "down")
EDGE_KINDS: tuple[str, ...] = ("material", "component", "equipment", "service")


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ChainInfo:
    pk: int
    code: str
    slug: str
    name: str
    leader: RegionInfo | None = None


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """One node as drawn: its own fields, per-region levels and confirmed enterprise counts."""

    pk: int
    chain_pk: int
    code: str
    name: str
    segment: str
    parent_pk: int | None = None
    position: int = 0
    description: str = ""
    key_technologies: str = ""
    levels: Mapping[str, str] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    open_bottlenecks: int = 0
    url: str = ""

    def level(self, region_code: str) -> str:
        level = self.levels.get(region_code, "empty")
        return level if level in LEVELS else "empty"

    def count(self, region_code: str) -> int:
        return int(self.counts.get(region_code, 0))

    def is_empty(self, region_codes: tuple[str, ...]) -> bool:
        """Every region empty (空白) at this node: drawn dashed, a 补链 target."""
        return all(self.level(code) == "empty" for code in region_codes)


@dataclass(frozen=True, slots=True)
class EdgeInfo:
    pk: int
    chain_pk: int
    source_pk: int
    target_pk: int
    kind: str = "component"
    note: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return (self.source_pk, self.target_pk)


@dataclass(frozen=True, slots=True)
class DiagramSnapshot:
    """Everything one diagram shows: a chain, or a cluster spanning several chains."""

    subject: str  # "chain" or "cluster"
    pk: int
    slug: str
    name: str
    as_of: dt.date
    regions: tuple[RegionInfo, ...]
    chains: tuple[ChainInfo, ...]
    nodes: tuple[NodeInfo, ...]
    edges: tuple[EdgeInfo, ...]
    leader: RegionInfo | None = None

    @property
    def region_codes(self) -> tuple[str, ...]:
        return tuple(region.code for region in self.regions)


# How a node or edge differs between two dates.
ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
SAME = "same"


@dataclass(frozen=True, slots=True)
class DiffMarks:
    """The status of each node (by pk) and edge (by source/target pair) between two snapshots,
    and short notes on what changed at a node."""

    nodes: Mapping[int, str]
    edges: Mapping[tuple[int, int], str]
    notes: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    old_as_of: dt.date | None = None
    new_as_of: dt.date | None = None

    def counts(self) -> dict[str, int]:
        result = {ADDED: 0, REMOVED: 0, CHANGED: 0}
        for status in list(self.nodes.values()) + list(self.edges.values()):
            if status in result:
                result[status] += 1
        return result
