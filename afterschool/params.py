"""Request parameters parsed in one place: a bad value answers 404 or a safe default, never a 500.

Every view that reads an id, a search box, a page target or the client's address goes through
these helpers.
"""

import datetime as dt
import ipaddress

from django.conf import settings
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

# PostgreSQL's integer and bigint keys: anything longer than this is not an id of ours.
MAX_ID = 2**63 - 1
# The years a ``?month=`` may name; anything else is not a month of this service.
MIN_YEAR, MAX_YEAR = 2000, 2100
# A ``next=`` target longer than this is not one of our pages.
MAX_NEXT_LENGTH = 2000
# The message of a text field's ``max_length`` (Django's own reads "确保该变量包含不超过…").
TEXT_TOO_LONG = "最多 %(limit_value)d 个字，现在有 %(show_value)d 个，请删减。"


def parse_id(value) -> int | None:
    """The integer id in ``value``, or None when it is empty, not a number or out of range."""
    if value is None:
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    if number < 1 or number > MAX_ID:
        return None
    return number


def id_or_404(value, message: str = "找不到您要的记录。") -> int:
    """The id in ``value``; a missing or malformed one is a 404 with a Chinese message."""
    number = parse_id(value)
    if number is None:
        raise Http404(message)
    return number


def ids(values) -> list[int]:
    """The well-formed ids among ``values`` (a list from ``getlist``); the rest are dropped."""
    return [n for n in (parse_id(v) for v in values) if n is not None]


def month_param(value) -> "dt.date | None":
    """The first day of the month in ``?month=2026-10``; None when malformed or out of range."""
    text = str(value or "").strip()
    year, _, month = text.partition("-")
    if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
        return None
    if not (MIN_YEAR <= int(year) <= MAX_YEAR and 1 <= int(month) <= 12):
        return None
    return dt.date(int(year), int(month), 1)


def date_param(value, default: "dt.date | None" = None) -> "dt.date | None":
    """The day in ``?date=2026-10-09`` (an ISO date), else ``default``: empty, malformed or
    outside the years of this service (a date near year 9999 would overflow a week's sum)."""
    text = str(value or "").strip()
    if not text or len(text) > 10:
        return default
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return default
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return default
    return day


def text_param(value, max_length: int = 100) -> str:
    """A search box's text: trimmed, without NUL characters (PostgreSQL refuses them), bounded."""
    return str(value or "").replace("\x00", "").strip()[:max_length]


def safe_next(request, value, default: str) -> str:
    """``value`` when it is a path on this site, else ``default`` (no open redirects).

    Only an absolute path ("/enrollment/review/?page=2") is taken: not another host, not a
    scheme (``javascript:``), not ``//host`` or ``/\\host`` (which browsers read as a host),
    not a bare word, which ``redirect()`` would try to reverse as a view name, and no control
    characters.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return value
    return default


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or the proxy's header when a trusted proxy is set.

    With ``TRUSTED_PROXY_COUNT = n`` (n reverse proxies of our own in front of gunicorn, each
    appending the address it saw to ``X-Forwarded-For``), the client is the n-th address from
    the right; addresses further left were written by the client itself and are not believed.
    With 0 (the default) the header is ignored: anyone can send it. A header that is missing,
    too short or not an address falls back to ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if not count:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if a.strip()]
    if len(forwarded) < count:
        return remote
    return _address(forwarded[-count]) or remote
