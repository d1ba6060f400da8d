"""The engine's database layer: a round's chains, and ``matching_run``, which ranks the round's
inputs (``loading.matching_inputs``) with the pure engine (``engine.rank_candidates``) and replaces
the round's ``Match`` rows in one transaction, keeping officials' follow-up outcomes."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chainmap.matching.services.engine import BOTTLENECK, NEED, Weights, rank_candidates
from chainmap.matching.services.loading import matching_inputs
from chainmap.models import Cluster, Match, MatchingRound, RoundStatus

logger = logging.getLogger(__name__)


def round_chain_ids(*, round_id: int) -> list[int]:
    """The chain of a chain round, or the chains of a cluster round's cluster."""
    chain_id, cluster_id = MatchingRound.objects.values_list("chain_id", "cluster_id").get(pk=round_id)
    if chain_id is not None:
        return [chain_id]
    return sorted(Cluster.chains.through.objects.filter(cluster_id=cluster_id).values_list("chain_id", flat=True))


def matching_run(*, round_id: int, top_n: int | None = None, weights: Weights | None = None) -> int:
    """Match a round: replace its Match rows with a fresh ranking and mark it matched.

    Idempotent (same data → same rows). Claimed with a conditional UPDATE on ``matching_since``:
    if another worker holds the round (and its claim is not stale), nothing happens and 0 is
    returned. Officials' follow-up outcomes survive a re-run on rows with the same target and
    candidate. Returns the number of Match rows written.
    """
    config = settings.CHAINMAP_MATCHING
    now = timezone.now()
    stale = now - dt.timedelta(seconds=config["CLAIM_TIMEOUT_SECONDS"])
    claimed = MatchingRound.objects.filter(
        Q(matching_since__isnull=True) | Q(matching_since__lt=stale), pk=round_id
    ).update(matching_since=now)
    if not claimed:
        logger.info("matching round %s is being matched by another worker", round_id)
        return 0
    try:
        targets, candidates, structure = matching_inputs(chain_ids=round_chain_ids(round_id=round_id))
        ranking = rank_candidates(
            targets=targets,
            candidates=candidates,
            structure=structure,
            weights=weights or Weights.from_settings(),
            top_n=top_n or config["TOP_N"],
        )
        with transaction.atomic():
            kept = _kept_outcomes(round_id=round_id)
            Match.objects.filter(round_id=round_id).delete()
            rows = []
            for (kind, target_id), ranked in sorted(ranking.items()):
                for item in ranked:
                    outcome = kept.get((kind, target_id, item.profile_id, item.offer_id), {})
                    rows.append(
                        Match(
                            round_id=round_id,
                            bottleneck_id=target_id if kind == BOTTLENECK else None,
                            need_id=target_id if kind == NEED else None,
                            profile_id=item.profile_id,
                            offer_id=item.offer_id,
                            enterprise_id=item.enterprise_id,
                            rank=item.rank,
                            score=item.score,
                            components=item.components,
                            matched_terms=item.matched_terms,
                            **outcome,
                        )
                    )
            Match.objects.bulk_create(rows, batch_size=1000)
            MatchingRound.objects.filter(pk=round_id, status__in=[RoundStatus.PLANNED, RoundStatus.OPEN]).update(
                status=RoundStatus.MATCHED
            )
            MatchingRound.objects.filter(pk=round_id).update(matched_at=timezone.now())
        return len(rows)
    finally:
        MatchingRound.objects.filter(pk=round_id, matching_since=now).update(matching_since=None)


def _kept_outcomes(*, round_id: int) -> dict[tuple[str, int, int, int | None], dict[str, Any]]:
    kept: dict[tuple[str, int, int, int | None], dict[str, Any]] = {}
    for bottleneck_id, need_id, profile_id, offer_id, outcome, note, by_id, at in (
        Match.objects.filter(round_id=round_id)
        .exclude(outcome="")
        .values_list(
            "bottleneck_id",
            "need_id",
            "profile_id",
            "offer_id",
            "outcome",
            "outcome_note",
            "outcome_by_id",
            "outcome_at",
        )
    ):
        key = (
            (BOTTLENECK, bottleneck_id, profile_id, offer_id)
            if bottleneck_id
            else (NEED, need_id, profile_id, offer_id)
        )
        kept[key] = {"outcome": outcome, "outcome_note": note, "outcome_by_id": by_id, "outcome_at": at}
    return kept
