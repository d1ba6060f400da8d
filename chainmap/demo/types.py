"""The shapes of the demo data. Plain named tuples, so the data modules read like tables."""

from __future__ import annotations

from typing import NamedTuple


class NodeSpec(NamedTuple):
    """A chain node. ``levels`` is the assessment for BJ, TJ, HE: S strong, P present, W weak, E empty."""

    code: str
    parent: str | None
    name: str
    description: str
    key_technologies: str
    levels: str


class EdgeSpec(NamedTuple):
    """A supply edge: ``source`` supplies ``target``. kind: m material, c component, e equipment, s service."""

    source: str
    target: str
    kind: str


class BottleneckSpec(NamedTuple):
    """A bottleneck (卡点). mechanism: J 揭榜挂帅, S 赛马制, E enterprise R&D, P joint project."""

    title: str
    nodes: tuple[str, ...]
    raised_by: str
    severity: int
    mechanism: str
    description: str


class ChainSpec(NamedTuple):
    code: str
    slug: str
    name: str
    name_en: str
    description: str
    nodes: list[NodeSpec]
    edges: list[EdgeSpec]
    bottlenecks: list[BottleneckSpec]
    # Words that make plausible enterprise names for this chain (字号 and 行业).
    brand_words: tuple[str, ...]
    industry_words: tuple[str, ...]
    certifications: tuple[str, ...]
    capacity_unit: str


class SubRegionSpec(NamedTuple):
    """A sub-region, with the administrative division code used in credit codes and the name prefix of its firms."""

    name: str
    kind: str
    division_code: str
    name_prefixes: tuple[str, ...]
    area_code: str
    weight: int
