"""Managers are told what happens to their people: one e-mail per event and manager, in the
manager's language, and a list on their home page that only they see."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.bookings.operations import cancel_booking
from ktc.extensions import db
from ktc.mail import notify
from ktc.mail.models import OutboxMessage
from ktc.notices.jobs import JOBS, tell_managers_still_waiting
from ktc.notices.models import TeamEvent
from ktc.records.operations import record_attendance
from ktc.sessions.operations import cancel_session, move_session


def _mail(kind):
    db.session.expire_all()
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == f"team_{kind}").order_by(OutboxMessage.id)
    ).scalars().all()
    return {m.recipient: m for m in rows}, len(rows)


def _events(manager):
    return db.session.execute(
        select(TeamEvent).where(TeamEvent.user_id == manager.id).order_by(TeamEvent.id)
    ).scalars().all()


@pytest.fixture
def team(make):
    """North (two managers, Swedish and English) and South (English) have people in one session;
    Quiet's manager has nobody in it; an inactive manager of North hears nothing."""
    skill = make.skill(name="HLR vuxen")
    station = make.station(skills=[skill], name="HLR-stationen")
    instructor = make.user("instructor")
    session = make.session(station, start=make.future(10), capacity=3, instructors=[instructor])
    north = make.unit(name="Hemtjänst Norr")
    south = make.unit(name="Vårdcentral Syd", side="regional")
    quiet = make.unit(name="Lugna enheten")
    anna = make.participant(north, name="Anna Andersson")
    bo = make.participant(north, name="Bo Berg")
    dina = make.participant(south, name="Dina Dahl")
    eva = make.participant(north, name="Eva Ek")
    bookings = {p.name.split()[0].lower(): make.booking(session, p) for p in (anna, bo, dina)}
    bookings["eva"] = make.booking(session, eva, status="waitlisted", queued_at=make.future(-1))
    maja = make.manager(north, name="Maja Chef", email="maja@example.org")
    mats = make.manager(north, name="Mats Manager", email="mats@example.org", locale="en")
    mona = make.manager(south, name="Mona Manager", email="mona@example.org", locale="en")
    quiet_manager = make.manager(quiet, email="quiet@example.org")
    make.manager(north, email="gone@example.org", active=False)
    admin = make.user("admin")
    db.session.commit()
    return locals()


def test_a_cancelled_session_is_one_email_per_manager_listing_only_their_people(team):
    cancel_session(team["admin"], team["session"], reason="Instruktören är sjuk")
    db.session.commit()

    mails, count = _mail("session_cancelled")
    assert set(mails) == {"maja@example.org", "mats@example.org", "mona@example.org"} and count == 3
    maja, mats, mona = mails["maja@example.org"], mails["mats@example.org"], mails["mona@example.org"]
    assert maja.subject.startswith("Inställt för din personal: HLR-stationen")
    assert mats.subject.startswith("Your staff: HLR-stationen") and mats.subject.endswith("is cancelled")
    for message in (maja, mats):
        for name in ("Anna Andersson", "Bo Berg", "Eva Ek"):
            assert name in message.body_text and name in message.body_html
        assert "Dina Dahl" not in message.body_text
    assert "Orsak: Instruktören är sjuk" in maja.body_text
    assert "Dina Dahl" in mona.body_text and "Anna Andersson" not in mona.body_text
    assert "Reason: Instruktören är sjuk" in mona.body_text

    assert len(_events(team["maja"])) == 3 and len(_events(team["mona"])) == 1
    assert _events(team["quiet_manager"]) == []

    # The same cancellation told again (a retried request) adds nothing.
    notify.session_cancelled(team["session"], list(team["bookings"].values()))
    db.session.commit()
    assert _mail("session_cancelled")[1] == 3
    assert len(_events(team["maja"])) == 3


def test_a_moved_session_tells_the_managers_once_per_move(team):
    session = team["session"]
    move_session(team["admin"], session, session.start_at + timedelta(days=1), session.end_at + timedelta(days=1))
    db.session.commit()
    mails, count = _mail("session_moved")
    assert set(mails) == {"maja@example.org", "mats@example.org", "mona@example.org"} and count == 3
    assert mails["maja@example.org"].subject.startswith("Flyttat för din personal: HLR-stationen, nu")
    assert mails["mona@example.org"].subject.startswith("Your staff: HLR-stationen has moved to")
    assert "- Eva Ek (Hemtjänst Norr) – på reservlistan" in mails["maja@example.org"].body_text
    assert "- Anna Andersson (Hemtjänst Norr)\n" in mails["maja@example.org"].body_text

    notify.session_changed(session, list(team["bookings"].values()))   # the same move again
    db.session.commit()
    assert _mail("session_moved")[1] == 3

    move_session(team["admin"], session, session.start_at + timedelta(hours=2), session.end_at + timedelta(hours=2))
    db.session.commit()
    assert _mail("session_moved")[1] == 6


def test_a_promotion_tells_only_the_managers_of_the_promoted_person(team):
    cancel_booking(team["admin"], team["bookings"]["anna"], "Sjuk")
    db.session.commit()
    assert team["bookings"]["eva"].status == "confirmed"
    mails, count = _mail("promoted")
    assert set(mails) == {"maja@example.org", "mats@example.org"} and count == 2
    assert mails["maja@example.org"].subject.startswith("Din personal har fått en plats: HLR-stationen")
    assert mails["mats@example.org"].subject.startswith("Your staff got a seat: HLR-stationen")
    assert "Eva Ek" in mails["mats@example.org"].body_text
    [event] = _events(team["maja"])
    assert (event.kind, event.participant_id) == ("promoted", team["eva"].id)


def test_people_left_on_the_waiting_list_are_told_once_when_the_session_starts(team):
    start = team["session"].start_at
    assert "notices.tell_managers_still_waiting" in {job["id"] for job in JOBS}
    assert tell_managers_still_waiting(start - timedelta(minutes=5)) == 0
    assert tell_managers_still_waiting(start + timedelta(minutes=5)) == 2
    assert tell_managers_still_waiting(start + timedelta(minutes=20)) == 0
    mails, count = _mail("left_waiting")
    assert set(mails) == {"maja@example.org", "mats@example.org"} and count == 2
    assert mails["maja@example.org"].subject.startswith("Din personal fick ingen plats: HLR-stationen")
    assert "Eva Ek" in mails["maja@example.org"].body_text
    assert len(_events(team["maja"])) == 1
    # Long after the start (a scheduler that was off for days) nothing is announced.
    db.session.execute(TeamEvent.__table__.delete())
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    assert tell_managers_still_waiting(start + timedelta(days=3)) == 0


def test_a_no_show_tells_the_managers_of_that_person(team, make):
    session = make.session(team["station"], start=make.future(-1), instructors=[team["instructor"]])
    bo, dina = make.booking(session, team["bo"]), make.booking(session, team["dina"])
    db.session.commit()
    entries = [{"participant_id": team["bo"].id, "attended": False},
               {"participant_id": team["dina"].id, "attended": True}]
    record_attendance(team["instructor"], session, entries)
    db.session.commit()
    assert (bo.status, dina.status) == ("no_show", "attended")
    mails, count = _mail("no_show")
    assert set(mails) == {"maja@example.org", "mats@example.org"} and count == 2
    assert mails["maja@example.org"].subject.startswith("Uteblev: Bo Berg, HLR-stationen")
    assert mails["mats@example.org"].subject.startswith("Did not come: Bo Berg, HLR-stationen")

    record_attendance(team["instructor"], session, entries)   # saved again unchanged
    db.session.commit()
    assert _mail("no_show")[1] == 2


def _home(client, login_as, user):
    login_as(user)
    return client.get("/").get_data(as_text=True)


def test_the_home_page_lists_a_managers_own_events_and_marks_them_read(team, client, login_as):
    cancel_session(team["admin"], team["session"], reason="Sjuk")
    db.session.commit()
    maja_id, mona_id = team["maja"].id, team["mona"].id

    page = _home(client, login_as, team["maja"])
    assert "Vad som hänt din personal" in page
    assert "1 ny händelse" in page
    assert "Tillfället ställdes in" in page
    for name in ("Anna Andersson", "Bo Berg", "Eva Ek"):
        assert name in page
    assert "Dina Dahl" not in page
    assert "Markera alla som lästa" in page

    page = _home(client, login_as, team["mona"])
    assert "Dina Dahl" in page and "Anna Andersson" not in page

    page = _home(client, login_as, team["quiet_manager"])
    assert "Inget har hänt din personal ännu" in page

    login_as(team["maja"])
    response = client.post("/team-events/read")
    assert response.status_code == 302
    unread = {row.user_id: row.read_at is None for row in db.session.execute(select(TeamEvent)).scalars()}
    assert unread == {maja_id: False, mona_id: True, team["mats"].id: True}
    page = _home(client, login_as, team["maja"])
    assert "Inget nytt sedan du tittade senast" in page and "Anna Andersson" in page
    assert "Markera alla som lästa" not in page


def test_someone_who_moved_to_another_unit_leaves_the_old_managers_list(team, client, login_as):
    cancel_session(team["admin"], team["session"])
    team["anna"].unit = team["quiet"]
    db.session.commit()
    page = _home(client, login_as, team["maja"])
    assert "Bo Berg" in page and "Anna Andersson" not in page


def test_other_roles_see_no_team_events_and_may_not_mark_them(team, client, login_as):
    cancel_session(team["admin"], team["session"])
    db.session.commit()
    page = _home(client, login_as, team["admin"])
    assert "Vad som hänt din personal" not in page
    assert client.post("/team-events/read").status_code == 403
    assert all(row.read_at is None for row in db.session.execute(select(TeamEvent)).scalars())


def test_the_expiry_digest_is_listed_on_the_managers_home_page(make, client, login_as):
    from ktc.records.jobs import expiry_digest

    cpr = make.skill(name="HLR vuxen", refresh_months=24)
    nurse = make.profession("Sjuksköterska", skills=[cpr])
    north = make.unit(name="Hemtjänst Norr")
    anna = make.participant(north, name="Anna Andersson", profession=nurse)
    now = make.future(0)
    make.skill_record(anna, cpr, valid_until=(now + timedelta(days=10)).date())
    maja = make.manager(north, email="maja@example.org")
    db.session.commit()
    assert expiry_digest(now=now) == 1
    assert expiry_digest(now=now) == 0
    [event] = _events(maja)
    assert (event.kind, event.participant_id) == ("skills_expiring", anna.id)
    page = _home(client, login_as, maja)
    assert "Kompetenser att förnya" in page and "Anna Andersson" in page


def test_team_events_past_the_retention_period_are_purged(team, app):
    from ktc.privacy.operations import purge_expired

    cancel_session(team["admin"], team["session"])
    db.session.commit()
    retention = timedelta(days=app.config["KTC_RETENTION_DAYS"])
    created = _events(team["maja"])[0].created_at
    purge_expired(now=created + retention - timedelta(days=1))
    assert len(_events(team["maja"])) == 3
    purge_expired(now=created + retention + timedelta(days=1))
    assert _events(team["maja"]) == []


def test_mark_all_as_read_leaves_an_event_that_arrived_after_the_page_unread(team, client, login_as):
    """The manager marks what their page showed; a promotion that came in meanwhile stays new."""
    import re

    move_session(team["admin"], team["session"], team["session"].start_at + timedelta(hours=1),
                 team["session"].end_at + timedelta(hours=1))
    db.session.commit()
    page = _home(client, login_as, team["maja"])
    up_to = re.search(r'name="up_to" value="(\d+)"', page).group(1)
    cancel_booking(team["admin"], team["bookings"]["anna"], "Sjuk")  # Eva gets the seat: a new event
    db.session.commit()
    assert client.post("/team-events/read", data={"up_to": up_to}).status_code == 302
    db.session.expire_all()
    assert {(e.kind, e.read_at is None) for e in _events(team["maja"])} == {("session_moved", False),
                                                                            ("promoted", True)}
    page = _home(client, login_as, team["maja"])
    assert "1 ny händelse" in page and "Markera alla som lästa" in page
