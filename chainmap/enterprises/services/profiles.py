"""The capability profile lifecycle: draft → submitted → returned / approved (→ superseded).

An enterprise has at most one approved and one working (draft, submitted or returned) version;
the database enforces both. Approved versions are never edited: a new working version is copied
from the approved one, and approving it supersedes the old one in the same transaction.

Every save of a profile, offer or need stores its tokens (``chainmap.matching.services.text``), so
matching reads cached tokens and never tokenizes at report time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor, signed_in
from chainmap.core.exceptions import ConflictError
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.core.versions import version_check
from chainmap.matching.services import text
from chainmap.models import (
    WORKING_STATUSES,
    CapabilityProfile,
    Enterprise,
    Node,
    ProfileStatus,
    SupplyOffer,
    TechnologyNeed,
)

# The profile fields an enterprise edits (the rest is lifecycle bookkeeping).
PROFILE_FIELDS: tuple[str, ...] = ("products", "core_technologies", "capacity", "trl", "certifications")
EDITABLE_STATUSES = (ProfileStatus.DRAFT, ProfileStatus.RETURNED)
REVIEW_COMMENT_MAX = CapabilityProfile._meta.get_field("review_comment").max_length


# --- the inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProfileInput(WriteInput):
    """One edit of a working version's profile fields, in the service's names: what the editor's form
    (``ProfileForm.to_input``) and the API's serializer (``ProfileUpdateSerializer.to_input``) both
    produce. A field left ``UNSET`` keeps its value."""

    products: str = UNSET
    core_technologies: str = UNSET
    capacity: str = UNSET
    trl: int = UNSET
    certifications: str = UNSET


@dataclass(frozen=True, kw_only=True)
class OfferInput(WriteInput):
    """One add or change of a supply offer: what ``OfferForm.to_input`` and the API's
    ``OfferInputSerializer.to_input`` both produce. A field left ``UNSET`` keeps the offer's value
    (a new offer: no description, the profile's TRL); a new offer needs its node and title."""

    RELATIONS = {"node": "node_id"}

    node_id: int = UNSET
    title: str = UNSET
    description: str = UNSET
    trl: int | None = UNSET


@dataclass(frozen=True, kw_only=True)
class NeedInput(WriteInput):
    """One add or change of a technology need: what ``NeedForm.to_input`` and the API's
    ``NeedInputSerializer.to_input`` both produce. A field left ``UNSET`` keeps the need's value
    (a new need: no description, not a bottleneck, open); a new need needs its node and title."""

    RELATIONS = {"node": "node_id"}

    node_id: int = UNSET
    title: str = UNSET
    description: str = UNSET
    is_bottleneck: bool = UNSET
    status: str = UNSET


assert set(ProfileInput.field_names()) == set(PROFILE_FIELDS)


# --- validation --------------------------------------------------------------------------------


def _clean_text(model: type[Any], field: str, value: Any, *, required: bool = False, name: str = "") -> str:
    """A text field's value, stripped; over-long or missing → ValidationError naming the field
    (``name`` when the form calls it differently).

    TextField's ``max_length`` is not enforced by the database, so it is checked here."""
    field_name = name or field
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field_name: _("Enter text.")})
    value = value.strip()
    if required and not value:
        raise ValidationError({field_name: _("This field is required.")})
    limit = model._meta.get_field(field).max_length
    if limit is not None and len(value) > limit:
        message = _("Ensure this value has at most %(limit)d characters (it has %(n)d).")
        raise ValidationError({field_name: message % {"limit": limit, "n": len(value)}})
    return value


def _clean_trl(field: str, value: Any, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise ValidationError({field: _("Enter a whole number from 1 to 9.")})
    number = int(value)
    if not 1 <= number <= 9:
        raise ValidationError({field: _("Enter a whole number from 1 to 9.")})
    return number


def _node(node_id: Any) -> Node:
    try:
        return Node.objects.get(pk=int(node_id))
    except (TypeError, ValueError, Node.DoesNotExist):
        raise ValidationError({"node": _("Choose a node of a chain map.")}) from None


def _collect(checks: dict[str, Any]) -> dict[str, Any]:
    """Run each field's check; raise one ValidationError naming every bad field."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, check in checks.items():
        try:
            values[field] = check()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


# --- fetching with locks and rules -------------------------------------------------------------


def _locked_profile(profile_id: int) -> CapabilityProfile:
    # of=("self",): the enterprise row is read, not locked.
    return (
        CapabilityProfile.objects.select_for_update(of=("self",))
        .select_related("enterprise", "enterprise__region")
        .get(pk=profile_id)
    )


def check_profile_editable(*, profile: CapabilityProfile, user: Actor) -> None:
    """The one check of every change to a version, its offers and needs, for pages and API alike: not
    one of the enterprise's own members → 403 (PermissionDenied); a version no longer a draft or
    returned → 400 naming ``status``. The services run it on the locked row; a page runs it first too,
    before it shows its form."""
    if not permissions.can_edit_profile(user=user, enterprise=profile.enterprise):
        raise PermissionDenied(_("Only the enterprise's own members edit its capability profile."))
    if profile.status not in EDITABLE_STATUSES:
        raise ValidationError(
            {
                "status": _("Only a draft or returned version can be changed; this one is %(status)s.")
                % {"status": profile.get_status_display()}
            }
        )


def _editable_profile(*, profile_id: int, user: Actor) -> CapabilityProfile:
    profile = _locked_profile(profile_id)
    check_profile_editable(profile=profile, user=user)
    return profile


def _reviewable_profile(*, profile_id: int, reviewer: Actor) -> CapabilityProfile:
    """The one check of a review, for pages and API alike: not a reviewer of the enterprise → 403
    (PermissionDenied); a version no longer submitted (reviewed or withdrawn meanwhile) → 400 naming
    ``status``."""
    profile = _locked_profile(profile_id)
    if not permissions.is_profile_reviewer(user=reviewer, enterprise=profile.enterprise):
        raise PermissionDenied(_("Only officials of the enterprise's region or the joint office review its profile."))
    if profile.status != ProfileStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted version can be reviewed.")})
    return profile


def _store_tokens(profile: CapabilityProfile) -> None:
    """Tokens of the version and of each of its offers and needs (a handful of rows)."""
    profile.tokens = text.tokens_refresh_profile(profile_id=profile.pk)
    for offer_id in profile.offers.values_list("pk", flat=True):
        text.tokens_refresh_offer(offer_id=offer_id)
    for need_id in profile.needs.values_list("pk", flat=True):
        text.tokens_refresh_need(need_id=need_id)


def _touch(profile: CapabilityProfile) -> None:
    """A change to an offer or need is a change to the version (its ``updated_at`` and ``edit_version``:
    the profile's ETag moves). The caller holds the profile's row lock."""
    CapabilityProfile.objects.filter(pk=profile.pk).update(
        updated_at=timezone.now(), edit_version=F("edit_version") + 1
    )
    profile.edit_version += 1


# --- the lifecycle -----------------------------------------------------------------------------


@transaction.atomic
def profile_start_draft(*, enterprise_id: int, user: Actor) -> CapabilityProfile:
    """The enterprise's working version: the existing one, or a new draft copied from the approved
    version (with its offers and needs), or an empty first draft."""
    # Locking the enterprise serializes two "start" clicks: only one new version is made.
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise_id)
    if not permissions.can_edit_profile(user=user, enterprise=enterprise):
        raise PermissionDenied(_("Only the enterprise's own members edit its capability profile."))
    working = CapabilityProfile.objects.filter(enterprise=enterprise, status__in=WORKING_STATUSES).first()
    if working is not None:
        return working
    approved = CapabilityProfile.objects.filter(enterprise=enterprise, status=ProfileStatus.APPROVED).first()
    last = CapabilityProfile.objects.filter(enterprise=enterprise).aggregate(v=Max("version"))["v"] or 0
    fields = {field: getattr(approved, field) for field in PROFILE_FIELDS} if approved else {}
    draft = CapabilityProfile.objects.create(
        enterprise=enterprise, version=last + 1, status=ProfileStatus.DRAFT, **fields
    )
    if approved is not None:
        copied_fields = ("node_id", "title", "description")
        SupplyOffer.objects.bulk_create(
            SupplyOffer(profile=draft, trl=offer.trl, **{f: getattr(offer, f) for f in copied_fields})
            for offer in approved.offers.order_by("pk")
        )
        TechnologyNeed.objects.bulk_create(
            TechnologyNeed(
                profile=draft,
                is_bottleneck=need.is_bottleneck,
                status=need.status,
                **{f: getattr(need, f) for f in copied_fields},
            )
            for need in approved.needs.order_by("pk")
        )
    _store_tokens(draft)
    return draft


def _node_by_code(code: Any, nodes: dict[str, Node]) -> Node:
    node = nodes.get(code) if isinstance(code, str) else None
    if node is None:
        raise ValidationError({"node": _("Unknown node code %(code)s.") % {"code": code}})
    return node


def _offer_checks(item: dict[str, Any], nodes: dict[str, Node]) -> dict[str, Any]:
    return {
        "node": lambda: _node_by_code(item.get("node"), nodes),
        "title": lambda: _clean_text(SupplyOffer, "title", item.get("title"), required=True),
        "description": lambda: _clean_text(SupplyOffer, "description", item.get("description", "")),
        "trl": lambda: _clean_trl("trl", item.get("trl"), required=False),
    }


def _need_checks(item: dict[str, Any], nodes: dict[str, Node]) -> dict[str, Any]:
    def clean_status() -> str:
        status = item.get("status", TechnologyNeed.Status.OPEN)
        if status not in TechnologyNeed.Status.values:
            raise ValidationError({"status": _("Choose a valid status.")})
        return str(status)

    def clean_is_bottleneck() -> bool:
        value = item.get("is_bottleneck", False)
        if not isinstance(value, bool):
            raise ValidationError({"is_bottleneck": _("Must be true or false.")})
        return value

    return {
        "node": lambda: _node_by_code(item.get("node"), nodes),
        "title": lambda: _clean_text(TechnologyNeed, "title", item.get("title"), required=True),
        "description": lambda: _clean_text(TechnologyNeed, "description", item.get("description", "")),
        "is_bottleneck": clean_is_bottleneck,
        "status": clean_status,
    }


def _collect_paths(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``_collect`` for several groups of checks at once: group ``""`` holds the top-level fields,
    ``"offers[1]"`` one item's. One ValidationError names every bad field by its path (``offers[1].node``)."""
    values: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    for prefix, checks in groups.items():
        try:
            values[prefix] = _collect(checks)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(f"{prefix}.{name}" if prefix else name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def profile_update(
    *,
    profile_id: int,
    user: Actor,
    expected_edit_version: int,
    changes: ProfileInput | Mapping[str, Any],
    offers: list[dict[str, Any]] | None = None,
    needs: list[dict[str, Any]] | None = None,
) -> CapabilityProfile:
    """Change the profile fields of a draft or returned version and add new ``offers`` / ``needs`` to it.

    Each offer or need is a dict naming its node by code (``node``) with ``title`` and, optionally,
    the other fields of ``offer_save`` / ``need_save``. All or nothing: every value is checked first and
    one ValidationError names each bad one (``offers[1].node``); then everything is written and
    ``edit_version`` goes up once. A stale ``expected_edit_version`` (someone saved meanwhile) raises
    ConflictError and writes nothing. ``changes`` as a mapping is read as ``ProfileInput.from_data``
    (a field no profile field is refused, naming it).

    The one check for pages and API alike: not one of the enterprise's members → 403, a version no
    longer a draft or returned → 400 naming ``status``, then the input → 400 naming each bad field."""
    profile = _editable_profile(profile_id=profile_id, user=user)
    given = ProfileInput.of(changes).given()
    if profile.edit_version != expected_edit_version:
        raise ConflictError(
            current=profile,
            expected_version=expected_edit_version,
            changes=[
                {
                    "user": None,
                    "at": profile.updated_at,
                    "reason": "",
                    "fields": [(field, None, getattr(profile, field)) for field in PROFILE_FIELDS],
                }
            ],
        )
    offers, needs = list(offers or []), list(needs or [])
    codes = {item.get("node") for item in (*offers, *needs) if isinstance(item.get("node"), str)}
    nodes = {node.code: node for node in Node.objects.filter(code__in=codes)} if codes else {}
    checks: dict[str, Any] = {}
    for field, value in given.items():
        if field == "trl":
            checks[field] = lambda value=value: _clean_trl("trl", value, required=True)
        else:
            checks[field] = lambda field=field, value=value: _clean_text(CapabilityProfile, field, value)
    groups: dict[str, dict[str, Any]] = {"": checks}
    groups.update({f"offers[{index}]": _offer_checks(item, nodes) for index, item in enumerate(offers)})
    groups.update({f"needs[{index}]": _need_checks(item, nodes) for index, item in enumerate(needs)})
    values = _collect_paths(groups)
    for field, value in values.pop("").items():
        setattr(profile, field, value)
    profile.edit_version += 1
    profile.save()
    text.tokens_refresh_profile(profile_id=profile.pk)
    for prefix, item_values in values.items():
        if prefix.startswith("offers["):
            offer = SupplyOffer.objects.create(profile=profile, **item_values)
            text.tokens_refresh_offer(offer_id=offer.pk)
        else:
            need = TechnologyNeed.objects.create(profile=profile, **item_values)
            text.tokens_refresh_need(need_id=need.pk)
    profile.refresh_from_db(fields=["tokens"])
    return profile


@transaction.atomic
def offer_save(
    *,
    profile_id: int,
    user: Actor,
    data: OfferInput | None = None,
    offer_id: int | None = None,
    expected_version: int | None = None,
    node_id: int = UNSET,
    title: str = UNSET,
    description: str = "",
    trl: int | None = None,
) -> SupplyOffer:
    """Add a supply offer (``data``) to a draft or returned version, or change one of its offers
    (``offer_id``; a stale ``expected_version`` raises ConflictError and writes nothing). A caller
    holding no input gives ``node_id``, ``title``, ``description`` and ``trl`` instead, every one of them.

    The one check for pages and API alike: not one of the enterprise's members → 403, a version no
    longer a draft or returned → 400 naming ``status``, then the input → 400 naming each bad field."""
    if data is None:
        data = OfferInput(node_id=node_id, title=title, description=description, trl=trl)
    profile = _editable_profile(profile_id=profile_id, user=user)
    offer = SupplyOffer(profile=profile, description="", trl=None)
    if offer_id is not None:
        found_offer = SupplyOffer.objects.select_for_update().filter(pk=offer_id, profile=profile).first()
        if found_offer is None:
            raise ValidationError({"offer": _("This offer is not part of the version.")})
        offer = found_offer
        version_check(offer, expected_version)
    values = _collect(
        {
            "node": lambda: _node(data.value("node_id", offer.node_id)),
            "title": lambda: _clean_text(SupplyOffer, "title", data.value("title", offer.title), required=True),
            "description": lambda: _clean_text(
                SupplyOffer, "description", data.value("description", offer.description)
            ),
            "trl": lambda: _clean_trl("trl", data.value("trl", offer.trl), required=False),
        }
    )
    return _item_store(offer, values, profile=profile, tokenize=text.tokens_refresh_offer, key="offer_id")


def _item_store(item: Any, values: dict[str, Any], *, profile: CapabilityProfile, tokenize: Any, key: str) -> Any:
    """Save an offer or need with its cleaned values and store its matching tokens."""
    for field, value in values.items():
        setattr(item, field, value)
    if item.pk is not None:
        item.version += 1
    item.save()
    tokenize(**{key: item.pk})
    item.refresh_from_db(fields=["tokens"])
    _touch(profile)
    return item


def _item_delete(
    model: Any, *, item_id: int, user: Actor, field: str, missing: str, expected_version: int | None
) -> None:
    profile_id = model.objects.filter(pk=item_id).values_list("profile_id", flat=True).first()
    if profile_id is None:
        raise ValidationError({field: missing})
    profile = _editable_profile(profile_id=profile_id, user=user)
    item = model.objects.select_for_update().filter(pk=item_id, profile=profile).first()
    if item is None:
        raise ValidationError({field: missing})
    version_check(item, expected_version)
    item.delete()
    _touch(profile)


@transaction.atomic
def offer_delete(*, offer_id: int, user: Actor, expected_version: int | None = None) -> None:
    _item_delete(
        SupplyOffer,
        item_id=offer_id,
        user=user,
        field="offer",
        missing=_("This offer does not exist."),
        expected_version=expected_version,
    )


@transaction.atomic
def need_save(
    *,
    profile_id: int,
    user: Actor,
    data: NeedInput | None = None,
    need_id: int | None = None,
    expected_version: int | None = None,
    node_id: int = UNSET,
    title: str = UNSET,
    description: str = "",
    is_bottleneck: bool = False,
    status: str = TechnologyNeed.Status.OPEN,
) -> TechnologyNeed:
    """Add a technology need (``data``) to a draft or returned version, or change one of its needs
    (``need_id``; a stale ``expected_version`` raises ConflictError and writes nothing). A caller
    holding no input gives ``node_id``, ``title``, ``description``, ``is_bottleneck`` and ``status``
    instead, every one of them.

    The one check for pages and API alike: not one of the enterprise's members → 403, a version no
    longer a draft or returned → 400 naming ``status``, then the input → 400 naming each bad field."""
    if data is None:
        data = NeedInput(
            node_id=node_id, title=title, description=description, is_bottleneck=is_bottleneck, status=status
        )
    profile = _editable_profile(profile_id=profile_id, user=user)
    need = TechnologyNeed(profile=profile, description="", is_bottleneck=False, status=TechnologyNeed.Status.OPEN)
    if need_id is not None:
        found_need = TechnologyNeed.objects.select_for_update().filter(pk=need_id, profile=profile).first()
        if found_need is None:
            raise ValidationError({"need": _("This need is not part of the version.")})
        need = found_need
        version_check(need, expected_version)

    def clean_status() -> str:
        value = data.value("status", need.status)
        if value not in TechnologyNeed.Status.values:
            raise ValidationError({"status": _("Choose a valid status.")})
        return str(value)

    values = _collect(
        {
            "node": lambda: _node(data.value("node_id", need.node_id)),
            "title": lambda: _clean_text(TechnologyNeed, "title", data.value("title", need.title), required=True),
            "description": lambda: _clean_text(
                TechnologyNeed, "description", data.value("description", need.description)
            ),
            "status": clean_status,
        }
    )
    values["is_bottleneck"] = bool(data.value("is_bottleneck", need.is_bottleneck))
    return _item_store(need, values, profile=profile, tokenize=text.tokens_refresh_need, key="need_id")


@transaction.atomic
def need_delete(*, need_id: int, user: Actor, expected_version: int | None = None) -> None:
    _item_delete(
        TechnologyNeed,
        item_id=need_id,
        user=user,
        field="need",
        missing=_("This need does not exist."),
        expected_version=expected_version,
    )


@transaction.atomic
def profile_submit(*, profile_id: int, user: Actor) -> CapabilityProfile:
    """Send a draft or returned version to the region's officials for review."""
    profile = _editable_profile(profile_id=profile_id, user=user)
    if not (profile.products.strip() or profile.core_technologies.strip()):
        raise ValidationError({"products": _("Describe the products or the core technologies before submitting.")})
    profile.status = ProfileStatus.SUBMITTED
    profile.submitted_at = timezone.now()
    profile.submitted_by = signed_in(user)
    profile.edit_version += 1
    profile.save()
    return profile


@transaction.atomic
def profile_withdraw(*, profile_id: int, user: Actor) -> CapabilityProfile:
    """Take a submitted version back to draft (before it is reviewed), to change it."""
    profile = _locked_profile(profile_id)
    if not permissions.can_edit_profile(user=user, enterprise=profile.enterprise):
        raise PermissionDenied(_("Only the enterprise's own members edit its capability profile."))
    if profile.status != ProfileStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted version can be withdrawn.")})
    profile.status = ProfileStatus.DRAFT
    profile.edit_version += 1
    profile.save()
    return profile


@transaction.atomic
def profile_approve(*, profile_id: int, reviewer: Actor, comment: str = "") -> CapabilityProfile:
    """Approve a submitted version: it becomes the one matching uses; the previously approved
    version becomes superseded (first, so the one-approved constraint holds at every statement)."""
    profile = _reviewable_profile(profile_id=profile_id, reviewer=reviewer)
    comment = _clean_text(CapabilityProfile, "review_comment", comment, name="comment")
    CapabilityProfile.objects.filter(enterprise_id=profile.enterprise_id, status=ProfileStatus.APPROVED).update(
        status=ProfileStatus.SUPERSEDED, updated_at=timezone.now()
    )
    # With today's user dictionary, so the version matching starts using has current tokens.
    _store_tokens(profile)
    profile.status = ProfileStatus.APPROVED
    profile.reviewed_at = timezone.now()
    profile.reviewed_by = signed_in(reviewer)
    profile.review_comment = comment
    profile.edit_version += 1
    profile.save()
    return profile


@transaction.atomic
def profile_return(*, profile_id: int, reviewer: Actor, comment: str) -> CapabilityProfile:
    """Send a submitted version back to the enterprise with a comment saying what to change."""
    profile = _reviewable_profile(profile_id=profile_id, reviewer=reviewer)
    comment = _clean_text(CapabilityProfile, "review_comment", comment, required=True, name="comment")
    profile.status = ProfileStatus.RETURNED
    profile.reviewed_at = timezone.now()
    profile.reviewed_by = signed_in(reviewer)
    profile.review_comment = comment
    profile.edit_version += 1
    profile.save()
    return profile
