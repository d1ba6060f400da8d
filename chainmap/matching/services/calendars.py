"""The matchmaking calendars: 一月一链 (each month one chain) and 一季一群 (each quarter one cluster)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from chainmap.models import CalendarEntry, Chain, Cluster, RoundKind

# The round-robin counts months and quarters from January of this year, so consecutive years
# continue the rotation instead of restarting it (five clusters do not divide four quarters).
CALENDAR_EPOCH_YEAR = 2026


@transaction.atomic
def calendar_generate_year(*, year: int) -> list[CalendarEntry]:
    """Fill the year's chain months and cluster quarters that are still empty, round-robin by position.

    Month m of the year goes to the chain at ((year - 2026) * 12 + m - 1) mod #chains in chain
    order, quarter q to the cluster at ((year - 2026) * 4 + q - 1) mod #clusters. Existing entries
    are never changed (the joint office may have swapped them), so calling it again is harmless.
    Returns all entries of the year, chain months first, by period.
    """
    chains = list(Chain.objects.order_by("position", "code"))
    clusters = list(Cluster.objects.order_by("position", "code"))
    taken = set(CalendarEntry.objects.filter(period__year=year).values_list("kind", "period"))
    new: list[CalendarEntry] = []
    offset = year - CALENDAR_EPOCH_YEAR
    if chains:
        for month in range(1, 13):
            period = date(year, month, 1)
            if (RoundKind.CHAIN_MONTH, period) not in taken:
                chain = chains[(offset * 12 + month - 1) % len(chains)]
                new.append(CalendarEntry(kind=RoundKind.CHAIN_MONTH, period=period, chain=chain))
    if clusters:
        for quarter in range(1, 5):
            period = date(year, 3 * quarter - 2, 1)
            if (RoundKind.CLUSTER_QUARTER, period) not in taken:
                cluster = clusters[(offset * 4 + quarter - 1) % len(clusters)]
                new.append(CalendarEntry(kind=RoundKind.CLUSTER_QUARTER, period=period, cluster=cluster))
    # A concurrent call may have filled a period since the read: its entry wins, ours is dropped.
    CalendarEntry.objects.bulk_create(new, ignore_conflicts=True)
    return list(
        CalendarEntry.objects.filter(period__year=year).select_related("chain", "cluster").order_by("kind", "period")
    )
