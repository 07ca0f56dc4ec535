"""The seat rule, written once: capacity, the seats held per side until the release, claiming and
freeing a seat, and promotion from the waiting list.

Booking, the session and booking pages, the skill matrix's "bookable for your side", the planning
board and the release job all ask this module; none of them spells the rule out again.

The rule (SPEC "Mixed groups"): `min_per_side` seats are held for each side until
`release_before_hours` before the start; before the release one side may hold at most
`capacity − min_per_side` seats, after it any free seat may be taken by anyone.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select, update

from ktc.bookings.models import Booking
from ktc.database import first, utcnow
from ktc.extensions import db
from ktc.organisations.models import SIDES
from ktc.planning.models import Need
from ktc.sessions.models import Session


def release_at(session):
    """When the seats held for each side open to both."""
    return session.start_at - timedelta(hours=session.release_before_hours)


def is_released(session, now=None):
    """After the release time, seats held for one side may be taken by anyone."""
    return session.min_per_side == 0 or (now or utcnow()) >= release_at(session)


def side_limit(session, side, now=None):
    """How many seats one side may hold right now."""
    if is_released(session, now):
        return session.capacity
    return session.capacity - session.min_per_side


def free_for_side(session, side, now=None):
    """Seats this side could book now (0 when full or when the rest is held for the other side)."""
    free = session.capacity - session.seats_taken
    return max(0, min(free, side_limit(session, side, now) - session.seats_for(side)))


def has_seat_for_side(session, side, now=None):
    """Whether someone from `side` could take a seat now."""
    return free_for_side(session, side, now) > 0


@dataclass(frozen=True)
class Reservation:
    """A session planned from training needs, inside its priority window: until `until` only the people
    of `unit_ids` (the units whose needs it covers) can be booked."""

    until: datetime
    unit_ids: frozenset

    def admits(self, unit_ids):
        """Whether anyone of these units (None: any unit, as for an admin) can be booked now."""
        return unit_ids is None or bool(self.unit_ids & set(unit_ids))


def reserved_until(session, now=None):
    """When the seats of a session planned from needs open to everyone, if that is still ahead."""
    until = session.priority_until
    return until if until is not None and (now or utcnow()) < until else None


def reservations(sessions, now=None):
    """{session id: Reservation} for those of `sessions` inside their priority window; one query at most.

    After the window nothing is stored or changed: the comparison with `now` opens the seats. The
    window and the covered units are fixed when the plan is accepted (in the transaction that
    creates the session), so reading them needs no lock beyond the seat claim's.
    """
    now = now or utcnow()
    running = {s.id: s.priority_until for s in sessions if reserved_until(s, now) is not None}
    if not running:
        return {}
    units = {}
    for session_id, unit_id in db.session.execute(
        select(Need.covered_session_id, Need.unit_id).where(Need.covered_session_id.in_(list(running)))
    ):
        units.setdefault(session_id, set()).add(unit_id)
    return {sid: Reservation(until, frozenset(units.get(sid, ()))) for sid, until in running.items()}


def closed_to(sessions, unit_ids, now=None):
    """{session id: when its seats open} for those of `sessions` whose priority window keeps them from
    every one of `unit_ids` (None: any unit, as for KTC staff): the lists show that, not free seats."""
    return {sid: r.until for sid, r in reservations(sessions, now).items() if not r.admits(unit_ids)}


def seat_column(side):
    """The session's counter of seats held by `side`."""
    return Session.seats_municipal if side == "municipal" else Session.seats_regional


def _counter(side):
    table = Session.__table__
    return table.c.seats_municipal if side == "municipal" else table.c.seats_regional


def has_free_seat_clause():
    """SQL: the session has a free seat (for either side)."""
    table = Session.__table__
    return table.c.seats_municipal + table.c.seats_regional < table.c.capacity


def within_quota_clause(side):
    """SQL: `side` holds fewer seats than it may hold before the release (capacity − min_per_side)."""
    table = Session.__table__
    return _counter(side) < table.c.capacity - table.c.min_per_side


@cache
def _claim_statement(side, released):
    """The seat claim as a Core statement on the sessions table, built once per side and release state
    (the ORM's UPDATE path and building the statement cost more than the UPDATE itself)."""
    table = Session.__table__
    column = _counter(side)
    conditions = [table.c.id == bindparam("session_id"), table.c.status == "scheduled", has_free_seat_clause()]
    if not released:
        conditions.append(within_quota_clause(side))
    return (update(table).where(*conditions).values({column: column + 1})
            .returning(table.c.seats_municipal, table.c.seats_regional))


@cache
def _release_statement(side):
    table = Session.__table__
    column = _counter(side)
    return (update(table).where(table.c.id == bindparam("session_id"), column > 0).values({column: column - 1})
            .returning(table.c.seats_municipal, table.c.seats_regional))


def claim_seat(session, side, now):
    """Take one seat for `side` if the capacity and the side's quota allow it; True if taken.

    One conditional UPDATE: on PostgreSQL a concurrent UPDATE of the same row waits and then
    re-evaluates the WHERE clause against the committed row (READ COMMITTED); on SQLite writers
    are serialised by BEGIN IMMEDIATE. Counting bookings and then inserting would overbook.
    The counters come back with RETURNING, so the object is current without another SELECT.
    """
    if not current_app.config.get("KTC_SEAT_GUARD", True):
        return _claim_seat_unguarded(session, side, now)
    released = is_released(session, now)
    conn = db.session.connection()  # past the ORM session's execute: see ktc.database.rows
    if conn.dialect.name == "postgresql":
        row = first(_claim_or_read_statement(side, released), {"session_id": session.id})
        if row is not None:
            session.take_counters(row.seats_municipal, row.seats_regional)
            if row.claimed:
                return True
            if free_for_side(session, side, now) == 0:
                return False
            # Read from the statement's snapshot, these counters may predate the claim that filled the
            # session while this one waited for its row: they are read again when asked.
    else:
        row = conn.execute(_claim_statement(side, released), {"session_id": session.id}).first()
        if row is not None:
            session.take_counters(*row)
            return True
    # Not taken: the counters moved under us (or the session changed).
    session.counters_moved()
    return False


@cache
def _claim_or_read_statement(side, released):
    """PostgreSQL: the seat claim and, when it takes nothing, the counters as they are, in one statement
    (a waiting list's reason and the answer's seats need them): the claim's UPDATE as a CTE, its row
    if it took a seat, else the session's row."""
    from sqlalchemy import exists, literal

    table = Session.__table__
    claimed = _claim_statement(side, released).cte("claimed")
    took = select(claimed.c.seats_municipal, claimed.c.seats_regional, literal(True).label("claimed"))
    counters = select(table.c.seats_municipal, table.c.seats_regional, literal(False).label("claimed")).where(
        table.c.id == bindparam("session_id"), ~exists(select(claimed.c.seats_municipal)))
    return took.union_all(counters)


def _claim_seat_unguarded(session, side, now):
    """Read, check in Python, write back: the race the guard prevents. Only for the control test."""
    row = db.session.execute(
        select(Session.seats_municipal, Session.seats_regional, Session.capacity).where(Session.id == session.id)
    ).one()
    taken = row.seats_municipal + row.seats_regional
    mine = row.seats_municipal if side == "municipal" else row.seats_regional
    if taken >= row.capacity or mine >= side_limit(session, side, now):
        return False
    column = seat_column(side)
    db.session.execute(
        update(Session).where(Session.id == session.id).values({column: mine + 1}).execution_options(
            synchronize_session=False
        )
    )
    session.counters_moved()
    return True


def release_seat(session, side):
    """Give back one seat held by `side` (never below zero)."""
    row = db.session.execute(_release_statement(side), {"session_id": session.id}).first()
    if row is None:
        session.counters_moved()
    else:
        session.take_counters(*row)


def hold_session(session):
    """Lock the session's row for the rest of the transaction and re-read it; call before changing
    the status of any of its bookings.

    Two requests that each write back a booking status they read earlier lose one update: a
    cancel of a waitlisted booking while another request promotes it left a cancelled booking
    holding a counted seat, or a booking confirmed after its cancel answered 200. So every status
    change (book, cancel, promote, attendance, cancelling the session) takes this lock first and
    reads the statuses after it: they are serialised per session, and the one lock order (the
    session row, then its bookings) cannot deadlock. On SQLite FOR UPDATE emits nothing; its
    writers are already serialised by BEGIN IMMEDIATE. KTC_STATUS_GUARD=0 only for the race
    test's control run.
    """
    if not current_app.config.get("KTC_STATUS_GUARD", True):
        return False
    session.lock_and_reread()
    return True


def current(stmt, params=None):
    """Objects as the database has them now (not as loaded before a lock was taken)."""
    return db.session.execute(stmt.execution_options(populate_existing=True), params).scalars().all()


@dataclass(frozen=True)
class Waiting:
    """How many people wait for a session, per side, as counted in the query that read the session
    when the request began (ktc.bookings.operations.session_to_book)."""

    municipal: int = 0
    regional: int = 0

    @property
    def total(self):
        return self.municipal + self.regional

    def of(self, side):
        return self.regional if side == "regional" else self.municipal


def promote_from_waitlist(session, now=None, waiting=None):
    """Give free seats to waiting people in queue order, skipping those whose side is at its quota.

    `waiting`: who waited for the session, per side, when the caller's request read it (Waiting); a
    side nobody of which waited then is not looked for. In a mixed group before the release, the
    seats held for one side are free while the other side's people queue: a booking onto that queue
    asked, every time, whether anyone of the side with room waited.
    """
    from ktc import audit
    from ktc.mail import notify

    now = now or utcnow()
    if session.status != "scheduled" or session.start_at <= now:
        return []
    # Only people of a side with a seat it may take can be promoted. A full session promotes nobody,
    # nor one whose free seats are held for the other side than everyone waiting: its waiting list is
    # not read and its row not locked (every booking onto such a waiting list did both, each waiting
    # for the one before to commit).
    sides = _sides_with_room(session, now)
    if waiting is not None:
        sides = tuple(side for side in sides if waiting.of(side))
    if not sides:
        return []
    promoted = []
    # Nobody of those sides waiting (the usual case) needs no lock; otherwise read the queue again under it.
    if not db.session.execute(_ANYONE_WAITING, {"session_id": session.id, "sides": sides}).first():
        return []
    hold_session(session)
    sides = _sides_with_room(session, now) if session.status == "scheduled" else ()
    if not sides:
        return []
    for booking in current(_QUEUE, {"session_id": session.id, "sides": sides}):
        if session.seats_taken >= session.capacity:
            break
        if not has_seat_for_side(session, booking.side, now):
            continue
        if claim_seat(session, booking.side, now):
            booking.status = "confirmed"
            booking.confirmed_at = now
            promoted.append(booking)
    db.session.flush()
    for booking in promoted:
        notify.booking_promoted(booking)
        audit.record(None, "booking.promoted", booking, session=session.id)
    return promoted


def _sides_with_room(session, now):
    return tuple(side for side in SIDES if free_for_side(session, side, now) > 0)


# Built once: a session's waiting list, of the sides given, in queue order; and whether anyone is on
# it (a booking onto a waiting list behind free seats asks that).
_QUEUED = (Booking.session_id == bindparam("session_id"), Booking.status == "waitlisted",
           Booking.side.in_(bindparam("sides", expanding=True)))
_QUEUE = select(Booking).where(*_QUEUED).order_by(Booking.queued_at, Booking.id)
_ANYONE_WAITING = select(Booking.id).where(*_QUEUED).limit(1)


def promote_released_sessions(now=None):
    """For sessions whose held seats were released, move waiting people up. Returns the promotions."""
    now = now or utcnow()
    candidates = db.session.execute(
        select(Session)
        .where(
            Session.status == "scheduled",
            Session.start_at > now,
            Session.min_per_side > 0,
            Session.id.in_(select(Booking.session_id).where(Booking.status == "waitlisted")),
        )
        .order_by(Session.start_at)
    ).scalars().all()
    promoted = []
    for session in candidates:
        if is_released(session, now):
            promoted += promote_from_waitlist(session, now)
    return promoted
