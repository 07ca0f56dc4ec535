"""The status of one matrix cell, at every edge of the expiry window."""
from datetime import date, timedelta

import pytest

from ktc.records.status import add_months, cell_status, is_valid_today, valid_until_for

TODAY = date(2026, 3, 10)
WINDOW = 60


@pytest.mark.parametrize("start, months, expected", [
    (date(2025, 8, 31), 6, date(2026, 2, 28)),     # clamped to the month's last day
    (date(2023, 8, 31), 6, date(2024, 2, 29)),     # leap year
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 11, 15), 3, date(2026, 2, 15)),    # over a year end
    (date(2025, 1, 10), 24, date(2027, 1, 10)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_valid_until_only_for_demonstrations_of_expiring_skills():
    day = date(2025, 5, 20)
    assert valid_until_for("demonstrated", 24, day) == date(2027, 5, 20)
    assert valid_until_for("demonstrated", None, day) is None
    assert valid_until_for("practised", 24, day) is None
    assert valid_until_for("needs_practice", 24, day) is None


@pytest.mark.parametrize("offset, expected", [
    (-365, "expired"),
    (-1, "expired"),            # the day after valid-until: expired
    (0, "expiring"),            # the valid-until date itself still counts as valid
    (1, "expiring"),
    (WINDOW - 1, "expiring"),
    (WINDOW, "expiring"),       # exactly at the window's far edge: still expiring
    (WINDOW + 1, "valid"),      # one day beyond the window: valid
    (400, "valid"),
])
def test_demonstrated_around_the_window(offset, expected):
    valid_until = TODAY + timedelta(days=offset)
    assert cell_status([("demonstrated", valid_until)], TODAY, WINDOW) == (expected, valid_until)


def test_skill_that_never_expires_stays_valid():
    assert cell_status([("demonstrated", None)], TODAY, WINDOW) == ("valid", None)
    assert cell_status([("practised", None), ("demonstrated", None)], date(2090, 1, 1), WINDOW) == ("valid", None)


def test_practised_and_needs_practice_without_demonstration():
    assert cell_status([("practised", None)], TODAY, WINDOW) == ("practised", None)
    assert cell_status([("needs_practice", None), ("practised", None)], TODAY, WINDOW) == ("practised", None)


def test_missing_without_records():
    assert cell_status([], TODAY, WINDOW) == ("missing", None)


def test_latest_demonstration_decides():
    newer, older = TODAY + timedelta(days=300), TODAY - timedelta(days=30)
    assert cell_status([("demonstrated", newer), ("demonstrated", older)], TODAY, WINDOW) == ("valid", newer)
    # A later session's "practised" neither renews nor cancels an earlier demonstration.
    assert cell_status([("practised", None), ("demonstrated", older)], TODAY, WINDOW) == ("expired", older)
    assert cell_status([("needs_practice", None), ("demonstrated", newer)], TODAY, WINDOW) == ("valid", newer)


def test_zero_day_window():
    assert cell_status([("demonstrated", TODAY)], TODAY, 0)[0] == "expiring"
    assert cell_status([("demonstrated", TODAY + timedelta(days=1))], TODAY, 0)[0] == "valid"


def test_valid_today():
    assert is_valid_today("valid") and is_valid_today("expiring")
    assert not any(is_valid_today(s) for s in ("expired", "practised", "missing"))
