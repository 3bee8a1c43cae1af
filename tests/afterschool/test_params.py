import datetime as dt

import pytest

from afterschool.params import date_param, month_param


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


@pytest.mark.parametrize("value, expected", [
    ("2026-10-09", dt.date(2026, 10, 9)),
    (" 2026-12-02 ", dt.date(2026, 12, 2)),
    ("2000-01-01", dt.date(2000, 1, 1)),
])
def test_date_param_reads_a_day(value, expected):
    assert date_param(value) == expected
    assert date_param(value, dt.date(2024, 1, 1)) == expected


@pytest.mark.parametrize("value", [
    None, "", "abc", "2026-02-30", "2026-13-01", "2026-10", "2026-10-09T08:00", "9999-12-31",
    "1999-12-31", "２０２６-10-09", "2026-10-09" + "9" * 50, "\x00",
])
def test_date_param_falls_back_to_the_default(value):
    default = dt.date(2024, 11, 11)
    assert date_param(value) is None
    assert date_param(value, default) == default
