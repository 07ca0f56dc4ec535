"""The network view's periods: calendar months in local time across a year end, years for long
selections, in the filters' time zone (mutation testing, docs/MUTATION.md)."""
from datetime import date, datetime, timezone

from ktc.network.operations import MAX_MONTH_BUCKETS, make_filters, period_buckets
from ktc.network.stats import fresh_figures, kept_figures, rebuild_session_stats
from tests.network.scenario import attended

UTC = timezone.utc


def test_months_across_a_year_end_start_at_local_midnight():
    buckets = period_buckets(make_filters(date(2024, 11, 15), date(2025, 2, 3)))

    assert [key for key, _start, _end in buckets] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    # Stockholm is UTC+1 in winter: a month starts at 23:00 UTC the day before.
    assert buckets[0][1] == datetime(2024, 10, 31, 23, tzinfo=UTC)
    assert buckets[1][1] == datetime(2024, 11, 30, 23, tzinfo=UTC)
    assert buckets[2][1] == datetime(2024, 12, 31, 23, tzinfo=UTC)
    assert [end for _key, _start, end in buckets[:-1]] == [start for _key, start, _end in buckets[1:]]
    assert buckets[-1][2] == datetime(2025, 2, 28, 23, tzinfo=UTC)


def test_months_follow_the_filters_time_zone():
    buckets = period_buckets(make_filters(date(2024, 12, 1), date(2025, 1, 31), tz="Europe/London"))

    assert [(key, start, end) for key, start, end in buckets] == [
        ("2024-12", datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
        ("2025-01", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)),
    ]


def test_up_to_the_limit_months_then_years():
    at_limit = period_buckets(make_filters(date(2022, 1, 1), date(2024, 12, 31)))
    assert len(at_limit) == MAX_MONTH_BUCKETS == 36
    assert (at_limit[0][0], at_limit[-1][0]) == ("2022-01", "2024-12")

    years = period_buckets(make_filters(date(2021, 12, 31), date(2024, 12, 31)))
    assert [key for key, _start, _end in years] == ["2021", "2022", "2023", "2024"]
    assert years[0][1] == datetime(2020, 12, 31, 23, tzinfo=UTC)  # 1 January, local midnight
    assert years[1][1] == datetime(2021, 12, 31, 23, tzinfo=UTC)
    assert years[-1][2] == datetime(2024, 12, 31, 23, tzinfo=UTC)

    london = period_buckets(make_filters(date(2020, 6, 1), date(2023, 8, 1), tz="Europe/London"))
    assert [(key, start) for key, start, _end in london] == [
        (str(year), datetime(year, 1, 1, tzinfo=UTC)) for year in range(2020, 2024)]
    assert london[-1][2] == datetime(2024, 1, 1, tzinfo=UTC)


def test_kept_figures_of_some_sessions_are_theirs_alone(db, make):
    skill = make.skill()
    station = make.station(skills=[skill])
    first = make.completed_session(station, start=make.local(2024, 3, 5, 9))
    second = make.completed_session(station, start=make.local(2024, 3, 6, 9))
    for session in (first, second):
        booking = attended(session, "municipal")
        make.skill_record(booking.participant, skill, session_=session)
    rebuild_session_stats()

    kept = kept_figures([first.id])

    assert kept == fresh_figures([first.id])
    assert list(kept[0]) == [first.id] and [key[0] for key in kept[1]] == [first.id]


def test_a_session_at_midnight_belongs_to_the_day_it_starts(db, make):
    from ktc.network.operations import summary

    station = make.plain_station()
    session = make.completed_session(station, start=make.local(2024, 4, 1, 0))  # midnight, 1 April
    attended(session, "municipal")
    rebuild_session_stats()

    march = summary(make_filters(date(2024, 3, 1), date(2024, 3, 31)))
    assert march["totals"]["sessions"] == 0

    spring = summary(make_filters(date(2024, 3, 1), date(2024, 4, 30)))
    assert [(row["key"], row["sessions"]) for row in spring["by_period"]] == [("2024-04", 1)]
