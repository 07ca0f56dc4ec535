"""The network page's period filters: the default twelve months (29 February too), local midnights
in the filters' time zone, one-day periods and a bad side (issue 18, mutation testing of
`make_filters`, `default_dates` and `local_midnight` in `ktc/network/operations.py`)."""
from datetime import date, datetime, timezone

import pytest

from ktc.network.operations import InvalidPeriod, default_dates, make_filters


def _utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_the_default_period_is_the_last_twelve_months_up_to_today():
    assert default_dates(date(2024, 5, 15)) == (date(2023, 5, 16), date(2024, 5, 15))
    assert default_dates(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))

    f = make_filters(today=date(2024, 5, 15), tz="Europe/London")
    assert (f.start, f.end) == (_utc(2023, 5, 15, 23), _utc(2024, 5, 15, 23))
    assert (f.first_day, f.last_day) == (date(2023, 5, 16), date(2024, 5, 15))


def test_dates_given_are_local_midnights_of_the_filters_time_zone():
    f = make_filters(date(2024, 1, 10), date(2024, 1, 10), tz="America/New_York")  # one day
    assert (f.start, f.end) == (_utc(2024, 1, 10, 5), _utc(2024, 1, 11, 5))
    f = make_filters(date(2024, 3, 1), date(2024, 3, 31), station_id=7, centre_id=3, skill_id=9, side="regional",
                     today=date(2024, 5, 15))
    assert (f.start, f.end) == (_utc(2024, 2, 29, 23), _utc(2024, 3, 31, 22))  # summer time from 31 March
    assert (f.centre_id, f.station_id, f.skill_id, f.side, f.tz) == (3, 7, 9, "regional", "Europe/Stockholm")


def test_an_end_before_the_start_or_an_unknown_side_is_refused_on_its_field():
    with pytest.raises(InvalidPeriod) as error:
        make_filters(date(2024, 3, 2), date(2024, 3, 1))
    assert error.value.field == "to"
    with pytest.raises(InvalidPeriod) as error:
        make_filters(date(2024, 3, 1), date(2024, 3, 31), side="private")
    assert error.value.field == "side"


def test_today_is_today_in_the_filters_time_zone(monkeypatch):
    from ktc.network import operations

    # 02:00 on 15 May in Stockholm is still 14 May in New York.
    monkeypatch.setattr(operations, "local_today",
                        lambda tz=None: date(2024, 5, 14) if tz == "America/New_York" else date(2024, 5, 15))
    f = make_filters(tz="America/New_York")
    assert (f.first_day, f.last_day) == (date(2023, 5, 15), date(2024, 5, 14))
