"""Deterministic sample enterprises: names, valid credit codes, placements and capability profiles.

Everything is drawn from a seeded ``random.Random``, so the same seed gives the same firms.
The texts reuse node names, key technologies and bottleneck titles on purpose: matching
needs something real to find. ``load_demo`` makes a few hundred; ``generate_synthetic``
uses the same generator for hundreds of thousands.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from chainmap.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char
from chainmap.demo.chains import CHAINS
from chainmap.demo.regions import REGION_CODES, SUBREGIONS
from chainmap.demo.types import ChainSpec, SubRegionSpec

DEMO_SEED = 20260101
DEMO_PER_CHAIN_AND_REGION = 20
DEMO_ENTERPRISE_COUNT = DEMO_PER_CHAIN_AND_REGION * len(CHAINS) * len(REGION_CODES)

LEVEL_NAMES = {"S": "strong", "P": "present", "W": "weak", "E": "empty"}
# How likely a region's firm sits on a node given the region's level there; never on an empty node.
LEVEL_WEIGHTS = {"strong": 6, "present": 3, "weak": 1, "empty": 0}

_COMMON_BRANDS = (
    "中科",
    "华创",
    "瑞丰",
    "博远",
    "星河",
    "天工",
    "恒信",
    "融通",
    "海泰",
    "辰光",
    "清源",
    "鼎新",
    "和利",
    "金桥",
    "翔宇",
    "同创",
    "汇智",
    "睿达",
    "凯盛",
    "宏远",
    "众合",
    "新锐",
    "领航",
    "启明",
    "鸿达",
    "国瑞",
    "安泰",
    "博睿",
    "泰和",
    "联创",
    "恒通",
    "中研",
    "航宇",
    "立德",
    "华泽",
    "云帆",
    "长风",
    "北辰",
    "英诺",
    "京研",
)
_BRAND_FIRST = "中华东北新恒宏鼎博瑞泰安康德昌嘉宇航海辰星科智创精诚信达源远锐睿拓成丰峰明"
_BRAND_SECOND = "源创达通泰科瑞联盛辉航远锐信诚睿拓宇新成丰德峰光川禾元"
_FORMS = (("有限公司", 70), ("股份有限公司", 22), ("集团有限公司", 8))
_SIZES = (("micro", 12), ("small", 43), ("medium", 30), ("large", 15))
_ROLES = {
    "BJ": (("technology", 60), ("product", 40)),
    "TJ": (("product", 60), ("technology", 25), ("capacity", 15)),
    "HE": (("capacity", 50), ("product", 50)),
}
_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢"
    "蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志鹏辉斌宇浩凯晨欣怡佳琪涵梓睿博文轩然思雨天泽瑶婷嘉俊"
_PRODUCT_SUFFIXES = ("系列产品", "及相关产品", "及配套服务", "产品与解决方案")


class NodeInfo(NamedTuple):
    """What the generator needs to know about a node (from the demo data or from the database)."""

    code: str
    name: str
    technologies: tuple[str, ...]
    levels: dict[str, str]  # region code → Level value
    bottlenecks: tuple[str, ...]  # titles of the bottlenecks tied to the node
    suppliers: tuple[str, ...]  # codes of the nodes that supply it


class ChainInfo(NamedTuple):
    code: str
    name: str
    nodes: tuple[NodeInfo, ...]
    brand_words: tuple[str, ...]
    industry_words: tuple[str, ...]
    certifications: tuple[str, ...]
    capacity_unit: str


@dataclass
class PlacementDraft:
    node: str
    role: str
    status: str
    evidence: str


@dataclass
class OfferDraft:
    node: str
    title: str
    description: str
    trl: int


@dataclass
class NeedDraft:
    node: str
    title: str
    description: str
    is_bottleneck: bool


@dataclass
class ProfileDraft:
    products: str
    core_technologies: str
    capacity: str
    trl: int
    certifications: str
    offers: list[OfferDraft] = field(default_factory=list)
    needs: list[NeedDraft] = field(default_factory=list)


@dataclass
class EnterpriseDraft:
    index: int
    credit_code: str
    name: str
    region: str
    subregion: str
    chain: str
    size: str
    qualifications: dict[str, bool]
    founded_year: int
    description: str
    website: str
    contact_name: str
    contact_phone: str
    contact_email: str
    placements: list[PlacementDraft]
    profiles: list[ProfileDraft]


def split_technologies(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in re.split(r"[\n、，,;；]+", text) if item.strip())


# --- credit codes -----------------------------------------------------------------------


def encode31(number: int, width: int) -> str:
    """``number`` in base 31 over the credit-code alphabet, left-padded to ``width`` characters."""
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 31)
        chars.append(CREDIT_CODE_ALPHABET[digit])
    if number:
        raise ValueError("number does not fit in width")
    return "".join(reversed(chars))


def organization_check_char(body: str) -> str:
    """Check character of an 8-character organization code (GB 11714): positions 9–17 of a credit code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(char) if char.isdigit() else ord(char) - 55) * weight for char, weight in zip(body, weights, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_credit_code(*, division_code: str, organization_body: str) -> str:
    """A valid 18-character code: 91 (enterprise), the division code, the organization code, the check character."""
    first17 = "91" + division_code + organization_body + organization_check_char(organization_body)
    return first17 + credit_code_check_char(first17)


def demo_organization_body(index: int) -> str:
    # "MA0" + a scrambled serial: 7919 is coprime to 31, so serials never repeat below 31**5.
    return "MA0" + encode31((index * 7919 + 12345) % 31**5, 5)


def synthetic_organization_body(serial: int) -> str:
    # Six characters that never start with 0, so never equal to a demo body ("MA0" + five); the
    # multiplier is coprime to the range (31**5 * 30), so distinct serials give distinct bodies.
    return "MA" + encode31(31**5 + serial * 1_000_003 % (31**6 - 31**5), 6)


# --- the chains as the generator sees them ----------------------------------------------


def chain_info_from_spec(spec: ChainSpec) -> ChainInfo:
    """The generator's view of a demo chain, straight from the data modules (no database)."""
    titles: dict[str, list[str]] = {}
    for bottleneck in spec.bottlenecks:
        for code in bottleneck.nodes:
            titles.setdefault(code, []).append(bottleneck.title)
    suppliers: dict[str, list[str]] = {}
    for edge in spec.edges:
        suppliers.setdefault(edge.target, []).append(edge.source)
    nodes = tuple(
        NodeInfo(
            code=node.code,
            name=node.name,
            technologies=split_technologies(node.key_technologies),
            levels={region: LEVEL_NAMES[letter] for region, letter in zip(REGION_CODES, node.levels, strict=True)},
            bottlenecks=tuple(titles.get(node.code, ())),
            suppliers=tuple(suppliers.get(node.code, ())),
        )
        for node in spec.nodes
    )
    return ChainInfo(
        code=spec.code,
        name=spec.name,
        nodes=nodes,
        brand_words=spec.brand_words,
        industry_words=spec.industry_words,
        certifications=spec.certifications,
        capacity_unit=spec.capacity_unit,
    )


def demo_chain_infos() -> list[ChainInfo]:
    return [chain_info_from_spec(spec) for spec in CHAINS]


# --- the generator ----------------------------------------------------------------------


def _between(rng: random.Random, low: int, high: int) -> int:
    """Like ``rng.randint`` (inclusive), several times faster: this runs millions of times for synthetic data."""
    return low + int(rng.random() * (high - low + 1))


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    roll = rng.random() * sum(weight for _, weight in pairs)
    for item, weight in pairs:
        roll -= weight
        if roll < 0:
            return item
    return pairs[-1][0]


class EnterpriseGenerator:
    """Draws enterprises for given chains; one instance per run so names stay distinct."""

    def __init__(self, *, chains: list[ChainInfo], seed: int) -> None:
        self.rng = random.Random(seed)
        self.chains = {chain.code: chain for chain in chains}
        self.used_names: set[str] = set()
        # Candidate nodes and weights per (chain, region), computed once.
        self._candidates: dict[tuple[str, str], tuple[list[NodeInfo], list[int]]] = {}
        for chain in chains:
            for region in REGION_CODES:
                nodes = [node for node in chain.nodes if LEVEL_WEIGHTS.get(node.levels.get(region, "empty"), 0) > 0]
                weights = [LEVEL_WEIGHTS[node.levels[region]] for node in nodes]
                if not nodes:
                    # A region judged empty on the whole chain still gets firms somewhere (edited maps may do this).
                    nodes, weights = list(chain.nodes), [1] * len(chain.nodes)
                self._candidates[(chain.code, region)] = (nodes, weights)
        self._by_code = {node.code: node for chain in chains for node in chain.nodes}

    def draft(
        self,
        *,
        index: int,
        chain_code: str,
        region: str,
        organization_body: str,
        profile_count: int = 1,
        need_probability: float = 1.0,
        max_offers: int = 2,
    ) -> EnterpriseDraft:
        rng = self.rng
        chain = self.chains[chain_code]
        subregion = self._subregion(region)
        size = _weighted(rng, _SIZES)
        name = self._name(chain, subregion, size)
        placed = self._place(chain, region)
        techs = [tech for node in placed for tech in node.technologies]
        low, high = {"large": (1985, 2012), "medium": (1995, 2018), "small": (2005, 2022), "micro": (2015, 2024)}[size]
        founded = _between(rng, low, high)
        region_name = {"BJ": "北京", "TJ": "天津", "HE": "河北"}[region]
        description = (
            f"{name}成立于{founded}年，位于{region_name}{subregion.name}，聚焦{chain.name}产业链"
            f"{'、'.join(node.name for node in placed)}环节，核心技术包括{'、'.join(techs[:4])}。"
        )
        placements = [self._placement(node, region, founded) for node in placed]
        profiles = [
            self._profile(chain, region, placed, size, need_probability=need_probability, max_offers=max_offers)
            for _ in range(profile_count)
        ]
        return EnterpriseDraft(
            index=index,
            credit_code=make_credit_code(division_code=subregion.division_code, organization_body=organization_body),
            name=name,
            region=region,
            subregion=subregion.name,
            chain=chain.code,
            size=size,
            qualifications=self._qualifications(size),
            founded_year=founded,
            description=description,
            # Derived from the organization code, so unique whenever the credit codes are.
            website=f"https://{organization_body.lower()}.example.cn",
            contact_name=self._person(),
            contact_phone=f"{subregion.area_code}-{_between(rng, 5, 8)}{_between(rng, 0, 9999999):07d}",
            contact_email=f"{organization_body.lower()}@example.cn",
            placements=placements,
            profiles=profiles,
        )

    # -- parts --

    def _subregion(self, region: str) -> SubRegionSpec:
        options = SUBREGIONS[region]
        return self.rng.choices(options, weights=[option.weight for option in options])[0]

    def _brand(self, chain: ChainInfo) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(_COMMON_BRANDS)
        if roll < 0.55:
            return rng.choice(chain.brand_words)
        return rng.choice(_BRAND_FIRST) + rng.choice(_BRAND_SECOND)

    def _name(self, chain: ChainInfo, subregion: SubRegionSpec, size: str) -> str:
        rng = self.rng
        name = ""
        for _ in range(8):
            prefix = rng.choice(subregion.name_prefixes)
            form = _weighted(rng, _FORMS) if size == "large" else _weighted(rng, _FORMS[:2])
            if rng.random() < 0.3:
                # 北京中科氢源科技有限公司: common brand + chain brand + a generic word.
                middle = rng.choice(_COMMON_BRANDS) + rng.choice(chain.brand_words) + rng.choice(("科技", "技术"))
            else:
                middle = self._brand(chain) + rng.choice(chain.industry_words)
            name = prefix + middle + form
            if name not in self.used_names:
                break
        # After a few tries a repeated name is accepted: names are not unique in the register either.
        self.used_names.add(name)
        return name

    def _person(self) -> str:
        rng = self.rng
        given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(_SURNAMES) + given

    def _qualifications(self, size: str) -> dict[str, bool]:
        rng = self.rng
        high_tech = rng.random() < {"micro": 0.35, "small": 0.6, "medium": 0.75, "large": 0.8}[size]
        tech_sme = rng.random() < {"micro": 0.65, "small": 0.6, "medium": 0.3, "large": 0.0}[size]
        specialized = rng.random() < {"micro": 0.08, "small": 0.3, "medium": 0.4, "large": 0.15}[size]
        little_giant = specialized and rng.random() < 0.3
        champion = rng.random() < {"micro": 0.0, "small": 0.0, "medium": 0.03, "large": 0.15}[size]
        listed = rng.random() < {"micro": 0.0, "small": 0.01, "medium": 0.08, "large": 0.45}[size]
        return {
            "is_high_tech": high_tech,
            "is_tech_sme": tech_sme,
            "is_specialized": specialized,
            "is_little_giant": little_giant,
            "is_single_champion": champion,
            "is_listed": listed,
        }

    def _place(self, chain: ChainInfo, region: str) -> list[NodeInfo]:
        rng = self.rng
        nodes, weights = self._candidates[(chain.code, region)]
        count = min(rng.choices((1, 2, 3), weights=(40, 40, 20))[0], len(nodes))
        chosen: list[NodeInfo] = []
        while len(chosen) < count:
            node = rng.choices(nodes, weights=weights)[0]
            if node not in chosen:
                chosen.append(node)
        return chosen

    def _placement(self, node: NodeInfo, region: str, founded: int) -> PlacementDraft:
        rng = self.rng
        role = _weighted(rng, _ROLES[region])
        tech = rng.choice(node.technologies) if node.technologies else node.name
        if role == "technology":
            evidence = f"拥有{tech}相关发明专利{_between(rng, 3, 40)}项"
        elif role == "product":
            evidence = f"{node.name}产品自{max(founded, 2010) + _between(rng, 0, 5)}年起批量供货"
        else:
            evidence = f"具备{node.name}规模化生产能力，{tech}产线{_between(rng, 1, 6)}条"
        status = "proposed" if rng.random() < 0.05 else "confirmed"
        return PlacementDraft(node=node.code, role=role, status=status, evidence=evidence)

    def _profile(
        self,
        chain: ChainInfo,
        region: str,
        placed: list[NodeInfo],
        size: str,
        *,
        need_probability: float,
        max_offers: int,
    ) -> ProfileDraft:
        rng = self.rng
        techs = list(dict.fromkeys(tech for node in placed for tech in node.technologies))
        core = rng.sample(techs, min(len(techs), _between(rng, 2, 4))) if techs else [placed[0].name]
        scale = {"micro": 1, "small": 3, "medium": 10, "large": 40}[size]
        unit = chain.capacity_unit
        if region == "BJ":
            capacity = (
                f"研发团队{_between(rng, 20, 60) * scale}人，中试线{_between(rng, 1, 2)}条，"
                f"年交付样机及小批量产品{_between(rng, 5, 50) * scale}{unit}"
            )
            trl = _between(rng, 3, 6)
        elif region == "TJ":
            capacity = f"中试及量产线{_between(rng, 1, 4)}条，年产能{_between(rng, 50, 500) * scale}{unit}"
            trl = _between(rng, 5, 8)
        else:
            area = {"micro": 0.2, "small": 0.5, "medium": 2.0, "large": 8.0}[size] * (0.5 + 1.5 * rng.random())
            capacity = f"生产基地{area:.1f}万平方米，年产能{_between(rng, 200, 2000) * scale}{unit}"
            trl = _between(rng, 6, 9)
        certifications = "、".join(rng.sample(chain.certifications, _between(rng, 1, 3)))
        profile = ProfileDraft(
            products="、".join(node.name for node in placed) + rng.choice(_PRODUCT_SUFFIXES),
            core_technologies="、".join(core),
            capacity=capacity,
            trl=trl,
            certifications=certifications,
        )
        offer_count = min(len(placed), _between(rng, 1, max_offers))
        for node in placed[:offer_count]:
            profile.offers.append(self._offer(node, region, trl))
        if rng.random() < need_probability:
            profile.needs.append(self._need(chain, placed))
        return profile

    def _offer(self, node: NodeInfo, region: str, trl: int) -> OfferDraft:
        rng = self.rng
        techs = node.technologies or (node.name,)
        tech = rng.choice(techs)
        title = {
            "BJ": f"{node.name}{tech}技术成果转化",
            "TJ": f"{node.name}中试验证与小批量供货",
            "HE": f"{node.name}规模化供货与产能合作",
        }[region]
        description = (
            f"具备{'、'.join(techs[:3])}等能力，可提供{node.name}相关产品、技术许可与联合开发服务，技术成熟度{trl}级。"
        )
        return OfferDraft(node=node.code, title=title, description=description, trl=trl)

    def _need(self, chain: ChainInfo, placed: list[NodeInfo]) -> NeedDraft:
        rng = self.rng
        supplier_codes = [code for node in placed for code in node.suppliers]
        with_bottlenecks = [self._by_code[code] for code in supplier_codes if self._by_code[code].bottlenecks]
        if not with_bottlenecks:
            with_bottlenecks = [node for node in chain.nodes if node.bottlenecks]
        if with_bottlenecks and rng.random() < 0.7:
            node = rng.choice(with_bottlenecks)
            bottleneck = rng.choice(node.bottlenecks)
            techs = node.technologies or (node.name,)
            return NeedDraft(
                node=node.code,
                title=f"寻求{bottleneck}技术合作",
                description=(
                    f"我单位{placed[0].name}研发生产中急需{node.name}环节的{'、'.join(techs[:2])}技术支撑，"
                    f"希望与京津冀高校院所和上下游企业联合攻关“{bottleneck}”。"
                ),
                is_bottleneck=True,
            )
        pool = [self._by_code[code] for code in supplier_codes] or list(placed)
        node = rng.choice(pool)
        techs = node.technologies or (node.name,)
        tech = rng.choice(techs)
        return NeedDraft(
            node=node.code,
            title=f"{node.name}{tech}技术需求",
            description=f"需要{node.name}方面{tech}的技术合作或稳定供货，用于{placed[0].name}产品升级。",
            is_bottleneck=False,
        )


def demo_enterprise_drafts() -> list[EnterpriseDraft]:
    """The demo's sample enterprises: 20 per chain and region, always the same."""
    generator = EnterpriseGenerator(chains=demo_chain_infos(), seed=DEMO_SEED)
    drafts = []
    for index in range(DEMO_ENTERPRISE_COUNT):
        chain = CHAINS[index % len(CHAINS)]
        region = REGION_CODES[(index // len(CHAINS)) % len(REGION_CODES)]
        drafts.append(
            generator.draft(
                index=index, chain_code=chain.code, region=region, organization_body=demo_organization_body(index)
            )
        )
    return drafts


__all__ = [
    "DEMO_ENTERPRISE_COUNT",
    "ChainInfo",
    "EnterpriseDraft",
    "EnterpriseGenerator",
    "NodeInfo",
    "demo_enterprise_drafts",
    "make_credit_code",
]
