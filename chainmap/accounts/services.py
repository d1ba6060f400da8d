"""User accounts: the joint office deactivates and reactivates users.

Deactivation takes effect at once: every session of the user is deleted and their API tokens are
revoked. (Django's ``ModelBackend`` and DRF's ``TokenAuthentication`` refuse inactive users anyway;
deleting the sessions and tokens also keeps a later reactivation from reviving them.)
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from chainmap.accounts import permissions
from chainmap.core.actors import Actor, User, signed_in

REASON_MAX_LENGTH = 500


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("The reason is too long (at most 500 characters).")})
    return reason


def _target(*, user_id: int, by: Actor) -> User:
    if not permissions.can_manage_users(user=by):
        raise PermissionDenied(_("Only the joint office can activate or deactivate users."))
    try:
        target = User.objects.select_for_update().get(pk=user_id)
    except (User.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"user_id": _("No such user.")}) from None
    if target.pk == by.pk:
        raise ValidationError({"user_id": _("You cannot change the status of your own account.")})
    if not permissions.can_change_user_active(user=by, target=target):
        raise PermissionDenied(_("Only a superuser can activate or deactivate a superuser."))
    return target


def _log(*, by: Actor, target: User, message: str) -> None:
    """Recorded in the admin log, where the user's change history shows who, when and why."""
    LogEntry.objects.create(
        user_id=signed_in(by).pk,
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


def sessions_end(*, user_id: int) -> int:
    """Delete every unexpired session that belongs to the user; returns how many.

    One streamed query over the unexpired rows of the session table, decoded here: the session
    store keeps no user column. Each deletion goes through the store so a cached_db cache entry
    goes too. A cache-only engine cannot be searched; there the inactive flag alone locks the user out.
    """
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    model = store_class.get_model_class()
    decoder = store_class()
    wanted = str(user_id)
    keys = [
        key
        for key, data in model.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator(chunk_size=500)
        if str(decoder.decode(data).get(SESSION_KEY)) == wanted
    ]
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


def user_credentials_revoke(*, user_id: int) -> int:
    """End every session and delete every API token of the user; returns the sessions ended.
    Also called by the admin when an account is switched off in its change form."""
    ended = sessions_end(user_id=user_id)
    Token.objects.filter(user_id=user_id).delete()
    return ended


@transaction.atomic
def user_deactivate(*, user_id: int, by: Actor, reason: str) -> int:
    """Deactivate a user, end all their sessions and revoke their API tokens. Returns the number of
    sessions ended. The joint office only; never oneself."""
    reason = _clean_reason(reason)
    target = _target(user_id=user_id, by=by)
    if target.is_active:
        target.is_active = False
        target.save(update_fields=["is_active"])
    ended = user_credentials_revoke(user_id=target.pk)
    _log(by=by, target=target, message=_("Deactivated: %(reason)s") % {"reason": reason})
    return ended


@transaction.atomic
def user_activate(*, user_id: int, by: Actor, reason: str) -> User:
    """Let a deactivated user log in again. The joint office only."""
    reason = _clean_reason(reason)
    target = _target(user_id=user_id, by=by)
    if not target.is_active:
        target.is_active = True
        target.save(update_fields=["is_active"])
    _log(by=by, target=target, message=_("Activated: %(reason)s") % {"reason": reason})
    return target
