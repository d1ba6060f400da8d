"""Report subscriptions: which chains, clusters and regions a user receives round reports for, and in
which language. No chain and no cluster chosen means every report.

A user manages their own subscription, the joint office anyone's (``can_manage_subscription``). Only
users who may read reports (``can_view_reports``: officials and report subscribers) may subscribe;
one subscription per user.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor, signed_in
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.core.versions import version_check
from chainmap.models import Chain, Cluster, Region, Subscription

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True, kw_only=True)
class SubscriptionInput(WriteInput):
    """What a subscription covers, in the service's names: what the subscription page's
    ``SubscriptionForm.to_input`` and the API's ``SubscriptionInputSerializer.to_input`` produce (the
    chains, clusters and regions as ids). No chain and no cluster: every round's report."""

    MANY = {"chains": "chain_ids", "clusters": "cluster_ids", "regions": "region_ids"}

    chain_ids: list[int] = UNSET
    cluster_ids: list[int] = UNSET
    region_ids: list[int] = UNSET
    language: str = UNSET
    is_active: bool = UNSET


SUBSCRIPTION_FIELDS = SubscriptionInput.field_names()


def _ids(model: type[Model], ids: Iterable[int] | None, field: str) -> list[int]:
    wanted = sorted(set(ids or []))
    if not all(isinstance(pk, int) for pk in wanted):
        raise ValidationError({field: _("Choose from the list.")})
    found = set(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({field: _("Unknown choice(s): %(ids)s.") % {"ids": ", ".join(map(str, missing))}})
    return wanted


def _check(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(SUBSCRIPTION_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    clean: dict[str, Any] = {}
    if "language" in changes:
        if changes["language"] not in LANGUAGES:
            raise ValidationError(
                {"language": _("Choose one of the languages: %(codes)s.") % {"codes": ", ".join(LANGUAGES)}}
            )
        clean["language"] = changes["language"]
    if "is_active" in changes:
        clean["is_active"] = bool(changes["is_active"])
    for key, model, field in (
        ("chain_ids", Chain, "chains"),
        ("cluster_ids", Cluster, "clusters"),
        ("region_ids", Region, "regions"),
    ):
        if key in changes:
            clean[key] = _ids(model, changes[key], field)
    return clean


def _write(subscription: Subscription, clean: dict[str, Any]) -> None:
    for key in ("language", "is_active"):
        if key in clean:
            setattr(subscription, key, clean[key])
    if subscription.pk is not None:
        subscription.version += 1
    subscription.save()
    if "chain_ids" in clean:
        subscription.chains.set(clean["chain_ids"])
    if "cluster_ids" in clean:
        subscription.clusters.set(clean["cluster_ids"])
    if "region_ids" in clean:
        subscription.regions.set(clean["region_ids"])


@transaction.atomic
def subscription_create(
    *,
    user: Actor,
    for_user_id: int | None = None,
    data: SubscriptionInput | Mapping[str, Any] | None = None,
) -> Subscription:
    """Subscribe ``for_user_id`` (default: the user) to round reports: to what ``data`` gives (a mapping
    is read as ``SubscriptionInput.from_data``); every report, in Chinese, active, unless given."""
    given = SubscriptionInput() if data is None else SubscriptionInput.of(data)
    target_id = signed_in(user).pk if for_user_id is None else for_user_id
    target = get_user_model().objects.filter(pk=target_id).select_related("membership").first()
    if target is None:
        raise ValidationError({"user": _("No such user.")})
    if not permissions.can_manage_subscription(user=user, subscription=Subscription(user_id=target.pk)):
        raise PermissionDenied(_("You may only manage your own subscription."))
    if not permissions.can_view_reports(user=target):
        if target.pk == user.pk:
            raise PermissionDenied(_("Round reports are for officials and report subscribers."))
        raise ValidationError({"user": _("This user may not receive round reports.")})
    if Subscription.objects.filter(user_id=target.pk).exists():
        raise ValidationError({"user": _("This user already has a subscription: change it instead.")})
    clean = _check(
        {
            "chain_ids": given.value("chain_ids", []),
            "cluster_ids": given.value("cluster_ids", []),
            "region_ids": given.value("region_ids", []),
            "language": given.value("language", "zh-hans"),
            "is_active": given.value("is_active", True),
        }
    )
    subscription = Subscription(user=target)
    try:
        with transaction.atomic():
            _write(subscription, clean)
    except IntegrityError as exc:  # a concurrent create for the same user
        raise ValidationError({"user": _("This user already has a subscription: change it instead.")}) from exc
    return subscription


def _locked(subscription_id: int, user: Actor) -> Subscription:
    subscription = Subscription.objects.select_for_update().select_related("user").filter(pk=subscription_id).first()
    if subscription is None:
        raise ValidationError({"subscription": _("This subscription no longer exists.")})
    if not permissions.can_manage_subscription(user=user, subscription=subscription):
        raise PermissionDenied(_("You may only manage your own subscription."))
    return subscription


@transaction.atomic
def subscription_update(
    *,
    subscription_id: int,
    user: Actor,
    changes: SubscriptionInput | Mapping[str, Any],
    expected_version: int | None = None,
) -> Subscription:
    """Change the chosen chains / clusters / regions (``*_ids``), ``language`` or ``is_active`` (what
    ``changes`` gives; a mapping is read as ``SubscriptionInput.from_data``); a stale ``expected_version``
    raises ConflictError and writes nothing."""
    subscription = _locked(subscription_id, user)
    version_check(subscription, expected_version)
    clean = _check(SubscriptionInput.of(changes).given())
    if clean.get("is_active", subscription.is_active) and not permissions.can_view_reports(user=subscription.user):
        raise ValidationError({"is_active": _("This user may not receive round reports.")})
    _write(subscription, clean)
    return subscription


@transaction.atomic
def subscription_delete(*, subscription_id: int, user: Actor, expected_version: int | None = None) -> None:
    """Unsubscribe; deliveries already made keep their record (their subscription link is cleared)."""
    subscription = _locked(subscription_id, user)
    version_check(subscription, expected_version)
    subscription.delete()
