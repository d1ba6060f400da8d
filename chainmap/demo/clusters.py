"""The five advanced-manufacturing clusters (五群), each linked to the chains it draws on."""

from __future__ import annotations

from typing import NamedTuple


class ClusterSpec(NamedTuple):
    code: str
    slug: str
    name: str
    name_en: str
    description: str
    tier: str
    chains: tuple[str, ...]


CLUSTERS: list[ClusterSpec] = [
    ClusterSpec(
        "IC",
        "integrated-circuits",
        "集成电路",
        "Integrated circuits",
        "北京芯片设计与装备、天津封装测试与材料、河北半导体衬底与配套协同发展，支撑车规级芯片、智算芯片与工业芯片。",
        "重点培育",
        ("NET", "NEV", "INS"),
    ),
    ClusterSpec(
        "XC",
        "xinchuang",
        "新一代信息技术应用创新",
        "IT application innovation (Xinchuang)",
        "以CPU、操作系统、数据库、中间件与工业软件为核心的信创集群，天津信创产业基础突出，北京软件研发集聚，河北提供政务与行业应用场景。",
        "重点培育",
        ("NET",),
    ),
    ClusterSpec(
        "BIOC",
        "biomedicine-cluster",
        "生物医药",
        "Biomedicine",
        "京津冀生命健康集群：北京创新药与医疗器械研发，天津CXO与现代中药，河北原料药与制剂规模制造。",
        "国家级",
        ("BIO", "INS", "ROB"),
    ),
    ClusterSpec(
        "PWR",
        "power-equipment",
        "电力装备",
        "Power equipment",
        "输变电、新能源发电、储能与氢能装备集群，河北保定电力装备、张家口可再生能源与天津、北京研发制造协同。",
        "国家级",
        ("H2", "NEV"),
    ),
    ClusterSpec(
        "SAFE",
        "safety-emergency",
        "安全应急装备",
        "Safety and emergency equipment",
        "应急救援、监测预警与特种防护装备集群，覆盖特种机器人、网络安全与检测仪器。",
        "重点培育",
        ("ROB", "NET", "INS"),
    ),
]
