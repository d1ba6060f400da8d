"""``manage.py benchmark [--only diagrams] [--sizes 30,100,300,1000]``: print timing tables.

Each section lives in ``chainmap.benchmarks.<name>`` with ``run(...)`` and ``table(rows)``;
add matching, pages... there and list them in ``SECTIONS``.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

SECTIONS = ("diagrams", "matching", "report")


class Command(BaseCommand):
    help = "Measure render and page times on synthetic data and print a plain-text table per section."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
        parser.add_argument("--sizes", help="comma-separated sizes, e.g. 30,100,300,1000")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes: tuple[int, ...] | None = None
        if options["sizes"]:
            try:
                sizes = tuple(int(part) for part in options["sizes"].split(","))
            except ValueError:
                raise CommandError("--sizes must be comma-separated integers, e.g. 30,100,300") from None
            if any(size < 1 for size in sizes):
                raise CommandError("--sizes must be positive")
        failed = False
        for name in options["only"] or SECTIONS:
            module = importlib.import_module(f"chainmap.benchmarks.{name}")
            rows = module.run(sizes=sizes) if sizes else module.run()
            self.stdout.write(module.table(rows))
            self.stdout.write("")
            failed = failed or any(getattr(row, "passed", None) is False for row in rows)
        if failed:
            self.stdout.write("some targets were missed")
