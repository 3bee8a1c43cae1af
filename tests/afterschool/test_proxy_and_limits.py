"""The client's address behind our own proxies, and login limits per phone and per address."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.urls import reverse

from afterschool.access import actor_for
from afterschool.login_limits import axes_client_ip
from afterschool.params import client_ip

from .. import factories

pytestmark = pytest.mark.django_db

PASSWORD = factories.DEFAULT_PASSWORD
LOCKED = "registration/locked.html"
PROXY = "172.18.0.1"  # the docker bridge: what gunicorn sees behind the proxy on the host


def request(remote="198.51.100.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


# ------------------------------------------------------------------ client_ip


def test_without_a_trusted_proxy_the_header_is_ignored():
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert client_ip(request("198.51.100.1", "203.0.113.9")) == "198.51.100.1"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_one_proxy_the_address_it_appended_is_the_client():
    assert client_ip(request(PROXY, "203.0.113.9")) == "203.0.113.9"
    # Whatever the client wrote itself stands to the left of what the proxy appended.
    assert client_ip(request(PROXY, "6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request(PROXY, "2001:db8::7")) == "2001:db8::7"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_two_proxies_the_outer_ones_address_counts():
    assert client_ip(request(PROXY, "6.6.6.6, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


@override_settings(TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize("header", ["", "not-an-address", "203.0.113.9:5555", "1.2.3.4, <script>"])
def test_a_missing_or_garbled_header_falls_back_to_the_peer(header):
    assert client_ip(request(PROXY, header)) == PROXY


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_a_header_shorter_than_the_proxies_falls_back_to_the_peer():
    assert client_ip(request(PROXY, "203.0.113.9")) == PROXY


def test_axes_counts_an_ipv6_client_by_its_64_and_a_mapped_ipv4_as_ipv4():
    assert axes_client_ip(request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert axes_client_ip(request("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::"
    assert axes_client_ip(request("::ffff:203.0.113.9")) == "203.0.113.9"
    assert axes_client_ip(request("203.0.113.9")) == "203.0.113.9"


# ------------------------------------------------------------------ login limits


def post_login(client, phone, password="wrong-password", remote="198.51.100.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": phone, "password": password}, **meta)


def locked(response) -> bool:
    return LOCKED in [t.name for t in response.templates]


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("school:home")


def test_limits_are_five_per_phone_and_thirty_per_address():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 30
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_a_phone_is_locked_whichever_addresses_the_guesses_came_from(client, world):
    phone = world.guardian.phone
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert not locked(post_login(client, phone, remote=f"198.51.100.{n + 1}"))
    # The failure that reaches the limit is answered with the lockout page already.
    assert locked(post_login(client, phone, remote="198.51.100.100"))
    response = post_login(client, phone, PASSWORD, remote="198.51.100.200")
    assert locked(response) and not signed_in(response)
    # Only that phone: another parent at the same addresses signs in.
    assert signed_in(post_login(client, world.other_guardian.phone, PASSWORD,
                                remote="198.51.100.1"))


def test_a_phone_typed_differently_is_still_the_same_phone(client, world):
    phone = world.guardian.phone
    variants = [phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86{phone}",
                f"{phone[:3]}-{phone[3:]}", f" {phone} "]
    for n, typed in enumerate(variants):
        post_login(client, typed, remote=f"198.51.100.{n + 1}")
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {phone}
    assert locked(post_login(client, phone, PASSWORD, remote="198.51.100.99"))


def spray(client, count, *, remote="198.51.100.7", forwarded=None):
    """``count`` failed logins, each on a different (made-up) phone: never a phone's limit."""
    for n in range(count):
        response = post_login(client, f"1350000{n:04d}", remote=remote, forwarded=forwarded)
        assert locked(response) == (n + 1 >= settings.LOGIN_ADDRESS_FAILURE_LIMIT), n


def test_an_address_spraying_many_phones_is_locked(client, world):
    spray(client, settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1)
    assert signed_in(post_login(client, world.guardian.phone, PASSWORD, remote="198.51.100.7"))
    client.post(reverse("logout"))
    response = post_login(client, "13500009999", remote="198.51.100.7")
    assert locked(response)
    # From that address nobody signs in now, even with the right password ...
    assert locked(post_login(client, world.other_guardian.phone, PASSWORD, remote="198.51.100.7"))
    # ... while the same parent elsewhere is not affected.
    assert signed_in(post_login(client, world.other_guardian.phone, PASSWORD,
                                remote="198.51.100.8"))


def test_signing_in_clears_the_phone_count_but_not_the_address_count(client, world):
    remote = "198.51.100.7"
    spray(client, settings.LOGIN_ADDRESS_FAILURE_LIMIT - 2, remote=remote)
    post_login(client, world.guardian.phone, remote=remote)  # a typo of one's own: 29 in all
    assert signed_in(post_login(client, world.guardian.phone, PASSWORD, remote=remote))
    client.post(reverse("logout"))
    assert not AccessAttempt.objects.filter(username=world.guardian.phone).exists()
    # 28 sprayed failures are still counted: the 30th failure locks the address.
    assert not locked(post_login(client, "13500008888", remote=remote))
    assert locked(post_login(client, "13500007777", remote=remote))


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_each_client_is_counted_by_its_own_address(client, world):
    spray(client, settings.LOGIN_ADDRESS_FAILURE_LIMIT, remote=PROXY,
          forwarded="6.6.6.6, 203.0.113.50")
    assert locked(post_login(client, world.guardian.phone, PASSWORD, remote=PROXY,
                             forwarded="203.0.113.50"))
    # Every other family reaches us through the same proxy and is not locked out.
    assert signed_in(post_login(client, world.guardian.phone, PASSWORD, remote=PROXY,
                                forwarded="203.0.113.51"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.50"}


def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_address_limit(client,
                                                                                   world):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        post_login(client, f"1350000{n:04d}", remote="198.51.100.7",
                   forwarded=f"203.0.113.{n + 1}")
    assert locked(post_login(client, world.guardian.phone, PASSWORD, remote="198.51.100.7",
                             forwarded="203.0.113.200"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_ipv6_guesses_from_one_64_count_together(client, world):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        post_login(client, f"1350000{n:04d}", remote=f"2001:db8:1:2::{n + 1:x}")
    assert locked(post_login(client, world.guardian.phone, PASSWORD,
                             remote="2001:db8:1:2:ffff::1"))
    assert signed_in(post_login(client, world.guardian.phone, PASSWORD,
                                remote="2001:db8:1:3::1"))


# ------------------------------------------------------------------ the signature's address


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_signature_records_the_client_address_the_proxy_saw(world, login):
    from enrollment import services
    from tests.enrollment.factories import AgreementFactory, ApplicationFactory

    first = AgreementFactory(term=world.term, version=1)
    app = ApplicationFactory(student=world.child, term=world.term,
                             status=ApplicationFactory._meta.model.Status.SUBMITTED,
                             signed=first)
    services.agreement_publish(term=world.term, actor=actor_for(world.coordinator, world.school),
                               service_text="第二版", safety_text="第二版责任书")
    client = login(world.guardian.user)
    response = client.post(reverse("enrollment:sign", args=[app.pk]),
                           {"signed_name": "王丽", "agree": "on"}, REMOTE_ADDR=PROXY,
                           HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert response.status_code == 302
    assert app.signatures.latest("signed_at").ip_address == "203.0.113.9"
