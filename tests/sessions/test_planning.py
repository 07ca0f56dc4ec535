"""Session planning rules: time, opening hours, closed days, station and instructor overlaps, series."""
from datetime import date, time, timedelta

import pytest

from ktc.errors import (
    ClosedDayError,
    EndBeforeStart,
    InstructorOverlap,
    OutsideOpeningHours,
    StationOverlap,
    ValidationError,
)
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.sessions.models import Session
from ktc.sessions.operations import (
    cancel_series,
    create_series,
    create_session,
    move_session,
    update_series,
)
from ktc.stations.models import ClosedDay


@pytest.fixture
def plan(make):
    centre = make.centre(opens=time(8, 0), closes=time(17, 0), weekdays=range(5))
    station = make.station(centre, name="Kateterstation", changeover_minutes=15)
    admin = make.user("admin")
    teacher = make.user("instructor", name="Karin Instruktör")
    return type("Plan", (), locals())


def monday(weeks_ahead=3):
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks_ahead)


def at(day, hh, mm=0):
    from tests.factories import local

    return local(day.year, day.month, day.day, hh, mm)


def test_create_session_inside_hours(plan):
    day = monday()
    session = create_session(plan.admin, plan.station, at(day, 9), at(day, 11), instructors=[plan.teacher])
    assert session.id and session.capacity == plan.station.default_capacity
    assert [s.id for s in session.skills] == [s.id for s in plan.station.skills]


def test_end_must_follow_start(plan):
    day = monday()
    with pytest.raises(EndBeforeStart):
        create_session(plan.admin, plan.station, at(day, 11), at(day, 9))


@pytest.mark.parametrize("start,end", [((7, 30), (9, 0)), ((16, 0), (17, 30))])
def test_outside_opening_hours(plan, start, end):
    day = monday()
    with pytest.raises(OutsideOpeningHours):
        create_session(plan.admin, plan.station, at(day, *start), at(day, *end))


def test_weekend_is_outside_opening_hours(plan):
    saturday = monday() + timedelta(days=5)
    with pytest.raises(OutsideOpeningHours):
        create_session(plan.admin, plan.station, at(saturday, 9), at(saturday, 11))


def test_closed_day(plan):
    day = monday()
    db.session.add(ClosedDay(centre=plan.centre, day=day, reason="Annandag påsk"))
    with pytest.raises(ClosedDayError):
        create_session(plan.admin, plan.station, at(day, 9), at(day, 11))


def test_station_overlap_includes_changeover(plan):
    day = monday()
    create_session(plan.admin, plan.station, at(day, 9), at(day, 11))
    with pytest.raises(StationOverlap):
        create_session(plan.admin, plan.station, at(day, 11, 10), at(day, 12))
    assert create_session(plan.admin, plan.station, at(day, 11, 15), at(day, 12)).id


def test_instructor_never_in_two_sessions(plan, make):
    day = monday()
    other = make.station(plan.centre)
    create_session(plan.admin, plan.station, at(day, 9), at(day, 11), instructors=[plan.teacher])
    with pytest.raises(InstructorOverlap) as info:
        create_session(plan.admin, other, at(day, 10), at(day, 12), instructors=[plan.teacher])
    assert "Karin Instruktör" in str(info.value)


def test_skills_must_belong_to_station(plan, make):
    day = monday()
    with pytest.raises(ValidationError):
        create_session(plan.admin, plan.station, at(day, 9), at(day, 11), skills=[make.skill()])


def test_series_every_tuesday_for_ten_weeks_keeps_wall_clock_across_dst(plan):
    # A series over the October change: every session stays at 09:00 Stockholm time.
    first = date(2027, 10, 5)  # a Tuesday
    series, sessions, skipped = create_series(
        plan.admin, plan.station, first, time(9), time(11), occurrences=10
    )
    assert len(sessions) == 10 and not skipped
    hours_utc = [s.start_at.hour for s in sessions]
    assert hours_utc[:4] == [7, 7, 7, 7]  # CEST, UTC+2
    assert hours_utc[4:] == [8] * 6  # CET, UTC+1, after 31 October 2027


def test_series_all_or_nothing_names_the_failing_date(plan):
    first = date(2027, 11, 2)
    db.session.add(ClosedDay(centre=plan.centre, day=first + timedelta(weeks=2), reason="Stängt"))
    with pytest.raises(ValidationError) as info:
        create_series(plan.admin, plan.station, first, time(9), time(11), occurrences=4)
    assert "16" in str(info.value)  # 16 November
    db.session.rollback()
    assert db.session.query(Session).count() == 0


def test_series_can_skip_conflicting_dates(plan):
    first = date(2027, 11, 2)
    db.session.add(ClosedDay(centre=plan.centre, day=first + timedelta(weeks=2), reason="Stängt"))
    series, sessions, skipped = create_series(
        plan.admin, plan.station, first, time(9), time(11), occurrences=4, skip_conflicts=True
    )
    assert len(sessions) == 3 and [s.day for s in skipped] == [first + timedelta(weeks=2)]


def test_series_edit_and_cancel_from_a_date(plan):
    first = date(2027, 11, 2)
    series, sessions, _ = create_series(plan.admin, plan.station, first, time(9), time(11), occurrences=4)
    update_series(plan.admin, series, from_date=first + timedelta(weeks=2), start_time=time(13), end_time=time(15))
    assert [s.start_at.hour for s in sessions] == [8, 8, 12, 12]
    assert [s.sequence for s in sessions] == [0, 0, 1, 1]
    cancel_series(plan.admin, series, from_date=first + timedelta(weeks=3), reason="Slut")
    assert [s.status for s in sessions] == ["scheduled", "scheduled", "scheduled", "cancelled"]


def test_moving_a_booked_session_raises_sequence_and_tells_attendees(plan, make):
    from ktc.bookings.operations import book_team

    day = monday()
    session = create_session(plan.admin, plan.station, at(day, 9), at(day, 11))
    person = make.participant()
    book_team(plan.admin, session, [person])
    move_session(plan.admin, session, at(day, 13), at(day, 15))
    assert session.sequence == 1
    assert db.session.query(OutboxMessage).filter_by(kind="session_changed").count() == 1


def test_move_checks_rules_against_other_sessions_only(plan):
    day = monday()
    session = create_session(plan.admin, plan.station, at(day, 9), at(day, 11))
    moved = move_session(plan.admin, session, at(day, 9, 30), at(day, 11, 30))
    assert moved.start_at == at(day, 9, 30)
