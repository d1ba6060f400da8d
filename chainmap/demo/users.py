"""Demo logins: one per role of PRODUCT.md §2, all with the one published demo password."""

from __future__ import annotations

from typing import NamedTuple

# Published in the README and printed by load_demo in demo mode; passes Django's validators.
DEMO_PASSWORD = "chainmap-demo-2026"  # noqa: S105


class UserSpec(NamedTuple):
    username: str
    role: str  # chainmap.models.Role value
    last_name: str
    first_name: str
    title: str
    region: str | None = None
    liaison_level: str = ""
    # Enterprise members belong to the first demo enterprise of this region (see services.demo).
    enterprise_region: str | None = None
    is_staff: bool = False


DEMO_USERS = [
    UserSpec("lianhe", "joint_office", "王", "晓明", "京津冀协同发展联合工作办公室 产业协同组", is_staff=True),
    UserSpec("bj_official", "region_official", "李", "文博", "北京市经济和信息化局 产业链工作专班", "BJ", "division"),
    UserSpec("tj_official", "region_official", "张", "海涛", "天津市工业和信息化局 产业链工作专班", "TJ", "division"),
    UserSpec("he_official", "region_official", "刘", "志强", "河北省工业和信息化厅 产业链工作专班", "HE", "division"),
    UserSpec("bj_deputy", "region_official", "陈", "静", "北京市经济和信息化局 分管负责人", "BJ", "deputy"),
    UserSpec("tj_deputy", "region_official", "赵", "磊", "天津市工业和信息化局 分管负责人", "TJ", "deputy"),
    UserSpec("he_deputy", "region_official", "孙", "丽", "河北省工业和信息化厅 分管负责人", "HE", "deputy"),
    UserSpec("ent_bj", "enterprise_member", "周", "子涵", "企业联络人", enterprise_region="BJ"),
    UserSpec("ent_tj", "enterprise_member", "吴", "振宇", "企业联络人", enterprise_region="TJ"),
    UserSpec("ent_he", "enterprise_member", "郑", "雨欣", "企业联络人", enterprise_region="HE"),
    UserSpec("subscriber", "subscriber", "钱", "芳", "月度对接报告订阅人"),
]
