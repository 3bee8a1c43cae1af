import datetime as dt

import pytest

from afterschool.params import month_param


@pytest.mark.parametrize("value, expected", [
    ("2026-10", dt.date(2026, 10, 1)),
    ("2026-1", dt.date(2026, 1, 1)),
    (" 2026-12 ", dt.date(2026, 12, 1)),
])
def test_month_param_reads_a_month(value, expected):
    assert month_param(value) == expected


@pytest.mark.parametrize("value", [
    None, "", "abc", "2026", "2026-13", "2026-0", "1-99999999999999999999999",
    "99999999999999999999999-1", "2026-１０", "-2026-10", "2026-10-01", "\x00",
])
def test_month_param_refuses_what_is_not_a_month(value):
    assert month_param(value) is None
