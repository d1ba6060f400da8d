"""The 403 / 404 / 500 pages speak the site's language inside its layout, and the favicon is served."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_an_unknown_page_answers_a_chinese_404_in_the_site_layout(client_for, tj_official):
    response = client_for(tj_official).get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert 'class="topbar"' in body and "返回总览" in body


def test_a_forbidden_change_answers_a_chinese_403_in_the_site_layout(client_for, tj_official):
    # Only the joint office manages users: an official may not open that page.
    response = client_for(tj_official).get("/users/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "无权操作" in body and 'class="topbar"' in body


def test_the_500_page_renders_without_a_request_context_or_database():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器错误" in body and "本次请求未保存任何内容" in body
    assert "favicon.svg" in body


def test_the_favicon_is_linked_and_served_before_login(client):
    login = client.get("/login/")
    assert 'rel="icon"' in login.content.decode()
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 301 and redirect["Location"].endswith("favicon.svg")
