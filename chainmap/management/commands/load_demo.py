"""``manage.py load_demo``: load the demo data (idempotent) and, in demo mode, print the demo logins."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chainmap.demo.loading import demo_load, demo_logins

LABELS = {
    "regions": "区域",
    "subregions": "下辖地区",
    "chains": "产业链",
    "nodes": "链上节点",
    "assessments": "节点评估",
    "edges": "供需关系",
    "clusters": "产业集群",
    "bottlenecks": "卡点",
    "users": "用户",
    "memberships": "角色",
    "enterprises": "企业",
    "placements": "企业上链",
    "profiles": "能力画像",
    "offers": "成果供给",
    "needs": "技术需求",
    "rotation_rules": "轮值规则",
    "terms": "链长任期",
    "calendar_entries": "对接日历",
    "batches": "项目批次",
    "projects": "联合攻关项目",
    "participants": "项目参与单位",
    "milestones": "项目里程碑",
    "challenges": "揭榜/赛马任务",
    "applications": "揭榜申请",
}


class Command(BaseCommand):
    help = "Load the demo data: regions, six chain maps, clusters, 130 bottlenecks, enterprises, projects, logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DEMO_MODE is off (CHAINMAP_DEMO=0). Demo passwords are then not printed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE and not options["force"]:
            raise CommandError(
                "Demo mode is off (CHAINMAP_DEMO=0 or DJANGO_ENV=production): refusing to load demo data with "
                "published passwords. Pass --force to load it anyway."
            )
        started = time.monotonic()
        with transaction.atomic():
            counts = demo_load()
        elapsed = time.monotonic() - started
        created = {key: value for key, value in counts.items() if value}
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f}s:"))
            for key, value in created.items():
                self.stdout.write(f"  {LABELS.get(key, key)} ({key}): {value}")
        else:
            self.stdout.write(f"Demo data already loaded; nothing to do ({elapsed:.1f}s).")
        if settings.DEMO_MODE:
            self._print_logins()

    def _print_logins(self) -> None:
        rows = demo_logins()
        if not rows:
            return
        headers = {"username": "username", "role": "role", "belongs_to": "region / enterprise", "password": "password"}
        widths = {key: max(_width(headers[key]), *(_width(row[key]) for row in rows)) for key in headers}
        self.stdout.write("")
        self.stdout.write("Demo logins (示例账号):")
        self.stdout.write("  ".join(_pad(headers[key], widths[key]) for key in headers).rstrip())
        self.stdout.write("  ".join("-" * widths[key] for key in headers))
        for row in rows:
            self.stdout.write("  ".join(_pad(row[key], widths[key]) for key in headers).rstrip())


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
