"""The demo data: loads on an empty database, shows every role and feature, and a rerun changes nothing."""
from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ktc.accounts.models import User
from ktc.bookings.models import SEAT_STATUSES, Booking
from ktc.database import utcnow
from ktc.demo import data
from ktc.demo.operations import (
    add_months,
    demo_password,
    easter_sunday,
    load_demo,
    swedish_holidays,
    workday,
)
from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.mail.models import OutboxMessage
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.records.models import SkillRecord
from ktc.sessions.models import Series, Session
from ktc.sessions.operations import side_balance
from ktc.skills.models import Profession, Skill
from ktc.stations.models import Centre, Station

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PASSWORD = "demo-password-for-tests"


def all_rows(model):
    return db.session.execute(select(model)).scalars().all()


def local_day(value):
    return value.astimezone(STOCKHOLM).date()


def today():
    return utcnow().astimezone(STOCKHOLM).date()


def row_counts():
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def fingerprint():
    """Counts of every table plus the columns a rerun could plausibly change."""
    db.session.expire_all()
    return (
        row_counts(),
        sorted((s.id, s.status, s.seats_municipal, s.seats_regional, s.sequence) for s in all_rows(Session)),
        sorted((b.id, b.status, b.session_id, b.participant_id) for b in all_rows(Booking)),
        sorted((u.id, u.email, u.password_hash, u.participant_id) for u in all_rows(User)),
    )


@pytest.fixture
def loaded():
    result = load_demo(PASSWORD)
    db.session.commit()
    return result


def test_demo_shows_every_role_and_feature(loaded):
    # One load for all the checks: loading is the slow part, and the checks only read.
    check_people_organisations_and_roles()
    check_catalogue_centres_and_stations()
    check_sessions_show_every_booking_situation()
    check_completed_sessions_with_records_and_feedback()
    check_network_meetings()


def check_network_meetings():
    from ktc.meetings.models import Meeting, MeetingAction, NetworkMember

    assert {m.status for m in all_rows(NetworkMember)} == {"member", "pending"}
    meetings = all_rows(Meeting)
    assert len(meetings) == 2 and any(m.minutes for m in meetings) and all(m.invitations for m in meetings)
    assert all_rows(MeetingAction)


def check_people_organisations_and_roles():
    orgs = all_rows(Organisation)
    assert [o.name for o in orgs if o.side == "regional"] == ["Region Jönköpings län"]
    municipalities = {o.name for o in orgs if o.side == "municipal"}
    assert {"Jönköpings kommun", "Värnamo kommun", "Nässjö kommun", "Vetlanda kommun",
            "Gislaveds kommun"} <= municipalities
    assert len(all_rows(Unit)) >= 15

    users = all_rows(User)
    roles = Counter(u.role for u in users)
    # The network's coordinator and one contact person per demo member organisation.
    from ktc.meetings.demo import MEMBERS

    assert roles["admin"] == 1 and roles["instructor"] == 3 and roles["network"] == 1 + len(MEMBERS)
    assert all(u.password_hash for u in users)

    managers = [u for u in users if u.role == "manager"]
    assert {m.units[0].organisation.side for m in managers} == {"municipal", "regional"}
    for manager in managers:
        staff = [p for unit in manager.units for p in unit.participants]
        assert 8 <= len(staff) <= 15, manager.name
        assert len({p.profession.name for p in staff}) >= 2, manager.name

    # Participants with a login are linked to their own participant record.
    participant_users = [u for u in users if u.role == "participant"]
    assert len(participant_users) >= 3
    assert {u.participant.unit.organisation.side for u in participant_users} == {"municipal", "regional"}
    assert all(u.participant.email == u.email for u in participant_users)

    # Every demo address is made up and can never reach a real inbox.
    emails = [u.email for u in users] + [p.email for p in all_rows(Participant)]
    assert all(e.endswith(".example") for e in emails)


def check_catalogue_centres_and_stations():
    skills = all_rows(Skill)
    assert len(skills) >= 15
    assert all(s.code and s.category and s.description for s in skills)
    assert any(s.refresh_months is None for s in skills)
    assert {"KAD-SKOT", "KAD-SATT", "SAR", "HLR-V", "INS", "PEG", "NEWS2"} <= {s.code for s in skills}

    professions = {p.name: p for p in all_rows(Profession)}
    assert {"Undersköterska", "Sjuksköterska", "Vårdbiträde", "Boendestödjare", "Fysioterapeut",
            "Arbetsterapeut", "Läkare"} <= set(professions)
    assert all(p.required_skills for p in professions.values())
    assert "KAD-SATT" in {s.code for s in professions["Sjuksköterska"].required_skills}

    for centre in all_rows(Centre):
        hours = [(h.weekday, h.opens.strftime("%H:%M"), h.closes.strftime("%H:%M")) for h in centre.opening_hours]
        assert hours == [(d, "07:30", "16:30") for d in range(5)]
        closed = [c for c in centre.closed_days if c.day >= today()]
        assert len(closed) >= 3
        # The closed days are the real Swedish holidays (and one service day).
        holidays = {d: name for y in (today().year, today().year + 1) for d, name in swedish_holidays(y).items()}
        assert all(holidays.get(c.day) == c.reason or "Service" in c.reason for c in closed)

    stations = all_rows(Station)
    assert len(stations) >= 6
    assert all(s.skills and s.equipment_notes and s.changeover_minutes > 0 for s in stations)


def check_sessions_show_every_booking_situation():
    sessions = all_rows(Session)
    now = utcnow()
    upcoming = [s for s in sessions if s.start_at > now]
    for s in sessions:
        start, end = s.start_at.astimezone(STOCKHOLM), s.end_at.astimezone(STOCKHOLM)
        closed = {c.day for c in s.station.centre.closed_days}
        assert start.weekday() < 5 and start.date() not in closed
        assert start.strftime("%H:%M") >= "07:30" and end.strftime("%H:%M") <= "16:30"
        assert s.instructors
        assert (s.min_per_side, s.release_before_hours) == (2, 72)
        # The seat counters agree with the bookings that hold a seat.
        held = Counter(b.side for b in s.bookings if b.status in SEAT_STATUSES)
        assert (s.seats_municipal, s.seats_regional) == (held["municipal"], held["regional"]), s.id

    assert all(local_day(s.start_at) <= today() + timedelta(weeks=8) for s in upcoming)
    scheduled = [s for s in upcoming if s.status == "scheduled"]
    assert len(scheduled) >= 15

    series = all_rows(Series)
    assert any(
        len(x.sessions) >= 4 and {local_day(s.start_at).weekday() for s in x.sessions} == {x.first_date.weekday()}
        for x in series
    )

    full = [s for s in scheduled if s.seats_taken == s.capacity and any(b.status == "waitlisted" for b in s.bookings)]
    assert full

    balances = Counter(side_balance(s) for s in scheduled)
    assert balances["single"] >= 1 and balances["mixed"] >= 1 and balances["empty"] >= 1
    # Bookings were made by managers of both sides, through the booking operation.
    bookers = {b.booked_by.units[0].organisation.side for s in scheduled for b in s.bookings}
    assert bookers == {"municipal", "regional"}

    cancelled = [s for s in sessions if s.status == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0].cancel_reason
    assert cancelled[0].bookings and all(b.status == "cancelled" for b in cancelled[0].bookings)
    told = db.session.execute(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "session_cancelled")
    ).scalars()
    assert set(told) == {b.participant.email for b in cancelled[0].bookings}


def check_completed_sessions_with_records_and_feedback():
    completed = [s for s in all_rows(Session) if s.status == "completed"]
    recent = [s for s in completed if local_day(s.start_at) >= today() - timedelta(weeks=6)]
    assert len(recent) >= 4
    assert all(s.end_at < utcnow() and s.completed_at for s in completed)
    statuses = Counter(b.status for s in completed for b in s.bookings)
    assert set(statuses) == {"attended", "no_show"}

    records = all_rows(SkillRecord)
    assert {r.outcome for r in records} == {"demonstrated", "practised", "needs_practice"}
    attended = {(b.session_id, b.participant_id) for s in completed for b in s.bookings if b.status == "attended"}
    assert all((r.session_id, r.participant_id) in attended for r in records)
    for r in records:
        if r.outcome == "demonstrated" and r.skill.refresh_months:
            assert r.valid_until == add_months(local_day(r.session.start_at), r.skill.refresh_months)
        else:
            assert r.valid_until is None
    window = today() + timedelta(days=60)
    assert any(today() <= r.valid_until <= window for r in records if r.valid_until), "some expire soon"
    assert any(r.valid_until < today() for r in records if r.valid_until), "some have expired"
    assert any(r.outcome == "demonstrated" and r.skill.refresh_months is None for r in records), "some never expire"

    answered = [f for f in all_rows(Feedback) if f.responded_at is not None]
    assert all(f.booking.status == "attended" and f.overall and f.confidence_after for f in answered)
    per_station_side = Counter((f.session.station.name, f.side) for f in answered)
    assert any(
        per_station_side[(name, "municipal")] >= 5 and per_station_side[(name, "regional")] >= 5
        for name, _ in per_station_side
    ), per_station_side
    assert any(f.responded_at is None for f in all_rows(Feedback))


def test_second_run_changes_nothing(loaded):
    before = fingerprint()
    result = load_demo(PASSWORD)
    db.session.commit()
    assert not result.created
    assert fingerprint() == before
    # Nor does a run days later: the dates stay anchored to the day of the first load.
    load_demo(PASSWORD, now=utcnow() + timedelta(days=3))
    db.session.commit()
    assert fingerprint() == before


def test_cli_prints_the_logins_and_the_password_works(app, client):
    result = app.test_cli_runner().invoke(args=["ktc", "demo"])
    assert result.exit_code == 0, result.output
    password = demo_password(app.config["SECRET_KEY"])
    assert f"Password for every demo login: {password}" in result.output
    for role in ("admin", "instructor", "manager", "participant", "network"):
        assert f"\n{role} " in result.output
    assert "karin.sjoberg@ktc.example" in result.output and "Karin Sjöberg" in result.output
    email = next(u.email for u in all_rows(User) if u.role == "manager")
    assert email in result.output
    db.session.commit()  # end the read transaction: on SQLite it holds the write lock

    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    assert client.post("/login", data={"email": email, "password": "wrong password"}).status_code == 401

    again = app.test_cli_runner().invoke(args=["ktc", "demo"])
    assert again.exit_code == 0 and "already loaded" in again.output


def test_cli_refuses_production_unless_forced(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    refused = app.test_cli_runner().invoke(args=["ktc", "demo"])
    assert refused.exit_code != 0 and "production" in refused.output
    assert row_counts()["organisations"] == 0

    monkeypatch.setenv("KTC_DEMO_PASSWORD", "chosen-demo-password")
    forced = app.test_cli_runner().invoke(args=["ktc", "demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Password for every demo login: chosen-demo-password" in forced.output
    assert demo_password(app.config["SECRET_KEY"]) not in forced.output
    db.session.commit()
    response = client.post("/login", data={"email": "karin.sjoberg@ktc.example", "password": "chosen-demo-password"})
    assert response.status_code == 302


def test_password_is_derived_from_the_secret_key():
    first = demo_password("one secret")
    assert first == demo_password("one secret")
    assert first != demo_password("another secret")
    assert len(first) == 12 and first.isalnum() and first.islower()


def test_swedish_calendar():
    assert [easter_sunday(y) for y in (2024, 2025, 2026)] == [date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5)]
    h2025 = swedish_holidays(2025)
    assert h2025[date(2025, 6, 20)] == "Midsommarafton"
    assert h2025[date(2025, 11, 1)] == "Alla helgons dag"
    assert h2025[date(2025, 5, 29)] == "Kristi himmelsfärdsdag"
    # Skips the weekend and the Christmas holidays, forwards and backwards.
    assert workday(date(2025, 12, 23), 1) == date(2025, 12, 29)
    assert workday(date(2025, 12, 29), -1) == date(2025, 12, 23)
    assert workday(date(2025, 12, 27), 0) == date(2025, 12, 29)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_data_is_consistent():
    units = {u for o in data.ORGANISATIONS for u in o["units"]}
    managed = {u for _, _, us in data.MANAGERS for u in us}
    assert set(data.STAFF) == managed <= units
    names = [name for people in data.STAFF.values() for name, _ in people]
    assert len(names) == len(set(names))
    assert set(data.PARTICIPANT_LOGINS) <= set(names)
