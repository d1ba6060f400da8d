"""The three regions (京津冀) and the places inside them that enterprises are registered in."""

from __future__ import annotations

from chainmap.demo.types import SubRegionSpec

# code → (name, English name, stage, role, position); the same values as tests/factories.py.
REGIONS: dict[str, tuple[str, str, str, str, int]] = {
    "BJ": ("北京", "Beijing", "research", "原始创新：算法、软件、基础研究", 0),
    "TJ": ("天津", "Tianjin", "conversion", "研发转化：中试、先进制造、港口", 1),
    "HE": ("河北", "Hebei", "scale", "场景应用与规模化：配套产业、规模制造", 2),
}

# Division codes are real GB/T 2260 codes of the district or city the place lies in; the
# weight is how likely a sample enterprise of the region is registered there.
SUBREGIONS: dict[str, list[SubRegionSpec]] = {
    "BJ": [
        SubRegionSpec("中关村", "park", "110108", ("北京", "北京中关村"), "010", 6),
        SubRegionSpec("北京经济技术开发区(亦庄)", "park", "110115", ("北京", "北京亦庄"), "010", 4),
        SubRegionSpec("昌平(未来科学城)", "district", "110114", ("北京",), "010", 3),
        SubRegionSpec("通州(北京城市副中心)", "district", "110112", ("北京", "北京通州"), "010", 2),
        SubRegionSpec("顺义", "district", "110113", ("北京",), "010", 2),
        SubRegionSpec("大兴", "district", "110115", ("北京",), "010", 1),
    ],
    "TJ": [
        SubRegionSpec("天津滨海新区", "new_area", "120116", ("天津", "天津滨海"), "022", 7),
        SubRegionSpec("武清", "district", "120114", ("天津", "天津武清"), "022", 3),
        SubRegionSpec("宝坻", "district", "120115", ("天津", "天津宝坻"), "022", 2),
        SubRegionSpec("西青", "district", "120111", ("天津",), "022", 3),
        SubRegionSpec("东丽", "district", "120110", ("天津",), "022", 2),
        SubRegionSpec("北辰", "district", "120113", ("天津",), "022", 2),
    ],
    "HE": [
        SubRegionSpec("雄安新区", "new_area", "130632", ("河北雄安", "雄安"), "0312", 4),
        SubRegionSpec("保定", "city", "130602", ("保定", "河北"), "0312", 4),
        SubRegionSpec("石家庄", "city", "130105", ("石家庄", "河北"), "0311", 5),
        SubRegionSpec("唐山", "city", "130203", ("唐山",), "0315", 4),
        SubRegionSpec("邢台", "city", "130502", ("邢台",), "0319", 2),
        SubRegionSpec("张家口", "city", "130702", ("张家口",), "0313", 2),
        SubRegionSpec("廊坊", "city", "131002", ("廊坊",), "0316", 2),
        SubRegionSpec("燕郊", "park", "131082", ("三河", "河北燕郊"), "0316", 2),
        SubRegionSpec("沧州", "city", "130902", ("沧州",), "0317", 2),
        SubRegionSpec("邯郸", "city", "130402", ("邯郸",), "0310", 2),
    ],
}

REGION_CODES = tuple(REGIONS)
