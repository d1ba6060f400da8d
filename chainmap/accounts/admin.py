"""The User admin with deactivate / activate actions that go through ``services.accounts``: a
deactivated user's sessions and API tokens end at once, with a reason in the admin log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chainmap import models as m
from chainmap.accounts import services as accounts
from chainmap.core.admin import ReadOnlyTimestamps

User = get_user_model()


class UserActionForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=accounts.REASON_MAX_LENGTH)


def _apply(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, activate: bool) -> None:
    reason = request.POST.get("reason", "")
    done = 0
    for user_id in queryset.values_list("pk", flat=True):
        try:
            if activate:
                accounts.user_activate(user_id=user_id, by=request.user, reason=reason)
            else:
                accounts.user_deactivate(user_id=user_id, by=request.user, reason=reason)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"{user_id}: {text}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("%(count)d user(s) changed.") % {"count": done}, messages.SUCCESS)


@admin.action(description=gettext_lazy("Deactivate selected users (ends their sessions)"))
def deactivate_users(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _apply(modeladmin, request, queryset, activate=False)


@admin.action(description=gettext_lazy("Activate selected users"))
def activate_users(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _apply(modeladmin, request, queryset, activate=True)


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class ChainmapUserAdmin(UserAdmin):
    action_form = UserActionForm
    actions = [deactivate_users, activate_users]
    list_display = ("username", "last_name", "first_name", "is_active", "is_staff", "last_login")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Switching the account off in the change form must end its sessions just like the action.
        if change and "is_active" in form.changed_data and not obj.is_active:
            accounts.user_credentials_revoke(user_id=obj.pk)


@admin.register(m.Membership)
class MembershipAdmin(ReadOnlyTimestamps, admin.ModelAdmin):
    list_display = ("user", "role", "region", "enterprise", "liaison_level")
    list_filter = ("role", "region", "liaison_level")
    search_fields = ("user__username", "user__first_name", "user__last_name", "enterprise__name")
    list_select_related = ("user", "region", "enterprise")
    autocomplete_fields = ("enterprise",)
