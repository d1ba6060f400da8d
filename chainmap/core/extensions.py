"""What another app contributes to chainmap's pages, registered when that app starts (its
``AppConfig.ready``). chainmap reads it through here and never imports that app: without it
installed, the pages simply leave its part out.

Today ``projects`` contributes two things: the counts of the joint projects and challenges that
attack a bottleneck (the bottleneck page), and the round report's joint-projects section (the
projects on the round's chains, with their weighted milestone progress, and their status labels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# name of the count ("projects", "challenges") -> bottleneck id -> how many
BottleneckCount = Callable[[int], int]
_bottleneck_counts: dict[str, BottleneckCount] = {}


def register_bottleneck_count(name: str, count: BottleneckCount) -> None:
    """Called by the contributing app's ``ready()``; registering the same name again replaces it."""
    _bottleneck_counts[name] = count


def bottleneck_count(name: str, *, bottleneck_id: int) -> int | None:
    """The registered count for that bottleneck; None when no installed app contributes it."""
    count = _bottleneck_counts.get(name)
    return None if count is None else count(bottleneck_id)


# --- round report sections -----------------------------------------------------------------------

JOINT_PROJECTS = "joint_projects"  # the section of the joint projects on the round's chains

# chain ids -> the section's rows (plain JSON: it is frozen into the report's snapshot)
SectionRows = Callable[[list[int]], list[dict[str, Any]]]


@dataclass(frozen=True)
class ReportSection:
    rows: SectionRows
    # status value -> its label in the active language
    status_labels: Callable[[], dict[str, str]]


_report_sections: dict[str, ReportSection] = {}


def register_report_section(name: str, section: ReportSection) -> None:
    """Called by the contributing app's ``ready()``; registering the same name again replaces it."""
    _report_sections[name] = section


def report_section_rows(name: str, *, chain_ids: list[int]) -> list[dict[str, Any]]:
    """The registered section's rows for those chains; none when no installed app contributes it."""
    section = _report_sections.get(name)
    return [] if section is None else section.rows(chain_ids)


def report_section_status_labels(name: str) -> dict[str, str]:
    section = _report_sections.get(name)
    return {} if section is None else section.status_labels()
