"""The "我的订阅" page: the user's own round-report subscription (officials and report subscribers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from chainmap.accounts import permissions
from chainmap.models import Chain, Cluster, Region, Subscription
from chainmap.reports.services import subscriptions as services

if TYPE_CHECKING:
    from django.contrib.auth.models import User

FORM_FIELDS = {"chain_ids": "chains", "cluster_ids": "clusters", "region_ids": "regions"}


class SubscriptionForm(forms.Form):
    chains = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Chains"),
        queryset=Chain.objects.order_by("position", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("No chain and no cluster chosen: every round's report."),
    )
    clusters = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Clusters"),
        queryset=Cluster.objects.order_by("position", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Regions"),
        queryset=Region.objects.order_by("position", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the mails"), choices=settings.LANGUAGES)
    is_active = forms.BooleanField(label=gettext_lazy("Send me the reports"), required=False)

    def to_input(self) -> services.SubscriptionInput:
        """The fields as the service's input (the same the API's serializer produces)."""
        return services.SubscriptionInput.from_data(self.cleaned_data)


def _allowed(request: HttpRequest) -> User:
    """The signed-in user, when they may read reports (anonymous users never may)."""
    user = request.user
    if not user.is_authenticated or not permissions.can_view_reports(user=user):
        raise PermissionDenied
    return user


def _own(user: User) -> Subscription | None:
    return Subscription.objects.filter(user_id=user.pk).prefetch_related("chains", "clusters", "regions").first()


@require_http_methods(["GET", "HEAD", "POST"])
def my_subscription(request: HttpRequest) -> HttpResponse:
    user = _allowed(request)
    subscription = _own(user)
    if request.method != "POST":
        if subscription is None:
            initial: dict[str, Any] = {"language": request.LANGUAGE_CODE or "zh-hans", "is_active": True}
        else:
            initial = {
                "chains": list(subscription.chains.all()),
                "clusters": list(subscription.clusters.all()),
                "regions": list(subscription.regions.all()),
                "language": subscription.language,
                "is_active": subscription.is_active,
            }
        form = SubscriptionForm(initial=initial)
        status = 200
    else:
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                if subscription is None:
                    services.subscription_create(user=request.user, data=form.to_input())
                else:
                    services.subscription_update(
                        subscription_id=subscription.pk, user=request.user, changes=form.to_input()
                    )
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    name = FORM_FIELDS.get(field, field)
                    for message in field_messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(request, _("Your subscription is saved."))
                return redirect("chainmap:my_subscription")
        status = 400
    context = {"form": form, "subscription": subscription, "has_email": bool(user.email)}
    return render(request, "chainmap/reports/subscription.html", context, status=status)


@require_POST
def my_subscription_delete(request: HttpRequest) -> HttpResponseRedirect:
    user = _allowed(request)
    subscription = _own(user)
    if subscription is not None:
        services.subscription_delete(subscription_id=subscription.pk, user=request.user)
        messages.success(request, _("You are unsubscribed: no more report mails."))
    return redirect("chainmap:my_subscription")
