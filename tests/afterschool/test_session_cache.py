"""Sessions in Redis with the database as the source (``cached_db``, only with REDIS_URL).

A signed-in request reads its session from the cache, not the database; signing out ends the
session for that cookie everywhere; a session the cache lost is read again from the database;
a password changed elsewhere still ends the session (the hash is checked against the user's
row, which is never cached).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.test_query_counts import login, queries_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(settings.SESSION_ENGINE != "django.contrib.sessions.backends.cached_db",
                       reason="sessions are cached only when REDIS_URL is set"),
]

URL = "password_change"


def session_queries(sql: list[str]) -> list[str]:
    return [q for q in sql if "django_session" in q]


def test_a_signed_in_request_reads_no_session_row(client, world):
    login(client, world.coordinator)
    client.get(reverse(URL))
    status, count, sql = queries_of(client, reverse(URL))
    assert status == 200
    assert session_queries(sql) == []
    assert count <= 2  # the user and the Actor


def test_signing_out_ends_the_cached_session_for_its_cookie(client, world):
    login(client, world.coordinator)
    assert client.get(reverse(URL)).status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = stale.get(reverse(URL))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_session_the_cache_lost_is_read_from_the_database(client, world):
    login(client, world.guardian.user)
    client.get(reverse(URL))
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    caches[settings.SESSION_CACHE_ALIAS].delete(KEY_PREFIX + key)
    status, _, sql = queries_of(client, reverse(URL))
    assert status == 200
    assert len(session_queries(sql)) == 1
    # and cached again for the next request
    assert session_queries(queries_of(client, reverse(URL))[2]) == []


def test_a_password_changed_elsewhere_ends_a_cached_session(client, world):
    user = world.homeroom_teacher.user
    login(client, user)
    assert client.get(reverse(URL)).status_code == 200  # cached now
    user.set_password("另一个密码-2026")
    user.save()
    response = client.get(reverse(URL))
    assert response.status_code == 302 and reverse("login") in response["Location"]
