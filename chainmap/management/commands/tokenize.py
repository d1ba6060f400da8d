"""Store matching tokens for profiles, offers, needs and bottlenecks that have none (or all with --all)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chainmap.matching.services.text import tokens_fill_missing


class Command(BaseCommand):
    help = "Tokenize capability profiles, supply offers, technology needs and bottlenecks for matching."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Re-tokenize every row, not only rows without tokens.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows per bulk update (default 2000).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        filled = tokens_fill_missing(batch_size=options["batch_size"], everything=options["all"])
        self.stdout.write(self.style.SUCCESS(f"Tokenized {filled} rows."))
