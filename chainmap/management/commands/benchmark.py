"""``manage.py benchmark [--only diagrams] [--sizes 30,100,300,1000] [--json PATH]``: print timing tables.

Each section lives in ``chainmap.benchmarks.<name>`` with ``run(...)`` and ``table(rows)``;
list new ones in ``SECTIONS``. ``--json PATH`` (``-`` or no value: stdout, the tables then go to
stderr) also writes every section's rows as JSON.

``pages`` is a real HTTP load test (gunicorn over a scratch PostgreSQL database of 200,000
enterprises, wrk at 16 connections per URL); see ``chainmap.benchmarks.pages``. It needs PostgreSQL:
asked for on SQLite it refuses, and the default run of all sections leaves it out there.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

SECTIONS = ("diagrams", "matching", "report", "pages")


class Command(BaseCommand):
    help = "Measure render and page times on synthetic data and print a plain-text table per section."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
        parser.add_argument("--sizes", help="comma-separated sizes, e.g. 30,100,300,1000")
        parser.add_argument(
            "--json",
            nargs="?",
            const="-",
            metavar="PATH",
            help="also write every section's rows as JSON to PATH (no value or '-': stdout, tables to stderr)",
        )
        pages = parser.add_argument_group("pages")
        pages.add_argument("--database-url", help="PostgreSQL server for the scratch database (default DATABASE_URL)")
        pages.add_argument("--scratch-db", default="chainmap_bench", help="scratch database name (chainmap_bench)")
        pages.add_argument("--enterprises", type=int, default=200_000, help="synthetic enterprises (200000)")
        pages.add_argument("--profiles", type=int, default=300_000, help="synthetic capability profiles (300000)")
        pages.add_argument("--fresh", action="store_true", help="rebuild the scratch database even if it is ready")
        pages.add_argument("--duration", type=int, default=10, help="seconds of load per URL (10)")
        pages.add_argument("--connections", type=int, default=16, help="concurrent connections per URL (16)")
        pages.add_argument("--tool", choices=("wrk", "locust"), help="load tool (default: wrk, locust without it)")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes: tuple[int, ...] | None = None
        if options["sizes"]:
            try:
                sizes = tuple(int(part) for part in options["sizes"].split(","))
            except ValueError:
                raise CommandError("--sizes must be comma-separated integers, e.g. 30,100,300") from None
            if any(size < 1 for size in sizes):
                raise CommandError("--sizes must be positive")
        names = list(options["only"] or SECTIONS)
        if "pages" in names:
            pages = importlib.import_module("chainmap.benchmarks.pages")
            postgres = options["database_url"] or settings.IS_POSTGRES
            if not options["only"] and not postgres:
                names.remove("pages")
                self.stderr.write("pages: left out (needs PostgreSQL: set DATABASE_URL or pass --database-url)")
            else:
                pages.server_from(options["database_url"])  # refuses SQLite before any other section runs
            if options["enterprises"] < 0 or options["profiles"] < 0:
                raise CommandError("--enterprises and --profiles must not be negative")
        to_stdout = options["json"] == "-"
        out = self.stderr if to_stdout else self.stdout
        failed = False
        report: dict[str, Any] = {}
        for name in names:
            module = importlib.import_module(f"chainmap.benchmarks.{name}")
            if name == "pages":
                rows = module.run(
                    database_url=options["database_url"],
                    scratch_db=options["scratch_db"],
                    enterprises=options["enterprises"],
                    profiles=options["profiles"],
                    fresh=options["fresh"],
                    duration=options["duration"],
                    connections=options["connections"],
                    tool=options["tool"],
                    log=self.stderr.write,
                )
            else:
                rows = module.run(sizes=sizes) if sizes else module.run()
            out.write(module.table(rows))
            out.write("")
            failed = failed or any(_passed(row) is False for row in rows)
            report[name] = {"rows": [_plain(row) for row in rows]}
            if getattr(rows, "meta", None):
                report[name]["meta"] = rows.meta
        if failed:
            out.write("some targets were missed")
        if options["json"]:
            text = json.dumps({"sections": report, "failed": failed}, ensure_ascii=False, indent=2, default=str)
            if to_stdout:
                self.stdout.write(text)
            else:
                Path(options["json"]).write_text(text + "\n", encoding="utf-8")


def _passed(row: Any) -> bool | None:
    return row.get("passed") if isinstance(row, dict) else getattr(row, "passed", None)


def _plain(row: Any) -> Any:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return dataclasses.asdict(row)
    return row
