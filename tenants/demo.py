"""Shaoguan demo data (DESIGN.md section 3): the city hall, its ten county-level halls, the usual
departments stationed in each county, the city-level bureaus, and one demo login per role.

Seeding is idempotent: what exists is left as it is, what is missing is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from hallplatform.accounts.models import RoleKind
from hallplatform.accounts.services import staff_create
from tenants.models import Department, Hall, HallLevel
from tenants.services import department_create, hall_create

DEMO_PASSWORD = "bancheng-demo"  # noqa: S105 (printed by `dev.py run`; demo only)

CITY = ("shaoguan", "韶关市", "440200")
COUNTIES = [
    ("wujiang", "武江区", "440203"),
    ("zhenjiang", "浈江区", "440204"),
    ("qujiang", "曲江区", "440205"),
    ("shixing", "始兴县", "440222"),
    ("renhua", "仁化县", "440224"),
    ("wengyuan", "翁源县", "440229"),
    ("ruyuan", "乳源瑶族自治县", "440232"),
    ("xinfeng", "新丰县", "440233"),
    ("lechang", "乐昌市", "440281"),
    ("nanxiong", "南雄市", "440282"),
]
# (code, name pattern): the usual units stationed in a hall (进驻单位); {p} is the place name.
DEPARTMENTS = [
    ("rsj", "{p}人力资源和社会保障局"),
    ("scjgj", "{p}市场监督管理局"),
    ("gaj", "{p}公安局"),
    ("bdc", "{p}不动产登记中心"),
    ("ybj", "{p}医疗保障局"),
    ("swj", "国家税务总局{p}税务局"),
    ("zjj", "{p}住房和城乡建设局"),
    ("zrzyj", "{p}自然资源局"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    hall: str | None = None
    department: str | None = None
    may_reveal: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("wengyuan_window", RoleKind.WINDOW_STAFF, "翁源窗口 李敏", hall="wengyuan", may_reveal=True),
    DemoAccount("wengyuan_lead", RoleKind.HALL_LEAD, "翁源大厅负责人 陈刚", hall="wengyuan", may_reveal=True),
    DemoAccount("wengyuan_rsj", RoleKind.DEPARTMENT_HANDLER, "翁源县人社局 黄丽", department="wengyuan/rsj"),
    DemoAccount("wengyuan_rsj_lead", RoleKind.DEPARTMENT_LEAD, "翁源县人社局负责人 吴强", department="wengyuan/rsj"),
    DemoAccount("shaoguan_rsj", RoleKind.DEPARTMENT_HANDLER, "韶关市人社局 周洁", department="shaoguan/rsj"),
    DemoAccount("shaoguan_supervisor", RoleKind.CITY_SUPERVISOR, "市局督查 刘洋", hall="shaoguan"),
    # 纪检监察: reads every Shaoguan hall's cases, timelines and audit trail; never reveals or changes.
    DemoAccount("jiwei", RoleKind.DISCIPLINE_INSPECTOR, "市纪委监委 何静", hall="shaoguan"),
    DemoAccount("operator", RoleKind.PLATFORM_OPERATOR, "平台运维 王工"),
    # Separation of duties (三员分立): the operator's three duties, each alone.
    DemoAccount("sysadmin", RoleKind.SYSTEM_ADMIN, "系统管理员 赵敏"),
    DemoAccount("secadmin", RoleKind.SECURITY_ADMIN, "安全管理员 孙磊"),
    DemoAccount("auditor", RoleKind.AUDIT_ADMIN, "审计管理员 冯婷"),
]


def _hall_name(place: str) -> str:
    return f"{place}政务服务中心"


def _ensure_hall(code: str, place: str, region: str, level: str, parent_code: str | None) -> Hall:
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        hall = hall_create(code=code, name=_hall_name(place), level=level, region_code=region, parent_code=parent_code)
    return hall


def _ensure_departments(hall: Hall, place: str) -> None:
    existing = set(Department.objects.filter(hall=hall).values_list("code", flat=True))
    for code, pattern in DEPARTMENTS:
        if code not in existing:
            department_create(hall_code=hall.code, code=code, name=pattern.format(p=place))


def seed_demo() -> list[Hall]:
    """Create whatever of the Shaoguan demo is missing; returns the halls, city first."""
    city_code, city_place, city_region = CITY
    halls = [_ensure_hall(city_code, city_place, city_region, HallLevel.CITY, None)]
    _ensure_departments(halls[0], city_place)
    for code, place, region in COUNTIES:
        hall = _ensure_hall(code, place, region, HallLevel.COUNTY, city_code)
        _ensure_departments(hall, place)
        halls.append(hall)
    with transaction.atomic():
        for account in DEMO_ACCOUNTS:
            staff_create(
                username=account.username,
                password=DEMO_PASSWORD,
                kind=account.role,
                display_name=account.display_name,
                hall_code=account.hall,
                department_code=account.department,
                check_password=False,
                may_reveal=account.may_reveal,
            )
    return halls


# A second city, for tests and benchmarks that prove nothing of one city reaches another
# (not part of `seed_demo`, which is the Shaoguan demo the README shows).
SECOND_CITY = ("qingyuan", "清远市", "441800")
SECOND_COUNTIES = [("qingcheng", "清城区", "441802"), ("yingde", "英德市", "441881")]
SECOND_ACCOUNTS = [
    DemoAccount("qingcheng_window", RoleKind.WINDOW_STAFF, "清城窗口 赵敏", hall="qingcheng", may_reveal=True),
    DemoAccount("qingcheng_lead", RoleKind.HALL_LEAD, "清城大厅负责人 孙伟", hall="qingcheng", may_reveal=True),
    DemoAccount("qingyuan_rsj", RoleKind.DEPARTMENT_HANDLER, "清远市人社局 钱芳", department="qingyuan/rsj"),
    DemoAccount("qingyuan_supervisor", RoleKind.CITY_SUPERVISOR, "清远市局督查 郑明", hall="qingyuan"),
]


def seed_second_city() -> list[Hall]:
    """Qingyuan (清远市) with two counties, their departments and four logins; idempotent."""
    city_code, city_place, city_region = SECOND_CITY
    halls = [_ensure_hall(city_code, city_place, city_region, HallLevel.CITY, None)]
    _ensure_departments(halls[0], city_place)
    for code, place, region in SECOND_COUNTIES:
        hall = _ensure_hall(code, place, region, HallLevel.COUNTY, city_code)
        _ensure_departments(hall, place)
        halls.append(hall)
    with transaction.atomic():
        for account in SECOND_ACCOUNTS:
            staff_create(
                username=account.username,
                password=DEMO_PASSWORD,
                kind=account.role,
                display_name=account.display_name,
                hall_code=account.hall,
                department_code=account.department,
                check_password=False,
                may_reveal=account.may_reveal,
            )
    return halls
