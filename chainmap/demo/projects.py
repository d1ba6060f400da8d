# ruff: noqa: E501
"""Joint R&D project batches (区域联合攻关项目) and challenges (揭榜挂帅 / 赛马制) on the demo bottlenecks."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class BatchSpec(NamedTuple):
    number: int
    name: str
    launched_on: date
    description: str


class ProjectSpec(NamedTuple):
    """A joint project. The lead region's unit leads; ``partners`` are the other regions taking part."""

    code: str
    batch: int
    title: str
    chain: str
    bottlenecks: tuple[str, ...]
    lead_region: str
    partners: tuple[str, ...]
    budget: int  # 万元
    starts_on: date
    ends_on: date
    status: str
    accepted_on: date | None
    description: str


class ChallengeSpec(NamedTuple):
    code: str
    bottleneck: str
    mechanism: str  # jiebang / saima
    status: str
    budget: int  # 万元
    max_funded_teams: int
    published_on: date
    deadline: date
    phases: tuple[tuple[str, date], ...]


# The day the demo's progress figures describe: milestones due before it are done.
PROGRESS_AS_OF = date(2026, 11, 1)

# fmt: off
BATCHES = [
    BatchSpec(1, "第一批", date(2025, 3, 28), "首批京津冀区域联合攻关项目，聚焦燃料电池材料、医学影像、工业软件、数控系统与车规芯片等卡点。"),
    BatchSpec(2, "第二批", date(2025, 12, 18), "第二批15个区域联合攻关项目，包括超充固态电池、高性能系统级智算芯片等方向。"),
]

# One research unit per chain and region: a lead when the project is led from Beijing's research side.
INSTITUTES: dict[str, dict[str, str]] = {
    "H2": {"BJ": "北京氢能与燃料电池技术研究院", "TJ": "天津滨海氢能中试验证中心", "HE": "张家口可再生能源制氢研究院"},
    "BIO": {"BJ": "北京生物医药协同创新研究院", "TJ": "天津合成生物制造中试基地", "HE": "石家庄药物制剂工程技术中心"},
    "NET": {"BJ": "北京工业软件与信息安全研究院", "TJ": "天津信创适配验证中心", "HE": "雄安数字城市安全实验室"},
    "INS": {"BJ": "北京精密测控与科学仪器研究院", "TJ": "天津高端数控装备中试平台", "HE": "邢台精密轴承工程技术中心"},
    "NEV": {"BJ": "北京智能网联汽车创新研究院", "TJ": "天津动力电池中试验证中心", "HE": "保定新能源汽车零部件工程中心"},
    "ROB": {"BJ": "北京具身智能机器人研究院", "TJ": "天津机器人中试验证中心", "HE": "唐山特种机器人工程技术中心"},
}

_B1_START = date(2025, 4, 1)
_B2_START = date(2026, 1, 1)

PROJECTS = [
    # 第一批
    ProjectSpec("JP1-01", 1, "车用燃料电池关键材料与膜电极国产化", "H2", ("KD-H2-001", "KD-H2-005"), "BJ", ("TJ", "HE"), 3200,
                _B1_START, date(2027, 3, 31), "mid_term", None,
                "突破增强型质子交换膜与膜电极卷对卷连续化制备，北京研发材料配方，天津建设中试线，河北开展重卡装车验证。"),
    ProjectSpec("JP1-02", 1, "70MPa车载IV型储氢瓶及组合瓶阀", "H2", ("KD-H2-009",), "HE", ("BJ", "TJ"), 2600,
                _B1_START, date(2026, 10, 31), "completed", None,
                "研制70MPa IV型储氢瓶塑料内胆与组合瓶阀，完成型式试验与示范车辆装车。"),
    ProjectSpec("JP1-03", 1, "生物药关键原材料国产化替代", "BIO", ("KD-BIO-001",), "TJ", ("BJ",), 1800,
                _B1_START, date(2026, 8, 31), "accepted", date(2026, 10, 20),
                "开发化学成分限定培养基并在抗体药物商业化生产中完成替代验证。"),
    ProjectSpec("JP1-04", 1, "高端医学影像核心部件攻关", "BIO", ("KD-BIO-007", "KD-BIO-008"), "BJ", ("TJ", "HE"), 4500,
                _B1_START, date(2027, 6, 30), "in_progress", None,
                "攻关液态金属轴承CT球管与光子计数探测器，形成整机集成验证能力。"),
    ProjectSpec("JP1-05", 1, "工业实时操作系统与三维几何建模内核", "NET", ("KD-NET-004", "KD-NET-007"), "BJ", ("TJ",), 3000,
                _B1_START, date(2027, 3, 31), "mid_term", None,
                "研发具备功能安全认证能力的工业实时操作系统内核和自主三维几何建模内核。"),
    ProjectSpec("JP1-06", 1, "五轴联动高档数控系统与绝对式光栅尺", "INS", ("KD-INS-001", "KD-INS-006"), "BJ", ("TJ", "HE"), 3800,
                _B1_START, date(2027, 3, 31), "mid_term", None,
                "研制五轴联动高档数控系统与纳米级绝对式光栅尺，在天津、河北机床企业开展批量配套验证。"),
    ProjectSpec("JP1-07", 1, "高速精密主轴轴承", "INS", ("KD-INS-007",), "HE", ("BJ",), 1500,
                _B1_START, date(2026, 9, 30), "completed", None,
                "提升P4级主轴轴承与氮化硅陶瓷球寿命和一致性，完成电主轴配套试验。"),
    ProjectSpec("JP1-08", 1, "车规级MCU芯片研发与上车验证", "NEV", ("KD-NEV-006",), "BJ", ("TJ", "HE"), 4200,
                _B1_START, date(2027, 6, 30), "in_progress", None,
                "研发满足ASIL-D功能安全等级的车规级MCU，完成AEC-Q100认证与整车上车验证。"),
    ProjectSpec("JP1-09", 1, "机器人精密减速器与一体化关节", "ROB", ("KD-ROB-001", "KD-ROB-003"), "TJ", ("BJ", "HE"), 2400,
                _B1_START, date(2027, 3, 31), "mid_term", None,
                "攻关高精度谐波减速器寿命与高功率密度一体化关节，面向协作与人形机器人批量配套。"),
    ProjectSpec("JP1-10", 1, "车路协同路侧感知与云控平台", "NEV", ("KD-NEV-020",), "TJ", ("BJ", "HE"), 2000,
                _B1_START, date(2027, 3, 31), "in_progress", None,
                "依托车联网先导区建设路侧感知单元与云控平台，在京津冀跨域道路开展互联互通测试。"),
    # 第二批
    ProjectSpec("JP2-01", 2, "超充固态电池", "NEV", ("KD-NEV-001", "KD-NEV-002"), "BJ", ("TJ", "HE"), 6000,
                _B2_START, date(2028, 12, 31), "in_progress", None,
                "研发兼顾高能量密度与超快充的固态电池，北京攻关硫化物电解质与界面，天津建设中试线，河北开展整车验证。"),
    ProjectSpec("JP2-02", 2, "高性能系统级智算芯片", "NET", ("KD-NET-001",), "BJ", ("TJ", "HE"), 8000,
                _B2_START, date(2028, 12, 31), "in_progress", None,
                "研制面向工业大模型的高性能系统级智算芯片及软件栈，在天津信创与河北工业场景部署验证。"),
    ProjectSpec("JP2-03", 2, "兆瓦级PEM电解水制氢装备", "H2", ("KD-H2-012",), "TJ", ("BJ", "HE"), 3500,
                _B2_START, date(2027, 12, 31), "in_progress", None,
                "研制兆瓦级PEM电解槽，降低铱载量，在张家口风光制氢项目示范运行。"),
    ProjectSpec("JP2-04", 2, "大规模氢液化与液氢储运装备", "H2", ("KD-H2-014",), "BJ", ("TJ", "HE"), 4000,
                _B2_START, date(2028, 6, 30), "in_progress", None,
                "研制民用大规模氢液化装置、正仲氢转化催化剂与液氢储罐。"),
    ProjectSpec("JP2-05", 2, "氢基竖炉直接还原冶金示范", "H2", ("KD-H2-019",), "HE", ("BJ", "TJ"), 5000,
                _B2_START, date(2028, 12, 31), "in_progress", None,
                "在河北钢铁企业建设氢基竖炉直接还原示范线，形成工艺包与能耗评价方法。"),
    ProjectSpec("JP2-06", 2, "mRNA疫苗递送系统与规模化制备", "BIO", ("KD-BIO-012",), "TJ", ("BJ",), 3000,
                _B2_START, date(2027, 12, 31), "in_progress", None,
                "开发自主可电离脂质与LNP规模化制备工艺。"),
    ProjectSpec("JP2-07", 2, "合成生物制造中试放大平台", "BIO", ("KD-BIO-019",), "TJ", ("BJ", "HE"), 2800,
                _B2_START, date(2027, 12, 31), "in_progress", None,
                "建设底盘细胞设计—发酵放大—分离纯化的中试平台，服务河北原料药绿色转型。"),
    ProjectSpec("JP2-08", 2, "全流程国产EDA工具链", "NET", ("KD-NET-009",), "BJ", ("TJ",), 5500,
                _B2_START, date(2028, 12, 31), "in_progress", None,
                "补齐数字电路综合、布局布线与物理验证工具，形成全流程EDA工具链。"),
    ProjectSpec("JP2-09", 2, "钢铁高炉数字孪生与工业互联网平台", "NET", ("KD-NET-019",), "HE", ("BJ", "TJ"), 2200,
                _B2_START, date(2027, 12, 31), "in_progress", None,
                "融合高炉机理模型与工业大数据，建设高炉数字孪生平台并在唐山、邯郸钢企推广。"),
    ProjectSpec("JP2-10", 2, "高端质谱仪与场发射电镜核心部件", "INS", ("KD-INS-014", "KD-INS-016"), "BJ", ("TJ", "HE"), 4800,
                _B2_START, date(2028, 12, 31), "in_progress", None,
                "攻关质谱离子源、四极杆与场发射电子枪等核心部件，研制整机样机。"),
    ProjectSpec("JP2-11", 2, "车规级碳化硅功率器件", "NEV", ("KD-NEV-007",), "HE", ("BJ", "TJ"), 4600,
                _B2_START, date(2028, 6, 30), "in_progress", None,
                "河北衬底、北京器件设计、天津模块封装协同，研制车规级SiC MOSFET及功率模块。"),
    ProjectSpec("JP2-12", 2, "兆瓦级液冷超充与车网互动", "NEV", ("KD-NEV-019",), "TJ", ("BJ", "HE"), 2500,
                _B2_START, date(2027, 12, 31), "in_progress", None,
                "研制兆瓦级液冷超充设备与车网互动调度系统，开展京津冀高速服务区示范。"),
    ProjectSpec("JP2-13", 2, "车路云一体化规模化应用示范", "NEV", ("KD-NEV-020",), "HE", ("BJ", "TJ"), 3000,
                date(2026, 12, 1), date(2028, 11, 30), "approved", None,
                "在雄安新区与京津冀城际道路开展车路云一体化规模化应用。"),
    ProjectSpec("JP2-14", 2, "人形机器人高自由度灵巧手与具身智能大模型", "ROB", ("KD-ROB-007", "KD-ROB-009"), "BJ", ("TJ", "HE"), 6500,
                _B2_START, date(2028, 12, 31), "in_progress", None,
                "研制二十自由度以上灵巧手与视觉-语言-动作大模型，在天津、河北工厂开展人形机器人场景验证。"),
    ProjectSpec("JP2-15", 2, "具身智能训练场与数据集", "ROB", ("KD-ROB-020",), "TJ", ("BJ", "HE"), 2000,
                date(2026, 12, 1), date(2028, 11, 30), "approved", None,
                "建设面向工业与家庭场景的具身智能训练场，制定数据采集与标注标准。"),
]

MILESTONE_TITLES = (
    "技术方案论证与任务分解",
    "关键材料与核心部件研制",
    "工程样机研制与中试验证",
    "用户单位应用示范",
    "成果验收与产业化推广",
)

CHALLENGES = [
    ChallengeSpec("JB-H2-01", "KD-H2-002", "jiebang", "awarded", 1200, 1, date(2025, 6, 10), date(2025, 8, 10), ()),
    ChallengeSpec("JB-NET-01", "KD-NET-010", "jiebang", "awarded", 2000, 1, date(2025, 7, 1), date(2025, 9, 1), ()),
    ChallengeSpec("JB-NEV-01", "KD-NEV-008", "jiebang", "awarded", 3000, 1, date(2025, 9, 15), date(2025, 11, 15), ()),
    ChallengeSpec("JB-BIO-01", "KD-BIO-009", "jiebang", "reviewing", 1500, 1, date(2026, 8, 20), date(2026, 10, 20), ()),
    ChallengeSpec("JB-INS-01", "KD-INS-004", "jiebang", "published", 1000, 1, date(2026, 10, 15), date(2027, 1, 15), ()),
    ChallengeSpec("JB-ROB-01", "KD-ROB-008", "jiebang", "published", 900, 1, date(2026, 11, 2), date(2027, 1, 31), ()),
    ChallengeSpec(
        "SM-H2-01", "KD-H2-010", "saima", "awarded", 2400, 3, date(2025, 5, 20), date(2025, 7, 20),
        (("方案评审", date(2025, 8, 31)), ("中期比测", date(2026, 6, 30)), ("终期验收", date(2027, 6, 30))),
    ),
    ChallengeSpec(
        "SM-NEV-01", "KD-NEV-014", "saima", "awarded", 2000, 2, date(2025, 10, 10), date(2025, 12, 10),
        (("方案评审", date(2026, 1, 15)), ("样件比测", date(2026, 12, 31))),
    ),
    ChallengeSpec(
        "SM-ROB-01", "KD-ROB-014", "saima", "awarded", 3000, 3, date(2025, 11, 1), date(2025, 12, 31),
        (("方案评审", date(2026, 2, 28)), ("中期比测", date(2026, 9, 30)), ("终期比测", date(2027, 9, 30))),
    ),
    ChallengeSpec(
        "SM-NET-01", "KD-NET-008", "saima", "published", 1800, 2, date(2026, 10, 20), date(2027, 1, 20),
        (("方案评审", date(2027, 3, 31)), ("中期比测", date(2027, 12, 31))),
    ),
]
# fmt: on
