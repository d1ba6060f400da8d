"""Rotate chain leadership as of a date: close ended terms, open the day's term, re-route open
proposals, mail the handover. What the daily beat job does, for a chosen day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chainmap.accounts.permissions import today as local_today
from chainmap.leadership.services.rotation import leadership_rotate_all


class Command(BaseCommand):
    help = "Rotate chain leadership as of a date (default: today, Asia/Shanghai)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD; a later date opens that day's terms ahead of the calendar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(options["date"]) if options["date"] else local_today()
        except ValueError:
            raise CommandError("--date must look like 2027-01-01") from None
        for term in leadership_rotate_all(today=day):
            self.stdout.write(
                f"{term.chain.code:<6} {term.region.code}  {term.starts_on} – {term.ends_on}"
                f"  opened {term.opened_at:%Y-%m-%d %H:%M}"
            )
