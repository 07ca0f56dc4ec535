"""The lean booking request path of issue 13 (`session_to_book`, `book_team`'s `waiting`, the booking
row as a Core INSERT, the seat claim's counters), pinned down after mutation testing
(docs/MUTATION.md, "Sixth run, the lean booking path").

Each test kills mutants that passed the tests about the booking rule; the change named in each
docstring went unnoticed before.
"""
import re

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
