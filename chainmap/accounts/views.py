"""Account pages: password change, the joint office's user list with deactivate / activate, and
the page shown to a locked-out login (django-axes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from chainmap.accounts import permissions
from chainmap.accounts import services as accounts

USERS_PAGE_SIZE = 50

password_change = auth_views.PasswordChangeView.as_view(
    template_name="registration/password_change_form.html",
    success_url=reverse_lazy("chainmap:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html",
)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a page, 429 Too Many Requests."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class UserStatusForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=accounts.REASON_MAX_LENGTH, strip=True, required=True
    )


def _users_page(request: HttpRequest, *, errors: dict[int, list[str]] | None = None, status: int = 200) -> HttpResponse:
    users = (
        get_user_model()
        .objects.select_related("membership__region", "membership__enterprise")
        .order_by("-is_active", "username")
    )
    page_obj = Paginator(users, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "user": user,
            "membership": getattr(user, "membership", None),
            "can_change": permissions.can_change_user_active(user=request.user, target=user),
            "errors": (errors or {}).get(user.pk, []),
        }
        for user in page_obj
    ]
    return render(request, "chainmap/accounts/users.html", {"page_obj": page_obj, "rows": rows}, status=status)


@require_safe
def user_list(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_users(user=request.user):
        raise PermissionDenied
    return _users_page(request)


def _change_status(request: HttpRequest, user_id: int, *, activate: bool) -> HttpResponse:
    if not permissions.can_manage_users(user=request.user):
        raise PermissionDenied
    form = UserStatusForm(data=request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": form.errors["reason"]})
        reason = form.cleaned_data["reason"]
        if activate:
            target = accounts.user_activate(user_id=user_id, by=request.user, reason=reason)
            messages.success(request, _("%(user)s can log in again.") % {"user": target.get_username()})
        else:
            ended = accounts.user_deactivate(user_id=user_id, by=request.user, reason=reason)
            messages.success(request, _("User deactivated; %(count)d session(s) ended.") % {"count": ended})
    except ValidationError as error:
        field_errors = [
            f"{_('Reason') if field == 'reason' else _('User')}: {message}"
            for field, messages_ in error.message_dict.items()
            for message in messages_
        ]
        return _users_page(request, errors={user_id: field_errors}, status=400)
    page = request.GET.get("page", "")
    return redirect(f"{reverse('chainmap:user_list')}?page={page if page.isdigit() else 1}")


@require_POST
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change_status(request, user_id, activate=False)


@require_POST
def user_activate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change_status(request, user_id, activate=True)
