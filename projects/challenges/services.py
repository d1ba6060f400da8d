"""Challenges on bottlenecks (揭榜挂帅: one winner; 赛马制: several funded teams racing through phase gates)
and the enterprises' applications to them.

Lifecycle: draft → published → reviewing → awarded → closed (published / reviewing may also be closed
without an award). The chain's leading region or the joint office (``projects.challenges.permissions``) runs a
challenge; enterprise members apply for their own enterprise; officials who run the challenge score the
applications per criterion (never an applicant's own member). Awarding a challenge whose bottleneck is
still ``published`` marks the bottleneck ``taken`` through ``chainmap.maps.services.mapedit``, so the chain's
history records it.

Every service is keyword-only, checks everything before writing, writes in one transaction, and refuses
with ``PermissionDenied`` or a ``ValidationError`` naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from chainmap.accounts import permissions as chain_permissions
from chainmap.bottlenecks.models import BottleneckStatus
from chainmap.core import roles
from chainmap.core.actors import Actor, signed_in
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.core.versions import version_check
from chainmap.maps.services import mapedit
from chainmap.models import Bottleneck, Enterprise
from projects.challenges import permissions
from projects.challenges.models import (
    Application,
    ApplicationStatus,
    Challenge,
    ChallengeMechanism,
    ChallengePhase,
    ChallengeStatus,
    Criterion,
    ReviewScore,
)


@dataclass(frozen=True, kw_only=True)
class ChallengeInput(WriteInput):
    """A challenge's fields, in the service's names: what the page's ``ChallengeForm.to_input`` and the
    API's ``ChallengeUpdateSerializer.to_input`` produce. ``bottleneck_id`` and ``code`` are given on
    creation only; ``phases`` (``{name, gate_on}`` each) replaces the gates."""

    RELATIONS = {"bottleneck": "bottleneck_id"}

    bottleneck_id: int = UNSET
    code: str = UNSET
    mechanism: str = UNSET
    title: str = UNSET
    description: str = UNSET
    budget: Decimal | int | str = UNSET
    max_funded_teams: int | None = UNSET
    deadline: dt.date | None = UNSET
    phases: list[dict[str, Any]] = UNSET

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ChallengeInput:
        values = dict(data)
        if isinstance(values.get("phases"), list | tuple):
            values["phases"] = [dict(phase) for phase in values["phases"]]
        return super().from_data(values)


@dataclass(frozen=True, kw_only=True)
class ApplicationInput(WriteInput):
    """An application: what ``ApplicationForm.to_input`` and ``ApplicationCreateSerializer.to_input``
    produce (the consortium as enterprise ids)."""

    MANY = {"consortium": "consortium_ids"}

    team_lead: str = UNSET
    proposal: str = UNSET
    consortium_ids: list[int] = UNSET


@dataclass(frozen=True, kw_only=True)
class PhaseInput(WriteInput):
    """One phase gate of a race: what ``PhaseForm.to_input`` and ``PhaseSaveSerializer.to_input``
    produce. ``position`` None adds the gate after the last; a position changes the gate there."""

    name: str = UNSET
    gate_on: dt.date = UNSET
    position: int | None = None


CHALLENGE_FIELDS = ("title", "description", "budget", "mechanism", "max_funded_teams", "deadline", "phases")
# Statuses an application is still in the race with.
IN_RACE = (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED, ApplicationStatus.FUNDED)
# Bottlenecks already solved take no new challenge.
SOLVED_BOTTLENECK = (BottleneckStatus.BREAKTHROUGH, BottleneckStatus.ACCEPTED)
DECISIONS = ("shortlist", "fund", "advance", "eliminate", "reject")
MAX_PHASES = 10
MAX_CONSORTIUM = 20
MAX_TEAMS = 50


# --- helpers ------------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or chain_permissions.today()


def _lock_challenge(challenge_id: int) -> Challenge:
    try:
        return Challenge.objects.select_for_update().select_related("bottleneck").get(pk=challenge_id)
    except Challenge.DoesNotExist:
        raise ValidationError({"challenge": _("No such challenge.")}) from None


def _lock_application(application_id: int) -> Application:
    try:
        application = Application.objects.select_for_update().get(pk=application_id)
    except Application.DoesNotExist:
        raise ValidationError({"application": _("No such application.")}) from None
    application.challenge = _lock_challenge(application.challenge_id)
    return application


def _require_manager(user: Actor, challenge: Challenge) -> None:
    if not permissions.can_manage_challenge(user=user, challenge=challenge):
        raise PermissionDenied(_("Only the chain's leading region or the joint office may run its challenges."))


# --- the checks the services make, which the pages and the API make alike before they read a write's
# input (a user who may not gets 403 whatever the input; a challenge in the wrong state 400) ----------


def check_can_manage_challenge(*, user: Actor, challenge: Challenge) -> None:
    _require_manager(user, challenge)


def check_challenge_editable(*, challenge: Challenge) -> None:
    """Its text, budget, deadline and phases change while it is a draft or published (400 naming status)."""
    _require_status(challenge, ChallengeStatus.DRAFT, ChallengeStatus.PUBLISHED)


def check_challenge_reviewing(*, challenge: Challenge) -> None:
    """Scores and decisions are given while it is under review (400 naming status)."""
    _require_status(challenge, ChallengeStatus.REVIEWING)


def check_can_score(*, user: Actor, application: Application) -> None:
    """The review panel (who may manage the challenge), never a member of the applicant or its consortium."""
    enterprise_id = roles.member_enterprise_id(user)
    if enterprise_id is not None and (
        enterprise_id == application.enterprise_id or application.consortium.filter(pk=enterprise_id).exists()
    ):
        raise PermissionDenied(_("Members of the applicant never score its application."))
    if not permissions.can_manage_challenge(user=user, challenge=application.challenge):
        raise PermissionDenied(_("Only the challenge's review panel may score applications."))


def _require_status(challenge: Challenge, *allowed: str) -> None:
    if challenge.status not in allowed:
        raise ValidationError(
            {
                "status": _("Not possible while the challenge is %(status)s.")
                % {"status": challenge.get_status_display()}
            }
        )


def _text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("Keep this under %(max)d characters.") % {"max": max_length}},
        )
    return text


def _budget(value: Any) -> Decimal:
    try:
        budget = Decimal(str(value if value is not None else 0))
    except (InvalidOperation, ValueError):
        raise ValidationError({"budget": _("Enter the budget as a number.")}) from None
    if not budget.is_finite() or budget < 0 or budget >= Decimal("1e10"):
        raise ValidationError({"budget": _("The budget is a non-negative amount under 10,000,000,000 (10k CNY).")})
    return budget.quantize(Decimal("0.01"))


def _teams(mechanism: str, value: Any) -> int:
    if mechanism not in ChallengeMechanism.values:
        raise ValidationError({"mechanism": _("Choose 揭榜挂帅 or 赛马制.")})
    if value in (None, ""):
        return 1 if mechanism == ChallengeMechanism.JIEBANG else 2
    try:
        teams = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"max_funded_teams": _("Enter the number of teams as a whole number.")}) from None
    if mechanism == ChallengeMechanism.JIEBANG and teams != 1:
        raise ValidationError({"max_funded_teams": _("揭榜挂帅 has exactly one winning team.")})
    if mechanism == ChallengeMechanism.SAIMA and not 2 <= teams <= MAX_TEAMS:
        raise ValidationError(
            {"max_funded_teams": _("赛马制 funds from 2 to %(max)d teams in parallel.") % {"max": MAX_TEAMS}}
        )
    return teams


def _clean_phases(phases: Iterable[dict[str, Any]], *, mechanism: str) -> list[tuple[str, dt.date]]:
    cleaned: list[tuple[str, dt.date]] = []
    for index, phase in enumerate(phases):
        name = _text(phase.get("name"), field=f"phases.{index}.name", max_length=100)
        gate_on = phase.get("gate_on")
        if not isinstance(gate_on, dt.date):
            raise ValidationError({f"phases.{index}.gate_on": _("Enter the gate's date.")})
        if cleaned and gate_on <= cleaned[-1][1]:
            raise ValidationError({f"phases.{index}.gate_on": _("Each gate comes after the one before.")})
        cleaned.append((name, gate_on))
    if cleaned and mechanism != ChallengeMechanism.SAIMA:
        raise ValidationError({"phases": _("Only a 赛马制 race has phase gates.")})
    if len(cleaned) > MAX_PHASES:
        raise ValidationError({"phases": _("At most %(max)d phase gates.") % {"max": MAX_PHASES}})
    return cleaned


def _replace_phases(challenge: Challenge, phases: list[tuple[str, dt.date]]) -> None:
    if Application.objects.filter(challenge=challenge, phase_reached__isnull=False).exists():
        raise ValidationError({"phases": _("Teams have passed gates already: change single gates instead.")})
    challenge.phases.all().delete()
    ChallengePhase.objects.bulk_create(
        ChallengePhase(challenge=challenge, position=position, name=name, gate_on=gate_on)
        for position, (name, gate_on) in enumerate(phases, start=1)
    )


def _check_deadline(deadline: dt.date | None, *, today: dt.date, published_on: dt.date | None = None) -> None:
    if deadline is None:
        return
    if deadline < today:
        raise ValidationError({"deadline": _("The deadline cannot be in the past.")})
    if published_on is not None and deadline < published_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the publication date.")})


def _save(obj: Any) -> None:
    if isinstance(obj, Challenge) and obj.pk is not None:
        obj.version += 1  # every change of a challenge moves its ETag
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a race the checks above could not see
        raise ValidationError(_("This change clashes with data saved at the same moment.")) from exc


# --- challenges ---------------------------------------------------------------------------------


@transaction.atomic
def challenge_create(
    *, user: Actor, data: ChallengeInput | Mapping[str, Any], today: dt.date | None = None
) -> Challenge:
    """A draft challenge on a bottleneck not yet solved; 揭榜挂帅 funds one team, 赛马制 two or more.
    ``data`` (a mapping is read as ``ChallengeInput.from_data``) gives the bottleneck, code, mechanism and
    title at least; budget 0, no deadline and no gates unless given."""
    given = ChallengeInput.of(data)
    bottleneck_id = given.value("bottleneck_id", None)
    code, mechanism, title = given.value("code", None), given.value("mechanism", None), given.value("title", None)
    description, budget = given.value("description", ""), given.value("budget", 0)
    max_funded_teams, deadline = given.value("max_funded_teams", None), given.value("deadline", None)
    phases = given.value("phases", None) or ()
    bottleneck = Bottleneck.objects.select_for_update().filter(pk=bottleneck_id).first()
    if bottleneck is None:
        raise ValidationError({"bottleneck": _("Unknown bottleneck.")})
    if not permissions.can_create_challenge(user=user, bottleneck=bottleneck):
        raise PermissionDenied(_("Only the chain's leading region or the joint office may put challenges on it."))
    if bottleneck.status in SOLVED_BOTTLENECK:
        raise ValidationError({"bottleneck": _("This bottleneck is already broken through.")})
    code = _text(code, field="code", max_length=20).upper()
    if Challenge.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A challenge with this code exists already.")})
    teams = _teams(mechanism, max_funded_teams)
    _check_deadline(deadline, today=_today(today))
    cleaned_phases = _clean_phases(phases, mechanism=mechanism)
    challenge = Challenge(
        bottleneck=bottleneck,
        code=code,
        mechanism=mechanism,
        title=_text(title, field="title", max_length=200),
        description=_text(description, field="description", max_length=4000, required=False),
        budget=_budget(budget),
        max_funded_teams=teams,
        deadline=deadline,
    )
    _save(challenge)
    _replace_phases(challenge, cleaned_phases)
    return challenge


@transaction.atomic
def challenge_update(
    *,
    challenge_id: int,
    user: Actor,
    changes: ChallengeInput | Mapping[str, Any],
    today: dt.date | None = None,
    expected_version: int | None = None,
) -> Challenge:
    """Change a draft or published challenge. ``phases`` (a list of ``{name, gate_on}``) replaces the gates.
    Once published the mechanism stays (applicants answered that call). A stale ``expected_version``
    raises ConflictError and writes nothing."""
    challenge = _lock_challenge(challenge_id)
    _require_manager(user, challenge)
    version_check(challenge, expected_version)
    check_challenge_editable(challenge=challenge)
    changes = dict(ChallengeInput.of(changes).given())
    unknown = sorted(set(changes) - set(CHALLENGE_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    mechanism = changes.get("mechanism", challenge.mechanism)
    if mechanism != challenge.mechanism and challenge.status != ChallengeStatus.DRAFT:
        raise ValidationError({"mechanism": _("The mechanism of a published challenge cannot change.")})
    if "title" in changes:
        challenge.title = _text(changes["title"], field="title", max_length=200)
    if "description" in changes:
        challenge.description = _text(changes["description"], field="description", max_length=4000, required=False)
    if "budget" in changes:
        challenge.budget = _budget(changes["budget"])
    if "mechanism" in changes or "max_funded_teams" in changes:
        default = challenge.max_funded_teams if mechanism == challenge.mechanism else None
        challenge.max_funded_teams = _teams(mechanism, changes.get("max_funded_teams", default))
        challenge.mechanism = mechanism
    if "deadline" in changes and changes["deadline"] != challenge.deadline:
        if changes["deadline"] is None and challenge.status == ChallengeStatus.PUBLISHED:
            raise ValidationError({"deadline": _("A published challenge needs a deadline.")})
        _check_deadline(changes["deadline"], today=_today(today), published_on=challenge.published_on)
        challenge.deadline = changes["deadline"]
    phases = changes.get("phases")
    if phases is not None:
        cleaned = _clean_phases(phases, mechanism=challenge.mechanism)
    elif challenge.mechanism != ChallengeMechanism.SAIMA and challenge.phases.exists():
        cleaned = []  # a race turned into an open call loses its gates
        phases = []
    _save(challenge)
    if phases is not None:
        _replace_phases(challenge, cleaned)
    return challenge


@transaction.atomic
def challenge_publish(*, challenge_id: int, user: Actor, today: dt.date | None = None) -> Challenge:
    """Open the call: published today (Asia/Shanghai) by the user; the deadline must not have passed."""
    challenge = _lock_challenge(challenge_id)
    _require_manager(user, challenge)
    _require_status(challenge, ChallengeStatus.DRAFT)
    day = _today(today)
    if challenge.deadline is None:
        raise ValidationError({"deadline": _("Set the application deadline before publishing.")})
    _check_deadline(challenge.deadline, today=day)
    if challenge.bottleneck.status == BottleneckStatus.COLLECTED:
        raise ValidationError({"bottleneck": _("Publish the bottleneck before a challenge on it.")})
    if challenge.bottleneck.status in SOLVED_BOTTLENECK:
        raise ValidationError({"bottleneck": _("This bottleneck is already broken through.")})
    challenge.status = ChallengeStatus.PUBLISHED
    challenge.published_on = day
    challenge.published_by = signed_in(user)
    _save(challenge)
    return challenge


@transaction.atomic
def challenge_start_review(*, challenge_id: int, user: Actor) -> Challenge:
    """Close the applications and start the review (by hand, before or after the deadline)."""
    challenge = _lock_challenge(challenge_id)
    _require_manager(user, challenge)
    _require_status(challenge, ChallengeStatus.PUBLISHED)
    challenge.status = ChallengeStatus.REVIEWING
    _save(challenge)
    return challenge


@transaction.atomic
def challenge_award(*, challenge_id: int, user: Actor, winner_ids: list[int] | None = None) -> Challenge:
    """Award the challenge. 揭榜挂帅: exactly one winner among the applications still in the race.
    赛马制: the chosen funded teams, or (``winner_ids`` None) every funded team still racing. The winners
    are marked won, the other applications in the race rejected; the bottleneck, if still published, is
    taken (recorded in its history)."""
    challenge = _lock_challenge(challenge_id)
    _require_manager(user, challenge)
    _require_status(challenge, ChallengeStatus.REVIEWING)
    applications = list(Application.objects.select_for_update().filter(challenge=challenge).order_by("pk"))
    in_race = {a.pk: a for a in applications if a.status in IN_RACE}
    if challenge.mechanism == ChallengeMechanism.JIEBANG:
        if not winner_ids or len(set(winner_ids)) != 1:
            raise ValidationError({"winners": _("揭榜挂帅 has exactly one winner: choose one application.")})
        eligible = in_race
    else:
        eligible = {pk: a for pk, a in in_race.items() if a.status == ApplicationStatus.FUNDED}
        if winner_ids is None:
            winner_ids = list(eligible)
        if not winner_ids:
            raise ValidationError({"winners": _("No funded team is left in the race.")})
        if len(set(winner_ids)) > challenge.max_funded_teams:
            raise ValidationError({"winners": _("More winners than funded teams.")})
    unknown = [pk for pk in winner_ids if pk not in eligible]
    if unknown:
        message = (
            _("Only an application still in the race can win.")
            if challenge.mechanism == ChallengeMechanism.JIEBANG
            else _("Only a funded team still in the race can win.")
        )
        raise ValidationError({"winners": message})
    winners = set(winner_ids)
    for application in in_race.values():
        application.status = ApplicationStatus.WON if application.pk in winners else ApplicationStatus.REJECTED
        application.save(update_fields=["status", "updated_at"])
    challenge.status = ChallengeStatus.AWARDED
    _save(challenge)
    bottleneck = challenge.bottleneck
    if bottleneck.status == BottleneckStatus.PUBLISHED:
        label = "揭榜" if challenge.mechanism == ChallengeMechanism.JIEBANG else "赛马"
        mapedit.bottleneck_update(
            bottleneck_id=bottleneck.pk,
            user=user,
            reason=f"{label} awarded: {challenge.code}",
            expected_version=None,
            changes={"status": BottleneckStatus.TAKEN, "mechanism": challenge.mechanism},
        )
    return challenge


@transaction.atomic
def challenge_close(*, challenge_id: int, user: Actor) -> Challenge:
    """Close an awarded challenge, or call off a published / reviewing one (its open applications are
    rejected)."""
    challenge = _lock_challenge(challenge_id)
    _require_manager(user, challenge)
    _require_status(challenge, ChallengeStatus.PUBLISHED, ChallengeStatus.REVIEWING, ChallengeStatus.AWARDED)
    if challenge.status != ChallengeStatus.AWARDED:
        for application in Application.objects.select_for_update().filter(challenge=challenge, status__in=IN_RACE):
            application.status = ApplicationStatus.REJECTED
            application.save(update_fields=["status", "updated_at"])
    challenge.status = ChallengeStatus.CLOSED
    _save(challenge)
    return challenge


# --- phase gates (赛马制) ------------------------------------------------------------------------


@transaction.atomic
def phase_save(*, challenge_id: int, user: Actor, data: PhaseInput) -> ChallengePhase:
    """Add a gate to a race (``position`` None: after the last) or change the gate at ``position``.
    Gates stay in date order."""
    challenge = _lock_challenge(challenge_id)
    _require_manager(user, challenge)
    _require_status(challenge, ChallengeStatus.DRAFT, ChallengeStatus.PUBLISHED, ChallengeStatus.REVIEWING)
    if challenge.mechanism != ChallengeMechanism.SAIMA:
        raise ValidationError({"phases": _("Only a 赛马制 race has phase gates.")})
    name = _text(data.value("name", ""), field="name", max_length=100)
    gate_on, position = data.value("gate_on", None), data.position
    if not isinstance(gate_on, dt.date):
        raise ValidationError({"gate_on": _("Enter the gate's date.")})
    phases = {phase.position: phase for phase in challenge.phases.all()}
    if position is None:
        if len(phases) >= MAX_PHASES:
            raise ValidationError({"phases": _("At most %(max)d phase gates.") % {"max": MAX_PHASES}})
        position = max(phases, default=0) + 1
        phase = ChallengePhase(challenge=challenge, position=position)
    elif position in phases:
        phase = phases[position]
    else:
        raise ValidationError({"position": _("No gate at this position.")})
    before = [p.gate_on for pos, p in phases.items() if pos < position]
    after = [p.gate_on for pos, p in phases.items() if pos > position]
    if (before and gate_on <= max(before)) or (after and gate_on >= min(after)):
        raise ValidationError({"gate_on": _("Each gate comes after the one before.")})
    phase.name = name
    phase.gate_on = gate_on
    _save(phase)
    # The gates are part of the challenge: its ETag moves.
    Challenge.objects.filter(pk=challenge.pk).update(version=F("version") + 1)
    return phase


# --- applications -------------------------------------------------------------------------------


@transaction.atomic
def application_submit(
    *,
    challenge_id: int,
    user: Actor,
    data: ApplicationInput | Mapping[str, Any],
    today: dt.date | None = None,
) -> Application:
    """An enterprise member applies for their own enterprise, optionally with a consortium of other
    enterprises, before the deadline. One application per enterprise per challenge. ``data`` (a mapping
    is read as ``ApplicationInput.from_data``) gives the team lead and the proposal."""
    given = ApplicationInput.of(data)
    team_lead, proposal = given.value("team_lead", None), given.value("proposal", None)
    consortium_ids: Iterable[int] = given.value("consortium_ids", None) or ()
    challenge = _lock_challenge(challenge_id)
    enterprise_id = roles.member_enterprise_id(user)
    if enterprise_id is None:
        raise PermissionDenied(_("Only an enterprise's members apply to challenges, for their enterprise."))
    if challenge.status != ChallengeStatus.PUBLISHED:
        raise ValidationError({"status": _("This challenge is not open for applications.")})
    if not permissions.can_apply(user=user, challenge=challenge):
        raise PermissionDenied(_("You may not apply to this challenge."))
    if challenge.deadline is not None and _today(today) > challenge.deadline:
        raise ValidationError({"deadline": _("The application deadline has passed.")})
    if Application.objects.filter(challenge=challenge, enterprise_id=enterprise_id).exists():
        raise ValidationError({"challenge": _("Your enterprise has applied to this challenge already.")})
    partner_ids = sorted(set(consortium_ids))
    if enterprise_id in partner_ids:
        raise ValidationError({"consortium": _("The applicant itself is not a consortium member.")})
    if len(partner_ids) > MAX_CONSORTIUM:
        raise ValidationError({"consortium": _("At most %(max)d consortium members.") % {"max": MAX_CONSORTIUM}})
    partners = list(Enterprise.objects.filter(pk__in=partner_ids))
    if len(partners) != len(partner_ids):
        raise ValidationError({"consortium": _("Unknown enterprise.")})
    application = Application(
        challenge=challenge,
        enterprise_id=enterprise_id,
        team_lead=_text(team_lead, field="team_lead", max_length=100),
        proposal=_text(proposal, field="proposal", max_length=8000),
        submitted_by=signed_in(user),
    )
    _save(application)
    application.consortium.set(partners)
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, user: Actor) -> Application:
    """The applicant's own members withdraw it while it is still in the race (before the award)."""
    application = _lock_application(application_id)
    if roles.member_enterprise_id(user) != application.enterprise_id:
        raise PermissionDenied(_("Only the applicant's own members may withdraw the application."))
    if not permissions.can_withdraw_application(user=user, application=application):
        raise ValidationError({"status": _("This application can no longer be withdrawn.")})
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    return application


def _score(value: Any, field: str) -> Decimal:
    try:
        score = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a score from 0 to 100.")}) from None
    if not score.is_finite() or not 0 <= score <= 100:
        raise ValidationError({field: _("Enter a score from 0 to 100.")})
    return score.quantize(Decimal("0.01"))


@transaction.atomic
def application_score(*, application_id: int, reviewer: Actor, scores: list[dict[str, Any]]) -> list[ReviewScore]:
    """Record the reviewer's scores (``{criterion, score, comment}``, 0–100): one per criterion, a new score
    replacing the reviewer's previous one. Never by a member of the applicant or of its consortium."""
    application = _lock_application(application_id)
    check_can_score(user=reviewer, application=application)
    _require_status(application.challenge, ChallengeStatus.REVIEWING)
    if application.status not in IN_RACE:
        raise ValidationError({"application": _("Only an application still in the race is scored.")})
    if not scores:
        raise ValidationError({"scores": _("Give at least one score.")})
    cleaned: dict[str, tuple[Decimal, str]] = {}
    for index, item in enumerate(scores):
        criterion = item.get("criterion")
        if criterion not in Criterion.values:
            raise ValidationError({f"scores.{index}.criterion": _("Unknown criterion.")})
        if criterion in cleaned:
            raise ValidationError({f"scores.{index}.criterion": _("Score each criterion once.")})
        comment = _text(item.get("comment"), field=f"scores.{index}.comment", max_length=1000, required=False)
        cleaned[criterion] = (_score(item.get("score"), f"scores.{index}.score"), comment)
    saved = []
    for criterion, (score, comment) in cleaned.items():
        row, _created = ReviewScore.objects.update_or_create(
            application=application,
            reviewer=reviewer,
            criterion=criterion,
            defaults={"score": score, "comment": comment},
        )
        saved.append(row)
    return saved


@transaction.atomic
def application_decide(
    *, application_id: int, user: Actor, decision: str, phase_position: int | None = None
) -> Application:
    """A panel decision during the review:

    - ``shortlist``: submitted → shortlisted;
    - ``fund`` (赛马制): submitted / shortlisted → funded, up to the challenge's number of funded teams;
    - ``advance`` (赛马制): a funded team passes the gate at ``phase_position``;
    - ``eliminate`` (赛马制): a funded team is out at the gate at ``phase_position``;
    - ``reject``: submitted / shortlisted / funded → rejected.
    """
    application = _lock_application(application_id)
    challenge = application.challenge
    _require_manager(user, challenge)
    _require_status(challenge, ChallengeStatus.REVIEWING)
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Unknown decision.")})
    if decision in ("fund", "advance", "eliminate") and challenge.mechanism != ChallengeMechanism.SAIMA:
        raise ValidationError({"decision": _("Funding teams and phase gates belong to a 赛马制 race.")})
    allowed_from = {
        "shortlist": (ApplicationStatus.SUBMITTED,),
        "fund": (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED),
        "advance": (ApplicationStatus.FUNDED,),
        "eliminate": (ApplicationStatus.FUNDED,),
        "reject": IN_RACE,
    }[decision]
    if application.status not in allowed_from:
        raise ValidationError(
            {
                "status": _("Not possible for an application that is %(status)s.")
                % {"status": application.get_status_display()}
            }
        )
    if decision == "fund":
        funded = Application.objects.filter(challenge=challenge, status=ApplicationStatus.FUNDED).count()
        if funded >= challenge.max_funded_teams:
            raise ValidationError(
                {"decision": _("All %(max)d funded places are taken.") % {"max": challenge.max_funded_teams}}
            )
        application.status = ApplicationStatus.FUNDED
    elif decision in ("advance", "eliminate"):
        phase = challenge.phases.filter(position=phase_position).first() if phase_position is not None else None
        if phase is None:
            raise ValidationError({"phase": _("Choose the gate.")})
        application.phase_reached = phase
        if decision == "eliminate":
            application.status = ApplicationStatus.ELIMINATED
    elif decision == "shortlist":
        application.status = ApplicationStatus.SHORTLISTED
    else:
        application.status = ApplicationStatus.REJECTED
    application.save(update_fields=["status", "phase_reached", "updated_at"])
    return application
