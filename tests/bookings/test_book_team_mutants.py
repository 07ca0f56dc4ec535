"""Team booking (ktc/bookings/operations.py) pinned down after mutation testing (issue 18,
docs/MUTATION.md, the fourth run).

Each test kills mutants of `book_team`, `_own_and_overlapping`, `_book_one` and their helpers that
passed the tests about the booking rule; the change named in each docstring went unnoticed before.
"""
from datetime import timedelta

import pytest

from ktc.bookings.operations import book_team
from ktc.bookings.seats import release_at


@pytest.fixture
def world(make):
    kommun = make.organisation("municipal", name="Aneby kommun")
    unit = make.unit(kommun, name="Hemsjukvården Aneby")
    manager = make.manager(unit)
    admin = make.user("admin")
    staff = [make.participant(unit, name=f"Sjuksköterska {i}") for i in range(5)]
    return type("World", (), locals())


def test_people_waiting_for_a_held_seat_get_it_before_newcomers_once_it_is_released(world, make):
    """Mutants: the promotion before booking judged at the clock's time instead of the booking's
    `now` (`promote_from_waitlist(session, None)` or without `now`): the held seat, released at
    `now`, went to the newcomer instead of the person already waiting for it."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=2, min_per_side=1,
                           release_before_hours=72)
    seated, waiting = book_team(world.manager, session, world.staff[:2])
    assert (seated.status, waiting.status, waiting.code) == ("confirmed", "waitlisted", "quota_reached")
    (newcomer,) = book_team(world.manager, session, [world.staff[2]], now=release_at(session) + timedelta(minutes=1))
    assert (waiting.booking.status, newcomer.status) == ("confirmed", "waitlisted")


def test_a_person_listed_twice_is_booked_once_and_the_rest_of_the_team_still_is(world, make):
    """Mutants: a repeated person ends the loop (`continue` → `break`: the people after them were not
    booked) or is not remembered (`seen.add(None)`: a second, refused result for the same person
    made an all-or-nothing team booking fail)."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=4)
    first, second = world.staff[:2]
    results = book_team(world.manager, session, [first, first, second], all_or_nothing=True)
    assert [(r.participant, r.status) for r in results] == [(first, "confirmed"), (second, "confirmed")]
    assert session.seats_taken == 2


def test_an_all_or_nothing_refusal_tells_each_member_why(world, make):
    """Mutant: the members who would have fitted told `None` instead of "the team could not be
    booked together" (the team page lists each member with the reason)."""
    from ktc.bookings.operations import TeamRefused
    from ktc.errors import TeamNotBookable

    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    with pytest.raises(TeamRefused) as info:
        book_team(world.manager, session, world.staff[:2], all_or_nothing=True)
    fitted, waiting = info.value.results
    assert (fitted.status, fitted.code, fitted.reason) == ("refused", TeamNotBookable.code, str(TeamNotBookable()))
    assert fitted.reason and fitted.reason != "None"
    assert waiting.code == "session_full"


def test_each_booked_person_is_told_seat_or_waiting_list(world, make):
    """Mutant: the confirmation e-mail not queued for a confirmed seat (`r.status == "XXconfirmedXX"`)."""
    from sqlalchemy import select

    from ktc.extensions import db
    from ktc.mail.models import OutboxMessage

    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, waiting = book_team(world.manager, session, world.staff[:2])
    told = set(db.session.execute(select(OutboxMessage.booking_id, OutboxMessage.kind)).all())
    assert {(seated.booking.id, "booking_confirmed"), (waiting.booking.id, "booking_waitlisted")} <= told


def test_each_booking_made_is_logged_with_who_made_it_and_the_outcome(world, make):
    """Mutant: the `booking.created` audit entry written for the refused people (who have no
    booking) instead of the booked ones (`r.booking is None`)."""
    import json

    from sqlalchemy import select

    from ktc.audit.models import AuditEntry
    from ktc.extensions import db

    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    world.staff[2].active = False
    seated, waiting, refused = book_team(world.manager, session, world.staff[:3])
    assert refused.status == "refused"
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "booking.created")
                                 .order_by(AuditEntry.id)).scalars().all()
    assert [(e.actor_id, e.object_id, json.loads(e.details)) for e in entries] == [
        (world.manager.id, seated.booking.id, {"status": "confirmed", "session": session.id}),
        (world.manager.id, waiting.booking.id, {"status": "waitlisted", "session": session.id}),
    ]


def test_whether_a_person_is_active_is_read_again_under_the_lock(world, make):
    """Mutant: `lock_participant_ids` locking and re-reading nobody (`ids = None`): someone
    deactivated by another request after this one loaded them was booked all the same."""
    from sqlalchemy import update

    from ktc.extensions import db
    from ktc.organisations.models import Participant

    session = make.session(make.plain_station(), start=make.future(10), capacity=4)
    leaver = world.staff[0]
    people = Participant.__table__
    db.session.execute(update(people).where(people.c.id == leaver.id).values(active=False))
    assert leaver.active  # this request's object still shows what it read before
    (result,) = book_team(world.manager, session, [leaver])
    assert (result.status, result.code) == ("refused", "participant_inactive")
    assert session.seats_taken == 0


def test_people_loaded_locked_are_not_read_a_second_time(world, make):
    """Mutant: the set of people already locked in the transaction read under another key
    (`info.get(None, …)`): every team booking read its people twice."""
    from ktc.bookings.operations import bookable_participants, lock_participant_ids
    from tests.queries import statements

    team = bookable_participants(world.manager, ids=[p.id for p in world.staff[:3]])
    assert len(team) == 3
    with statements() as sent:
        lock_participant_ids(p.id for p in team)
    assert sent == []
    with statements() as sent:
        lock_participant_ids([world.staff[3].id])
    assert sent


def test_people_locked_inside_a_savepoint_that_was_rolled_back_are_locked_again(world, make):
    """Mutants: `_forget_locks` forgetting under another key (`pop(None, …)`, `pop(None)`) or
    without a default: a lock given up with a rolled-back savepoint was taken for still held, so
    the people were booked without a lock (and unread under it)."""
    from ktc.bookings.operations import bookable_participants, lock_participant_ids
    from ktc.extensions import db
    from tests.queries import statements

    ids = [p.id for p in world.staff[:2]]
    savepoint = db.session.begin_nested()
    bookable_participants(world.manager, ids=ids)
    savepoint.rollback()
    with statements() as sent:
        lock_participant_ids(ids)
    assert sent
    with statements() as sent:
        lock_participant_ids(ids)
    assert sent == []


def test_booking_closes_at_the_cutoff_itself_and_for_an_admin_at_the_start_itself(world, make):
    """Mutants of `check_bookable`: `now >= cutoff` → `now > cutoff` (a manager could still book at
    the moment the page says booking closed) and `start_at <= now` → `start_at < now` (an admin
    could book a session at the moment it started)."""
    from ktc.bookings.operations import cutoff_at
    from ktc.errors import BookingClosed, SessionNotBookable

    session = make.session(make.plain_station(), start=make.future(10), capacity=4)
    with pytest.raises(BookingClosed):
        book_team(world.manager, session, world.staff[:1], now=cutoff_at(session))
    with pytest.raises(SessionNotBookable):
        book_team(world.admin, session, world.staff[:1], now=session.start_at)
    (result,) = book_team(world.manager, session, world.staff[:1], now=cutoff_at(session) - timedelta(seconds=1))
    assert result.status == "confirmed"


def test_a_manager_of_no_unit_is_shown_the_seats_of_both_sides(make):
    """Mutants of `booking_sides`: an empty set of units read as unit 1 (`{0}` → `{1}`: the sides
    of unit 1's organisation), and the fallback's side names changed (the session and team pages
    then asked for the free seats of a side that does not exist)."""
    from ktc.bookings.operations import booking_sides

    make.unit(make.organisation("municipal", name="Eksjö kommun"), id=1, name="Enhet ett")
    assert booking_sides(make.manager()) == ["municipal", "regional"]


def test_the_seat_summary_counts_the_waiting_list(world, make):
    """Mutants: `waitlist_counts` answering nothing for a non-empty list (`if session_ids:`), and
    `seat_summary` not counting the waiting list itself (`is not None`, `waitlisted = None`, the
    count looked up under another key or with another default), or its keys renamed: the
    session page and the API showed nobody waiting, or somebody waiting in an empty list."""
    from ktc.bookings.operations import seat_summary, waitlist_counts

    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    other = make.session(make.plain_station(), start=make.future(11), capacity=1)
    book_team(world.manager, session, world.staff[:3])
    assert waitlist_counts([session.id, other.id]) == {session.id: 2}
    assert waitlist_counts([]) == {}
    assert seat_summary(session) == {"municipal": 1, "regional": 0, "free": 0, "waitlisted": 2}
    assert seat_summary(other) == {"municipal": 0, "regional": 0, "free": 1, "waitlisted": 0}
    assert seat_summary(other, waitlisted=3)["waitlisted"] == 3


def test_an_admin_posting_a_team_gets_anyone_active_and_a_manager_only_their_units(world, make):
    """Mutant: the posted team's query built as a manager's for an admin (`_bookable(None, True)`:
    it then asked for the admin's units, which an admin has none of)."""
    from ktc.bookings.operations import bookable_participants

    outsider = make.participant(make.unit(name="Annan enhet"), name="Utomstående Ulf")
    ids = [world.staff[0].id, outsider.id]
    assert bookable_participants(world.admin, ids=ids) == [world.staff[0], outsider]
    assert bookable_participants(world.manager, ids=ids) == [world.staff[0]]


def test_the_priority_window_refusal_says_until_when_in_the_centres_time(world, make):
    """Mutants of `check_reservation`: the window's end left out of the refusal (`until=None`,
    `fmt_datetime(None, …)`), shown in the server's time zone instead of the centre's, or in the
    default (long) format instead of the short one (or a format of another name); the names of
    those refused joined with something else than a comma."""
    from zoneinfo import ZoneInfo

    from ktc.errors import SeatsReserved
    from ktc.extensions import db
    from ktc.planning.models import Need

    helsinki = make.plain_station(make.centre(timezone="Europe/Helsinki"))
    session = make.session(helsinki, start=make.future(20, hour=9), capacity=4)
    session.priority_until = make.future(10, hour=12)
    covered = make.unit(name="Hemtjänst Norr")
    db.session.add(Need(unit=covered, skill=make.skill(), people=1, month=session.start_at.date().replace(day=1),
                        covered_session_id=session.id))
    db.session.flush()
    with pytest.raises(SeatsReserved) as refused:
        book_team(world.admin, session, world.staff[:2])
    until = session.priority_until.astimezone(ZoneInfo("Europe/Helsinki"))
    assert f" {until:%Y-%m-%d %H:%M} " in str(refused.value)
    assert f" {world.staff[0].name}, {world.staff[1].name} " in str(refused.value)


def test_the_priority_window_opens_at_its_end_itself(world, make):
    """Mutant: `now < until` → `now <= until` in `reserved_until` (other units' people were still
    refused at the moment the offer said the seats open to everyone)."""
    from ktc.extensions import db
    from ktc.planning.models import Need

    session = make.session(make.plain_station(), start=make.future(20, hour=9), capacity=4)
    session.priority_until = make.future(10, hour=12)
    db.session.add(Need(unit=make.unit(name="Hemtjänst Norr"), skill=make.skill(), people=1,
                        month=session.start_at.date().replace(day=1), covered_session_id=session.id))
    db.session.flush()
    (result,) = book_team(world.manager, session, world.staff[:1], now=session.priority_until)
    assert result.status == "confirmed"


def test_a_window_whose_needs_are_gone_refuses_without_failing_and_lists_judge_at_the_given_time(world, make):
    """Mutants of `reservations`: the covered units of a session no need points at any more read as
    `None` (`units.get(sid, None)`, `units.get(sid)`: booking it failed with an error instead of the
    window's refusal); of `closed_to`: the window judged at the clock's time instead of `now` (the
    lists showed a session closed after its window had ended)."""
    from ktc.bookings.seats import closed_to
    from ktc.errors import SeatsReserved
    from ktc.extensions import db

    session = make.session(make.plain_station(), start=make.future(20, hour=9), capacity=4)
    session.priority_until = make.future(10, hour=12)
    db.session.flush()
    with pytest.raises(SeatsReserved):
        book_team(world.manager, session, world.staff[:1])
    until = session.priority_until
    assert closed_to([session], [world.unit.id], now=until - timedelta(minutes=1)) == {session.id: until}
    assert closed_to([session], [world.unit.id], now=until + timedelta(minutes=1)) == {}
