"""Report subscriptions: the service's rules and the "我的订阅" page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from chainmap import models as m
from chainmap.reports.services import subscriptions as services
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/my/subscription/"


def test_url_name() -> None:
    assert reverse("chainmap:my_subscription") == URL


def test_subscribe_for_oneself_with_choices(bj_official, regions) -> None:
    chain = f.ChainFactory()
    subscription = services.subscription_create(
        user=bj_official, data={"chain_ids": [chain.pk], "region_ids": [regions["HE"].pk], "language": "en"}
    )
    assert (subscription.user, subscription.language, subscription.is_active) == (bj_official, "en", True)
    assert list(subscription.chains.all()) == [chain]
    assert list(subscription.regions.all()) == [regions["HE"]]


def test_one_subscription_per_user(subscriber) -> None:
    services.subscription_create(user=subscriber)
    with pytest.raises(ValidationError) as caught:
        services.subscription_create(user=subscriber)
    assert "user" in caught.value.message_dict


def test_enterprise_members_may_not_subscribe(enterprise_member) -> None:
    with pytest.raises(PermissionDenied):
        services.subscription_create(user=enterprise_member)


def test_bad_language_and_unknown_chain_name_the_field(subscriber) -> None:
    with pytest.raises(ValidationError) as caught:
        services.subscription_create(user=subscriber, data={"language": "fr"})
    assert "language" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.subscription_create(user=subscriber, data={"chain_ids": [999999]})
    assert "chains" in caught.value.message_dict
    assert not m.Subscription.objects.exists()


def test_only_the_owner_or_the_joint_office_change_it(subscriber, bj_official, joint_office) -> None:
    subscription = services.subscription_create(user=subscriber)
    with pytest.raises(PermissionDenied):
        services.subscription_update(subscription_id=subscription.pk, user=bj_official, changes={"is_active": False})
    services.subscription_update(subscription_id=subscription.pk, user=joint_office, changes={"is_active": False})
    subscription.refresh_from_db()
    assert subscription.is_active is False
    with pytest.raises(PermissionDenied):
        services.subscription_delete(subscription_id=subscription.pk, user=bj_official)
    services.subscription_delete(subscription_id=subscription.pk, user=subscriber)
    assert not m.Subscription.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("joint_office", 200),
        ("bj_official", 200),
        ("subscriber", 200),
        ("enterprise_member", 403),
    ],
)
def test_page_permissions(persona, expected, client_for, request) -> None:
    assert client_for(request.getfixturevalue(persona)).get(URL).status_code == expected


def test_anonymous_goes_to_login(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_page_subscribes_changes_and_unsubscribes(subscriber, client_for) -> None:
    chain = f.ChainFactory(name="氢能")
    client = client_for(subscriber)
    page = client.get(URL).content.decode()
    assert "我的订阅" in page
    assert "氢能" in page
    response = client.post(URL, {"chains": [chain.pk], "language": "zh-hans", "is_active": "on"})
    assert response.status_code == 302
    subscription = m.Subscription.objects.get(user=subscriber)
    assert list(subscription.chains.all()) == [chain]
    response = client.post(URL, {"language": "en"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.language, subscription.is_active, subscription.chains.count()) == ("en", False, 0)
    response = client.post(reverse("chainmap:my_subscription_delete"))
    assert response.status_code == 302
    assert not m.Subscription.objects.filter(user=subscriber).exists()


def test_page_names_a_bad_language(subscriber, client_for) -> None:
    response = client_for(subscriber).post(URL, {"language": "fr"})
    assert response.status_code == 400
    assert "language" in response.context["form"].errors
    assert not m.Subscription.objects.exists()


def test_page_warns_without_an_email_address(subscriber, client_for) -> None:
    subscriber.email = ""
    subscriber.save()
    assert "没有电子邮箱" in client_for(subscriber).get(URL).content.decode()


def test_the_subscription_page_form_and_the_api_serializer_produce_the_same_input(regions) -> None:
    from chainmap.reports.api.serializers import SubscriptionInputSerializer
    from chainmap.reports.views.subscriptions import SubscriptionForm

    chain = f.ChainFactory(slug="hydrogen")
    form = SubscriptionForm({"chains": [chain.pk], "regions": [regions["HE"].pk], "language": "en", "is_active": "on"})
    serializer = SubscriptionInputSerializer(
        data={"chains": ["hydrogen"], "clusters": [], "regions": ["HE"], "language": "en", "is_active": True}
    )
    assert form.is_valid(), form.errors
    assert serializer.is_valid(), serializer.errors
    assert form.to_input() == serializer.to_input()
    assert form.to_input().given() == {
        "chain_ids": [chain.pk],
        "cluster_ids": [],
        "region_ids": [regions["HE"].pk],
        "language": "en",
        "is_active": True,
    }
