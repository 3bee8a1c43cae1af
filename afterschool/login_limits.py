"""Login rate limits: one count per phone number and another per client address.

Guessing one parent's password from many addresses is stopped by the phone's count
(``AXES_FAILURE_LIMIT``, 5 by default); trying a few passwords on many phones from one address is
stopped by the address's count (``LOGIN_ADDRESS_FAILURE_LIMIT``, 30 by default: a school's
office or a family behind one router shares an address, so it allows more).

django-axes 8 can count the two separately (``AXES_LOCKOUT_PARAMETERS = ["username",
"ip_address"]``) but compares both against one limit, and its ``AXES_FAILURE_LIMIT`` callable is
not told which count it is judging. So ``LoginLimitHandler`` measures each count against its own
limit and reports to axes how close the nearer one is, on the phone's scale: axes locks exactly
when either count reaches its limit.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from .cleaning import clean_phone
from .params import client_ip


def axes_client_ip(request) -> str | None:
    """The address axes counts: ``client_ip``, with an IPv6 address widened to its /64.

    One home or phone line is given a whole /64, so counting single IPv6 addresses would let
    one attacker try from millions of them.
    """
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or None
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:  # ::ffff:1.2.3.4 is the IPv4 client 1.2.3.4
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def axes_username(request, credentials) -> str | None:
    """The phone number as the login form cleans it, so "138 0013 8000" counts with 13800138000."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "POST", {}).get(field)
    if value is None:
        return None
    return clean_phone(value) or str(value).strip()


def limits() -> dict[str, int]:
    return {"username": settings.AXES_FAILURE_LIMIT,
            "ip_address": settings.LOGIN_ADDRESS_FAILURE_LIMIT}


class LoginLimitHandler(AxesDatabaseHandler):
    """axes's database handler with a limit per lockout parameter (see the module docstring)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        own = limits()
        remaining = []
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials),
                                       strict=True):
            name = parameter if isinstance(parameter, str) else "+".join(parameter)
            if name == "username" and get_client_username(request, credentials) is None:
                continue  # no phone typed: there is no phone to count
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            remaining.append(own[name] - failures)
        nearest = min(remaining, default=own["username"])
        return own["username"] - nearest

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A successful login clears its phone's failures, never its address's.

        axes would clear every count the request matches: someone spraying guesses at other
        parents' phones could then sign into their own account now and then to start over.
        """
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
