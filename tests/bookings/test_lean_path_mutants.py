"""The lean booking request path of issue 13 (`session_to_book`, `book_team`'s `waiting`, the booking
row as a Core INSERT, the seat claim's counters), pinned down after mutation testing
(docs/MUTATION.md, "Sixth run, the lean booking path"); and the session and people a booking reads
as Core rows since session 13 (SessionToBook, PersonToBook, NewBooking; "Eighth run, session 13's
rows", the tests after the comment below).

Each test kills mutants that passed the tests about the booking rule; the change named in each
docstring went unnoticed before.
"""
import re

import pytest
from sqlalchemy import select

from bench import measure
from ktc.bookings.models import Booking
from ktc.bookings.operations import book_team, cancel_booking
from ktc.bookings.seats import Waiting
from ktc.extensions import db
from ktc.mail.models import OutboxMessage


def _queue_reads(statements):
    """The statements that read a session's waiting list in queue order (promote_from_waitlist)."""
    return [s for s in statements if s.lstrip().startswith("SELECT") and "ORDER BY bookings.queued_at" in s]


def test_a_booking_nobody_waits_for_does_not_look_at_the_waiting_list(world, make):
    """Mutants: `nobody_waits` not passed on by book_team (`None`, or left out), or ignored by the
    promotion (`nobody_waits and full`): every booking of a rush asked for a waiting list that the
    query reading the session had already counted as empty."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=3)
    db.session.commit()
    with measure.counting_statements(db.engine) as seen:
        (result,) = book_team(world.manager, session, world.staff[:1], waiting=Waiting())
    assert result.status == "confirmed"
    assert _queue_reads(seen) == []


def test_a_booking_into_a_full_session_does_not_look_at_its_waiting_list(world, make):
    """Mutants: the full-session short cut at `>` instead of `>=`, or only when nobody waits
    (`nobody_waits and …`): a booking into a session whose last seat is taken read (and locked) its
    waiting list, though no seat can be given to anyone in it."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    make.booking(session, world.staff[0])
    make.booking(session, world.staff[1], status="waitlisted")
    db.session.commit()
    with measure.counting_statements(db.engine) as seen:
        (result,) = book_team(world.manager, session, world.staff[2:3], waiting=Waiting(municipal=1))
    assert (result.status, result.code) == ("waitlisted", "session_full")
    assert _queue_reads(seen) == []


def test_the_booking_just_written_is_not_read_back(world, make):
    """Mutant: the booking object built from the id alone (`Booking(id=…)` without the values
    written): it then loaded its own row back for the e-mail and the audit entry, one more SELECT in
    every booking, which the INSERT … RETURNING was there to spare."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=3)
    db.session.commit()
    with measure.counting_statements(db.engine) as seen:
        (result,) = book_team(world.manager, session, world.staff[:1], waiting=Waiting())
    assert (result.booking.status, result.booking.participant_id) == ("confirmed", world.staff[0].id)
    assert not [s for s in seen if re.search(r"FROM bookings\s+WHERE bookings\.id = ", s)]


def test_a_booking_row_written_by_the_insert_has_the_models_defaults(world, make):
    """Mutants: the INSERT's values for a new booking drifting from the model's defaults
    (`ical_sequence` 1, `feed_revision` 1): a waiting person was taken for someone holding a calendar
    invitation, and their feed events started one revision up. (The waiting person's row: nothing
    after the INSERT changes it; a confirmed one's `ical_sequence` is spent on its invitation.)"""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    _seated, waiting = book_team(world.manager, session, world.staff[:2])
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Booking, waiting.booking.id)
    defaults = {c.key: c.default.arg for c in Booking.__table__.columns
                if c.default is not None and c.default.is_scalar}
    assert {"ical_sequence", "feed_revision"} <= defaults.keys()
    assert {key: getattr(row, key) for key in defaults} == defaults


def test_someone_who_only_waited_gets_no_calendar_cancellation(world, make):
    """Mutant: a new booking written with `ical_sequence` 1: a waiting person, who never got a
    calendar invitation, got a METHOD:CANCEL for it when they cancelled; and the confirmed person's
    first invitation came with SEQUENCE 2."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, waiting = book_team(world.manager, session, world.staff[:2])
    assert (seated.status, waiting.status) == ("confirmed", "waitlisted")
    cancel_booking(world.manager, waiting.booking, "Annat pass")
    sent = {(m.booking_id, m.kind): (m.ics_method, m.ics_sequence)
            for m in db.session.execute(select(OutboxMessage)).scalars()}
    assert sent[(waiting.booking.id, "booking_cancelled")] == (None, None)
    assert sent[(seated.booking.id, "booking_confirmed")] == ("REQUEST", max(session.sequence, 1))


def test_booking_someone_again_after_a_cancel_records_who_booked_them_this_time(world, make):
    """Mutants: the reused row of a cancelled booking kept no booker (`booked_by_id = None`, or read
    from another attribute than the actor's id): the booking said nobody had made it."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    admin = make.user("admin")
    (first,) = book_team(admin, session, world.staff[:1])
    cancel_booking(admin, first.booking, "Sjuk")
    (again,) = book_team(world.manager, session, world.staff[:1])
    assert again.booking.id == first.booking.id  # the same row, booked again
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Booking, again.booking.id)
    assert (row.status, row.booked_by_id) == ("confirmed", world.manager.id)


def test_a_claim_refused_by_the_quota_reads_the_counters_in_its_own_statement(world, make):
    """Mutants (PostgreSQL): the refused claim's check of the counters it got back made with the other
    side (`free_for_side(session, None, …)`, the time in the side's place) or at the clock's time
    instead of the booking's `now` (before the release by `now`, after it by the clock): the
    counters were taken for stale and read again for the refusal's reason. On SQLite, which has no
    UPDATE inside a WITH, they are read once after the refused claim."""
    from datetime import timedelta

    session = make.session(make.plain_station(), start=make.future(2), capacity=2, min_per_side=1,
                           release_before_hours=72)
    now = session.start_at - timedelta(days=4)  # before the release; the clock is past it
    (seated,) = book_team(world.manager, session, world.staff[:1], now=now)
    db.session.commit()
    with measure.counting_statements(db.engine) as seen:
        (refused,) = book_team(world.manager, session, world.staff[1:2], now=now)
    assert (seated.status, refused.status, refused.code) == ("confirmed", "waitlisted", "quota_reached")
    counters = [s for s in seen if re.match(r"\s*SELECT sessions\.seats_municipal, sessions\.seats_regional\s", s)]
    assert len(counters) == (0 if db.engine.dialect.name == "postgresql" else 1)


def test_a_refused_claim_shows_the_seats_of_its_own_session(world, make):
    """Hand mutant of `_claim_or_read_statement` (PostgreSQL; mutmut does not mutate a function built
    once with `functools.cache`): the counters read when the claim takes nothing not limited to the
    session's row — a refused booking was answered with another session's seats."""
    other = make.session(make.plain_station(), start=make.future(12), capacity=2)
    for person in world.staff[2:4]:
        make.booking(other, person)
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    make.booking(session, world.staff[0])
    db.session.commit()
    (result,) = book_team(world.manager, session, world.staff[1:2], waiting=Waiting())
    assert (result.status, result.code) == ("waitlisted", "session_full")
    assert (session.seats_municipal, session.seats_regional) == (1, 0)


def test_the_answers_waiting_list_counts_only_those_waiting_for_that_session(world, make, client):
    """Hand mutant of `_to_book` (mutmut does not mutate a function built once with
    `functools.cache`): the count of people waiting read with the session not tied to it — the API
    answered a booking with everyone waiting for any session."""
    from ktc.accounts.operations import issue_api_token

    other = make.session(make.plain_station(), start=make.future(12), capacity=1)
    make.booking(other, world.staff[2])
    make.booking(other, world.staff[3], status="waitlisted")
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    token = issue_api_token(world.manager, "Skript")
    db.session.commit()
    session_id, person_id = session.id, world.staff[0].id
    response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [person_id]},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["seats"] == {"municipal": 1, "regional": 0, "free": 1, "waitlisted": 0}


def test_a_booking_refused_by_the_quota_reads_the_station_and_centre_with_the_session(world, make, client):
    """Hand mutant of `_to_book`: the session read without its place (the station's name and the
    centre's time zone as columns of its row, SessionToBook.place) — the refusal's reason, which gives the release time
    in the centre's time zone, loaded the station and the centre one query each."""
    from ktc.accounts.operations import issue_api_token

    session = make.session(make.plain_station(), start=make.future(10), capacity=2, min_per_side=1,
                           release_before_hours=72)
    make.booking(session, world.staff[0])
    token = issue_api_token(world.manager, "Skript")
    db.session.commit()
    session_id, person_id = session.id, world.staff[1].id
    db.session.remove()
    with measure.counting_statements(db.engine) as seen:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [person_id]},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    assert [r["code"] for r in response.get_json()["results"]] == ["quota_reached"]
    assert not [s for s in seen if re.match(r"\s*SELECT (stations|centres)\.", s)]


# Session 13's rows (docs/MUTATION.md, "Eighth run, session 13's rows"): the session and the people a
# booking reads as Core rows (SessionToBook, PersonToBook) and the booking it keeps (NewBooking).


def _two_writers_can_interleave():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the two cannot interleave")


def test_the_team_forms_answer_names_the_station_and_gives_the_time_where_the_centre_is(client, login_as, world,
                                                                                       make):
    """Mutants of `session_to_book`: the session's place built without the station's name
    (`Place(None, …)`) or without the centre's time zone (`Place(…, None)`): the page answering a team
    booking named no station, or gave the session's start in Stockholm's time for a centre elsewhere."""
    from zoneinfo import ZoneInfo

    station = make.plain_station(make.centre(timezone="Asia/Tokyo"), name="Simulatorhallen Tokyo")
    start = make.future(10, hour=9)
    session = make.session(station, start=start, capacity=3)
    db.session.commit()
    login_as(world.manager)
    response = client.post("/bookings/team", data={"session": session.id, "participant_ids": [world.staff[0].id]}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Simulatorhallen Tokyo" in body
    there, here = (start.astimezone(ZoneInfo(zone)).strftime("%H:%M") for zone in ("Asia/Tokyo", "Europe/Stockholm"))
    assert there != here
    assert there in body and here not in body


def test_a_booking_that_moves_the_queue_up_waits_for_a_cancel_of_someone_waiting(app, make):
    """Mutants of SessionToBook (PostgreSQL): `lock_and_reread` with `lock=False` or `lock=None`, or
    `reread` passing `None` for the lock: the session read as a row re-read without locking it before
    the promotion. A booking made once the seats held for the other side were released moved up the
    person who had just cancelled their place on the waiting list (the cancel, not yet committed, still
    held the session's row): their booking was written back as confirmed over the cancel, and the
    person booked now was put on the waiting list behind a seat taken by someone who had left it.
    SQLite runs one writing transaction at a time."""
    from datetime import timedelta

    from ktc.accounts.models import User
    from ktc.bookings.operations import session_to_book
    from ktc.organisations.models import Participant
    from tests.staging import hold_then_start

    _two_writers_can_interleave()
    unit = make.unit(make.organisation("municipal"))
    session = make.session(make.plain_station(), start=make.future(10), capacity=2, min_per_side=1,
                           release_before_hours=72)
    make.booking(session, make.participant(unit))
    leaving = make.booking(session, make.participant(unit), status="waitlisted")
    manager, newcomer = make.manager(unit), make.participant(unit)
    db.session.commit()
    ids = {"session": session.id, "leaving": leaving.id, "manager": manager.id, "newcomer": newcomer.id}
    released = session.start_at - timedelta(hours=48)  # past the release, before the cut-off

    def cancel():
        cancel_booking(db.session.get(User, ids["manager"]), db.session.get(Booking, ids["leaving"]))
        return "cancelled"

    def book():
        to_book, waiting = session_to_book(ids["session"])
        (result,) = book_team(db.session.get(User, ids["manager"]), to_book,
                              [db.session.get(Participant, ids["newcomer"])], now=released, waiting=waiting)
        return result.status

    outcomes = hold_then_start(app, ("cancel", cancel), ("book", book))
    assert outcomes == {"cancel": "cancelled", "book": "confirmed"}
    db.session.expire_all()
    assert db.session.get(Booking, ids["leaving"]).status == "cancelled"


def test_a_refused_team_reads_its_sessions_seats_again_without_locking_the_session(client, login_as, world, make):
    """Mutant of SessionToBook.reread (PostgreSQL): a lock by default (`lock=True`): the team form,
    reading the seats again after a refused team was rolled back, locked the session's row until its
    page was rendered, and every booking into the session waited for that page. (On SQLite FOR UPDATE
    emits nothing.)"""
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    db.session.commit()
    login_as(world.manager)
    with measure.counting_statements(db.engine) as seen:
        response = client.post("/bookings/team", data={
            "session": session.id, "participant_ids": [p.id for p in world.staff[:3]], "all_or_nothing": "1"}, follow_redirects=True)
    assert response.status_code == 409
    assert "Bokade: 0 från kommunen, 0 från regionen · 2 av 2 lediga" in response.get_data(as_text=True)
    assert not [s for s in seen if re.search(r"\bFROM sessions\b", s) and "FOR UPDATE" in s]


def test_two_managers_booking_different_people_of_one_unit_do_not_wait_for_each_other(app, make):
    """Mutant of `_locked_in_id_order` (PostgreSQL): `with_for_update(of=None)`: the people to book,
    read with their unit and organisation joined, locked those rows too, so a manager booking someone
    waited until another booking of anyone of the same unit (or organisation) was committed, and
    two team bookings of people of two units each could deadlock. SQLite runs one writing
    transaction at a time."""
    from sqlalchemy import func

    from ktc.accounts.models import User
    from ktc.bookings.operations import bookable_participants, session_to_book
    from tests.staging import hold_then_start

    _two_writers_can_interleave()
    unit = make.unit(make.organisation("municipal"))
    first_person, second_person = make.participant(unit), make.participant(unit)
    ids = {"first": (make.manager(unit).id, first_person.id, make.session(make.plain_station(), capacity=2).id),
           "second": (make.manager(unit).id, second_person.id, make.session(make.plain_station(), capacity=2).id)}
    db.session.commit()

    def book(name):
        manager_id, person_id, session_id = ids[name]
        manager = db.session.get(User, manager_id)
        people = bookable_participants(manager, ids=[person_id], to_book=True)
        session, waiting = session_to_book(session_id)
        (result,) = book_team(manager, session, people, waiting=waiting)
        return result.status

    def book_second():
        status = book("second")
        with db.engine.connect() as other:  # whether the first booking had been committed meanwhile
            first_seen = other.execute(select(func.count()).select_from(Booking)
                                       .where(Booking.participant_id == ids["first"][1])).scalar_one()
        return status, first_seen

    outcomes = hold_then_start(app, ("first", lambda: book("first")), ("second", book_second))
    assert outcomes == {"first": "confirmed", "second": ("confirmed", 0)}


def test_a_manager_of_no_unit_is_offered_nobody_to_book(client, login_as, make):
    """Mutant of `bookable_participants`: the units of a manager who manages none bound as `[1]`
    instead of `[0]` (no unit has id 0): the team form offered them the staff of the unit with id 1."""
    unit = make.unit(make.organisation("municipal"), id=1)
    make.participant(unit, name="Undersköterska Ett")
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    nobody = make.manager()
    db.session.commit()
    login_as(nobody)
    page = client.get(f"/bookings/team?session={session.id}").get_data(as_text=True)
    assert "Undersköterska Ett" not in page


def test_an_admin_books_people_of_two_units_through_the_team_form(client, login_as, make):
    """Mutant of `bookable_participants`: the people to book read with the manager's statement for an
    admin (`_bookable_to_book(None, …)`), which asks for the units an admin has none of: an admin's team
    booking failed."""
    people = [make.participant(make.unit(make.organisation(side)), side=side) for side in ("municipal", "regional")]
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    response = client.post("/bookings/team", data={"session": session.id, "participant_ids": [p.id for p in people]}, follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert sorted(b.status for b in db.session.query(Booking).filter_by(session_id=session.id)) == ["confirmed"] * 2


def test_the_team_forms_staff_list_is_in_unit_then_name_order(client, login_as, make):
    """Mutants of `bookable_participants`: the staff list of a manager of several units ordered by name
    alone, or by unit alone (`order_by(None, …)`, `order_by(…, None)`, one of the two dropped): the
    team form mixed the units' people, or listed each unit's people in the order they were added."""
    org = make.organisation("municipal")
    first, second = make.unit(org, name="Enhet A"), make.unit(org, name="Enhet B")
    make.participant(second, name="Anna Bsson")
    make.participant(first, name="Sara Asson")
    make.participant(first, name="Bertil Asson")
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    manager = make.manager(first, second)
    db.session.commit()
    login_as(manager)
    page = client.get(f"/bookings/team?session={session.id}").get_data(as_text=True)
    names = ["Bertil Asson", "Sara Asson", "Anna Bsson"]
    assert all(name in page for name in names)
    assert sorted(names, key=page.index) == names


def test_a_bookings_history_in_the_audit_log_begins_with_its_creation(client, login_as, world, make):
    """Mutants of `book_team`'s audit entry (the booking now named by type and id, a NewBooking not being
    an ORM object): `object_type` `None`, left out or misspelt: the entry was written with no (or another)
    type, and an admin reading the history of a booking (the log filtered by type and id) saw it
    cancelled but never created."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    admin = make.user("admin")
    db.session.commit()
    login_as(world.manager)
    assert client.post("/bookings/team", data={"session": session.id,
                                               "participant_ids": [world.staff[0].id]}, follow_redirects=True).status_code == 200
    booking = db.session.query(Booking).filter_by(session_id=session.id).one()
    cancel_booking(world.manager, booking, "Sjuk")
    db.session.commit()
    login_as(admin)
    page = client.get(f"/audit/?object_type=booking&object_id={booking.id}").get_data(as_text=True)
    assert "<code>booking.created</code>" in page and "<code>booking.cancelled</code>" in page
