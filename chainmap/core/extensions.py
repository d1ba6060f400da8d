"""What another app contributes to chainmap's pages, registered when that app starts (its
``AppConfig.ready``). chainmap reads it through here and never imports that app: without it
installed, the pages simply leave its part out.

Today: ``projects`` counts the joint projects and challenges that attack a bottleneck.
"""

from __future__ import annotations

from collections.abc import Callable

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
