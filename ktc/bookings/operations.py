"""Booking: team booking with waitlist, mixed-group seats, cut-off, cancellation and promotion.

Seats are claimed with one conditional UPDATE on the session row (see `seats.claim_seat`): the
database re-checks the limit at the moment of the write, so capacity and the per-side quota
hold whatever the number of simultaneous requests, on SQLite and on PostgreSQL alike.
"""
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, event, func, literal, or_, select
from sqlalchemy.orm import Session as OrmSession

from ktc import audit, policy
from ktc.bookings.models import ACTIVE_STATUSES, Booking
from ktc.bookings.seats import (
    claim_seat,
    current,
    hold_session,
    promote_from_waitlist,
    release_at,
    release_seat,
    reservations,
    Waiting,
)
from ktc.database import LOCKED_PEOPLE, adopt_inserted, first, one_of, one_of_bind, rows, send_kept, utcnow
from ktc.errors import (
    AlreadyBooked,
    BookingClosed,
    Conflict,
    Overlap,
    ParticipantInactive,
    PermissionDenied,
    QuotaReached,
    SessionFull,
    SeatsReserved,
    SessionNotBookable,
    TeamNotBookable,
)
from ktc.extensions import db
from ktc.i18n import fmt_datetime
from ktc.organisations.models import Participant
from ktc.sessions.models import Place, SeatCounts, Session


@dataclass
class BookingResult:
    """The outcome for one person of a team booking."""

    participant: Participant
    booking: Booking | None
    status: str  # confirmed, waitlisted or refused
    code: str | None = None
    reason: str | None = None
    # A row inserted by this booking (not one booked again after a cancel): a confirmed one carries
    # its invitation's SEQUENCE already (notify.first_sequence).
    inserted: bool = False

    def as_dict(self):
        return {
            "participant_id": self.participant.id,
            "booking_id": self.booking.id if self.booking is not None and self.booking.id else None,
            "status": self.status,
            "reason": self.reason,
            "code": self.code,
        }


class TeamResults(list):
    """The per-person results of a team booking, in order, and how many wait for the session after it
    (`waitlisted`; None when the caller did not say how many waited before)."""

    waitlisted = None

    def count(self, status):
        """How many people got this status (confirmed, waitlisted, refused)."""
        return sum(1 for r in self if r.status == status)


class TeamRefused(TeamNotBookable):
    """All or nothing: not everyone fitted. Carries the per-person results (nothing is saved)."""

    def __init__(self, results):
        self.results = results
        super().__init__()


def cutoff_at(session):
    return session.start_at - timedelta(hours=current_app.config["KTC_BOOKING_CUTOFF_HOURS"])


def _why_no_seat(session, side, now):
    if session.seats_taken >= session.capacity:
        return SessionFull()
    return QuotaReached(release=fmt_datetime(release_at(session), session.place.timezone, "short"))


def check_bookable(actor, session, now):
    if session.status != "scheduled" or session.start_at <= now:
        raise SessionNotBookable()
    if now >= cutoff_at(session) and not policy.is_admin(actor):
        raise BookingClosed(hours=current_app.config["KTC_BOOKING_CUTOFF_HOURS"])


def check_reservation(session, participants, now):
    """In the priority window of a session planned from needs, refuse anyone outside the covering units.

    The rule binds everyone who books, KTC staff too: they may book the covering units' people on
    their behalf, not others, because the window is what the offer promised those units. Called
    after the people are locked, so the unit it reads is the one the booking is made for.
    """
    reservation = reservations([session], now).get(session.id)
    if reservation is None:
        return
    # Read again after the lock: a person moved to another unit meanwhile is dropped by the locking
    # statement's join on PostgreSQL (its re-check sees the new unit id against the old unit row), so
    # the objects may still carry the unit they had before.
    units = dict(db.session.execute(
        select(Participant.id, Participant.unit_id).where(Participant.id.in_([p.id for p in participants]))).all())
    outside = [p for p in participants if units.get(p.id) not in reservation.unit_ids]
    if outside:
        raise SeatsReserved(until=fmt_datetime(reservation.until, session.place.timezone, "short"),
                            names=", ".join(dict.fromkeys(p.name for p in outside)))


def _lock_participants(participants):
    lock_participant_ids(p.id for p in participants)


def _forget_locks(session, _transaction):
    """Any transaction or savepoint that ends forgets the set: a lock given up with a savepoint is
    taken again (taking one twice costs a statement, missing one would lose the guarantee)."""
    session.info.pop(LOCKED_PEOPLE, None)


if not event.contains(OrmSession, "after_transaction_end", _forget_locks):
    event.listen(OrmSession, "after_transaction_end", _forget_locks)


def _locked_in_id_order(stmt):
    """A SELECT of people (with whatever it joins) that locks their rows in id order, so that two writers
    sharing people cannot deadlock."""
    return stmt.order_by(Participant.id).with_for_update(of=Participant)


def locking(stmt):
    """A SELECT of people as objects, locked in id order (_locked_in_id_order) and re-read (populate_existing)."""
    return _locked_in_id_order(stmt).execution_options(populate_existing=True)


def locked_participants(stmt, params=None):
    """Run a `locking` SELECT of people: a request that loads the people it books this way does not read
    them a second time to lock them (lock_participant_ids skips them)."""
    return _noted_as_locked(db.session.execute(stmt, params or {}).unique().scalars().all())


def _noted_as_locked(people):
    """`people`, noted as locked by this transaction (lock_participant_ids skips them; _forget_locks
    forgets them when it ends)."""
    db.session.info.setdefault(LOCKED_PEOPLE, set()).update(p.id for p in people)
    return people


def _to_organisation(stmt):
    """A SELECT of people joined with their unit and its organisation."""
    from ktc.organisations.models import Organisation, Unit

    return (stmt.join(Unit, Unit.id == Participant.unit_id)
            .join(Organisation, Organisation.id == Unit.organisation_id))


@cache
def _people_by_ids():
    """Built once: people by id (an expanding list), locked, then their units and organisations (the
    side). The lock is taken without a join: PostgreSQL re-checks a locked row that changed meanwhile
    against the rows it was joined with, so a person moved to another unit at that moment would drop
    out of a joined statement, unlocked and still showing the unit they had before."""
    from sqlalchemy.orm import selectinload

    from ktc.organisations.models import Unit

    return locking(
        select(Participant).where(Participant.id.in_(bindparam("ids", expanding=True)))
        .options(selectinload(Participant.unit).selectinload(Unit.organisation))
    )


def lock_participant_ids(ids):
    """Lock these people's rows (in id order) and re-read them: whether they are active, and what
    they are booked on, is decided under the lock. Taken before the session's row (hold_session):
    people, then the session, then its bookings. People already locked in this transaction
    (locked_participants) are not read again."""
    ids = sorted(set(ids) - db.session.info.get(LOCKED_PEOPLE, set()))
    if ids:
        locked_participants(_people_by_ids(), {"ids": ids})


def book_team(actor, session, participants, all_or_nothing=False, now=None, waiting=None):
    """Book people into a session in the order given: seats first, then the waitlist.

    With all_or_nothing, either everyone gets a confirmed seat or nobody is booked
    (TeamRefused carries the per-person reasons; the caller rolls back). `waiting`: who waited for
    the session, per side, when it was read (session_to_book, a seats.Waiting), so that a waiting
    list nobody of a side with room is on is not asked again, and the results can say how many wait
    after the booking.
    """
    from ktc.mail import notify

    now = now or utcnow()
    if not policy.can_book(actor):
        raise PermissionDenied()
    # The actor's units once, not one query per person ticked.
    allowed = booking_unit_ids(actor)
    for participant in participants:
        if allowed is not None and participant.unit_id not in allowed:
            raise PermissionDenied()
    check_bookable(actor, session, now)
    _lock_participants(participants)
    check_reservation(session, participants, now)
    # Seats released since the last job run go to the people already waiting, not to newcomers.
    promoted = promote_from_waitlist(session, now, waiting=waiting)

    results, seen = TeamResults(), set()
    for participant in participants:
        if participant.id in seen:
            continue
        seen.add(participant.id)
        result = _book_one(actor, session, participant, now)
        results.append(result)

    if all_or_nothing and any(r.status != "confirmed" for r in results):
        for r in results:
            # Nothing is saved (the caller rolls back): no result names a booking.
            r.booking = None
            if r.status == "confirmed":
                r.status = "refused"
                r.code, r.reason = TeamNotBookable.code, str(TeamNotBookable())
        raise TeamRefused(results)

    db.session.flush()
    for r in results:
        if r.status == "confirmed":
            notify.booking_confirmed(r.booking, just_inserted=r.inserted)
        elif r.status == "waitlisted":
            notify.booking_waitlisted(r.booking, just_inserted=r.inserted)
        if r.booking is not None:
            audit.record(actor, "booking.created", object_type="booking", object_id=r.booking.id, status=r.status,
                         session=session.id)
    if waiting is not None:
        results.waitlisted = waiting.total - len(promoted) + sum(r.status == "waitlisted" for r in results)
    return results


class SessionToBook(SeatCounts):
    """A session as a booking reads it: the columns the rules need, from one Core row (session_to_book),
    and where it is (`place`). Not an ORM object: building one cost a booking more than its statement.
    It answers the seat rule as the ORM's Session does (take_counters, counters_moved,
    lock_and_reread), reading its row again where the ORM would expire or re-read the object."""

    COLUMNS = ("id", "start_at", "end_at", "status", "capacity", "min_per_side",
               "release_before_hours", "sequence", "priority_until", "seats_municipal", "seats_regional")

    def __init__(self, row, place):
        self.__dict__.update(zip(self.COLUMNS, row))
        self.place = place

    def reread(self, lock=False, columns=COLUMNS):
        """Read `columns` of the session's row again (all of them unless told), under a lock with `lock`."""
        row = db.session.connection().execute(_session_row(columns, lock), {"session_id": self.id}).one()
        self.__dict__.update(zip(columns, row))

    # What the seat rule asks of a session (SeatCounts), for one read as a row.
    def take_counters(self, municipal, regional):
        self.seats_municipal, self.seats_regional = municipal, regional

    def counters_moved(self):
        self.reread(columns=("seats_municipal", "seats_regional"))

    def lock_and_reread(self):
        self.reread(lock=True)


class PersonToBook:
    """A person as a booking reads them, locked: the columns the rules, the messages and the answer need,
    and their side, from one Core row (people_to_book). Not an ORM object, as SessionToBook."""

    COLUMNS = ("id", "name", "email", "unit_id", "active", "anonymised_at", "calendar_delivery")

    def __init__(self, row):
        self.__dict__.update(zip(self.COLUMNS, row))
        self.side = row[-1]


class NewBooking:
    """A booking row just inserted for a SessionToBook and a PersonToBook (_insert_booking): its columns,
    its person and its session, for the messages, the audit entry and the answer."""

    def __init__(self, booking_id, participant, session, values):
        self.__dict__.update(values)
        self.id, self.participant, self.session = booking_id, participant, session


def _session_columns(names=SessionToBook.COLUMNS):
    """A SELECT of these columns of the sessions table (SessionToBook's unless told)."""
    table = Session.__table__
    return select(*(table.c[name] for name in names))


@cache
def _session_row(names, lock):
    """Built once per column list and lock: the session's row (`:session_id`), read again (a refused
    claim on SQLite reads the counters so at every waiting-list booking)."""
    stmt = _session_columns(names).where(Session.__table__.c.id == bindparam("session_id"))
    return stmt.with_for_update() if lock else stmt


def session_to_book(session_id, counted=True):
    """The session to book (a SessionToBook, with its place) and how many wait for it per side
    (seats.Waiting), in one Core query; (None, Waiting()) if there is no such session. The counts spare
    book_team a look at a waiting list nobody of a side with room is on, and the answer a count after
    the booking; a page that only shows the session (`counted=False`) is not given them (0 each)."""
    row = first(_to_book(counted), {"session_id": session_id})
    if row is None:
        return None, Waiting()
    *columns, municipal, regional, station, timezone = row
    return SessionToBook(columns, Place(station, timezone)), Waiting(municipal, regional)


@cache
def _to_book(counted):
    """Built once per kind: the session's columns, how many wait per side (0 unless `counted`), its
    station's name and centre's time zone."""
    from ktc.stations.models import Centre, Station

    table = Session.__table__

    def waiting(side):
        if not counted:
            return literal(0)
        return (select(func.count())
                .where(Booking.session_id == table.c.id, Booking.status == "waitlisted", Booking.side == side)
                .scalar_subquery())

    return (_session_columns().add_columns(waiting("municipal"), waiting("regional"), Station.name, Centre.timezone)
            .join(Station, Station.id == table.c.station_id).join(Centre, Centre.id == Station.centre_id)
            .where(table.c.id == bindparam("session_id")))


def people_to_book(stmt, params):
    """Run a `people_to_book_statement`: the people (PersonToBook), locked in id order. A request that
    reads the people it books this way does not read them a second time to lock them."""
    return _noted_as_locked([PersonToBook(row) for row in rows(stmt, params)])


def people_to_book_statement(*conditions):
    """A SELECT of the people `conditions` name, as PersonToBook reads them (their side joined through
    unit and organisation), locking their rows in id order (see `locking`)."""
    from ktc.organisations.models import Organisation

    table = Participant.__table__
    columns = (table.c[name] for name in PersonToBook.COLUMNS)
    return _locked_in_id_order(_to_organisation(select(*columns, Organisation.side)).where(*conditions))


def _own_and_overlapping(participant, session):
    """Whether the person has a row for this session (whatever its status), and whether another active
    booking of theirs overlaps it: one query for both.

    It reads only the person's index on bookings (participant, session, status), so PostgreSQL answers
    the bookings' side from the index alone: a person's bookings over the years lie on as many heap
    pages, which reading their ids visited one by one (more than half of the statement's time)."""
    # On the transaction's connection, past the ORM's execute (ktc.database.rows): no pending ORM change
    # can matter to it, the person's other bookings are changed by nobody else while they are locked,
    # and their row for this session is written with a Core statement (or read back below).
    session_ids = [row[0] for row in rows(_OWN_AND_OVERLAPPING, {
        "participant_id": participant.id, "session_id": session.id,
        "start_at": session.start_at, "end_at": session.end_at,
    })]
    return session.id in session_ids, any(sid != session.id for sid in session_ids)


def _own_booking(participant, session):
    """The person's row for this session (booking again after a cancel); by its unique key."""
    return db.session.execute(_OWN, {"participant_id": participant.id, "session_id": session.id}).scalar_one()


# Built once: the sessions of the person's row for this one and of any active booking of theirs at an
# overlapping time (only columns of ix_bookings_participant_session_status from bookings); and that row.
_OWN_AND_OVERLAPPING = (
    select(Booking.session_id)
    .join(Session, Session.id == Booking.session_id)
    .where(
        Booking.participant_id == bindparam("participant_id"),
        or_(Booking.session_id == bindparam("session_id"),
            # The statuses spelled out, not `in_`: a constant IN list is a post-compiled parameter that
            # SQLAlchemy writes out again at every execution.
            and_(or_(*(Booking.status == status for status in ACTIVE_STATUSES)), Session.status != "cancelled",
                 Session.start_at < bindparam("end_at"), Session.end_at > bindparam("start_at"))),
    )
)
_OWN = select(Booking).where(Booking.participant_id == bindparam("participant_id"),
                             Booking.session_id == bindparam("session_id"))


def _book_one(actor, session, participant, now):
    refused = None
    has_row, overlapping = _own_and_overlapping(participant, session)
    # Columns, not objects: the person's own row is loaded only when there is one (booking again after
    # a cancel); a new booking, the usual case, builds no object here.
    existing = _own_booking(participant, session) if has_row else None
    if not participant.active or participant.anonymised_at is not None:
        refused = ParticipantInactive()
    elif existing is not None and existing.status in ACTIVE_STATUSES:
        refused = AlreadyBooked()
    elif overlapping:
        refused = Overlap()
    if refused is not None:
        return BookingResult(participant, None, "refused", refused.code, str(refused))

    side = participant.side
    if claim_seat(session, side, now):
        status, confirmed_at, why = "confirmed", now, None
    else:
        status, confirmed_at, why = "waitlisted", None, _why_no_seat(session, side, now)
    inserted = existing is None
    if inserted:
        booking = _insert_booking(session, participant, side, status, getattr(actor, "id", None), now, confirmed_at)
    else:
        # Booked again after a cancel: the row is there, so no conditional INSERT guards the session's
        # status; the same share lock and check do (see _insert_booking_statement).
        if db.session.connection().execute(_STILL_SCHEDULED, {"session_id": session.id}).first() is None:
            raise SessionNotBookable()
        booking = existing
        booking.side = side
        booking.booked_by_id = getattr(actor, "id", None)
        booking.booked_at = booking.queued_at = now
        booking.cancelled_at = booking.cancelled_by_id = booking.cancel_reason = None
        booking.status, booking.confirmed_at = status, confirmed_at
    if why is None:
        return BookingResult(participant, booking, status, inserted=inserted)
    return BookingResult(participant, booking, status, why.code, str(why), inserted=inserted)


def _insert_booking(session, participant, side, status, booked_by_id, now, confirmed_at):
    """A new booking row with one Core INSERT … RETURNING id, and the same row for what follows (messages,
    audit, the answer) without the unit of work's flush: a NewBooking for a person read as a row
    (PersonToBook, the booking requests), else a persistent ORM object. The feeds it reaches are marked
    here: the ORM's flush hooks (ktc.calendar.stamps) do not see a Core INSERT."""
    from ktc.calendar import stamps
    from ktc.mail import notify

    values = {
        "session_id": session.id, "participant_id": participant.id, "side": side, "status": status,
        "booked_by_id": booked_by_id, "booked_at": now, "queued_at": now, "confirmed_at": confirmed_at,
        "cancelled_at": None, "cancelled_by_id": None, "cancel_reason": None, "attendance_at": None,
        "attendance_by_id": None, "feed_revision": 0, "feed_revised_at": now,
        "ical_sequence": notify.first_sequence(session, participant) if status == "confirmed" else 0,
        "reply_status": None, "replied_at": None,
    }
    send_kept()
    row = first(_insert_booking_statement(), values)
    if row is None:
        # The session was cancelled after it was read (see _insert_booking_statement).
        raise SessionNotBookable()
    if isinstance(participant, PersonToBook):
        booking = NewBooking(row.id, participant, session, values)
    else:
        booking = adopt_inserted(Booking(id=row.id, **values))
    stamps.people_changed([(participant.id, participant.unit_id)])
    return booking


def _if_still_scheduled(*columns):
    """A SELECT of `columns` that yields one row while the session (`:session_id`) is scheduled, read
    under a share lock of its row (see _insert_booking_statement)."""
    sessions = Session.__table__
    return (select(*columns).select_from(sessions)
            .where(sessions.c.id == bindparam("session_id"), sessions.c.status == "scheduled")
            .with_for_update(read=True, key_share=True))


# Built once: the session's row, share-locked, if it is still scheduled.
_STILL_SCHEDULED = _if_still_scheduled(Session.__table__.c.id)


@cache
def _insert_booking_statement():
    """Built once (every booking request runs it): the booking row, inserted only while its session is
    still scheduled, as read under a share lock of the session's row.

    A confirmed booking's seat claim already locked that row; a waiting-list booking took no lock
    of its own, so an admin cancelling the session at that moment (hold_session, then the bookings)
    could miss it and leave it waiting in a cancelled session. With the lock either the cancel waits
    for this booking and cancels it with the others, or this statement waits for the cancel, sees
    the new status and inserts nothing. FOR KEY SHARE does not wait for other bookings' seat claims
    (they take FOR NO KEY UPDATE), only for the FOR UPDATE of a status change; SQLite writes one
    transaction at a time and renders no lock.
    """
    from sqlalchemy import insert

    table = Booking.__table__
    names = [c.name for c in table.c if c.name != "id"]
    rows = _if_still_scheduled(*(bindparam(name, type_=table.c[name].type) for name in names))
    return insert(table).from_select(names, rows).returning(table.c.id)


def cancel_booking(actor, booking, reason="", now=None):
    """Cancel a confirmed or waitlisted booking; a freed seat goes to the waitlist."""
    from ktc.mail import notify

    now = now or utcnow()
    if not policy.can_cancel_booking(actor, booking):
        raise PermissionDenied()
    session = booking.session
    if hold_session(session):
        current(select(Booking).where(Booking.id == booking.id))
    if booking.status not in ("confirmed", "waitlisted"):
        raise Conflict(_l("Only confirmed or waitlisted bookings can be cancelled."))
    if now >= cutoff_at(session) and not policy.is_admin(actor):
        raise BookingClosed(hours=current_app.config["KTC_BOOKING_CUTOFF_HOURS"])
    held_seat = booking.status == "confirmed"
    booking.status = "cancelled"
    booking.cancelled_at = now
    booking.cancelled_by_id = getattr(actor, "id", None)
    booking.cancel_reason = reason or ""
    if held_seat:
        release_seat(session, booking.side)
    db.session.flush()
    notify.booking_cancelled(booking)
    audit.record(actor, "booking.cancelled", booking, reason=reason, session=session.id)
    if held_seat:
        promote_from_waitlist(session, now)
    return booking


def restore_bookings(actor, session, bookings, now=None):
    """Give back the bookings cancelled with a session that is scheduled again.

    Those who held a seat come first, then the waiting list, each in their old order; a seat is
    claimed as for any booking, so the quota per side holds. Someone no longer active, or booked
    elsewhere at that time meanwhile, stays cancelled. The caller has locked the people
    (lock_participant_ids, before the session), as book_team does, so that a booking made for one
    of them elsewhere at the same time cannot overlap. Returns the bookings restored.
    """
    from ktc.mail import notify

    now = now or utcnow()
    hold_session(session)
    restored = []
    ordered = sorted(bookings, key=lambda b: (b.confirmed_at is None, b.confirmed_at or b.queued_at or now, b.id))
    for booking in ordered:
        participant = booking.participant
        if not participant.active or participant.anonymised_at is not None:
            continue
        if _own_and_overlapping(participant, session)[1]:
            continue
        booking.cancelled_at = booking.cancelled_by_id = booking.cancel_reason = None
        if claim_seat(session, booking.side, now):
            booking.status, booking.confirmed_at = "confirmed", now
        else:
            booking.status = "waitlisted"
        restored.append(booking)
    db.session.flush()
    for booking in restored:
        if booking.status == "confirmed":
            notify.booking_confirmed(booking)
        else:
            notify.booking_waitlisted(booking, reinstated_at=now)
        audit.record(actor, "booking.reinstated", booking, status=booking.status, session=session.id)
    return restored


def waitlist_counts(session_ids):
    """Waiting people per session id, in one query for a whole list (sessions nobody waits for are absent)."""
    if not session_ids:
        return {}
    return dict(db.session.execute(_WAITLIST_COUNTS, {"ids": list(session_ids)}).all())


# Built once (the booking API's answer asks it on every request).
_WAITLIST_COUNTS = (
    select(Booking.session_id, func.count())
    .where(Booking.session_id.in_(bindparam("ids", expanding=True)), Booking.status == "waitlisted")
    .group_by(Booking.session_id)
)


def seat_summary(session, waitlisted=None):
    """Seats taken per side, free seats and the waiting list; pass waitlisted when a list counted it already."""
    if waitlisted is None:
        waitlisted = waitlist_counts([session.id]).get(session.id, 0)
    return {
        "municipal": session.seats_municipal,
        "regional": session.seats_regional,
        "free": session.seats_free,
        "waitlisted": waitlisted,
    }


def booking_sides(actor):
    """The sides (municipal/regional) a user books for: their units' organisations (both for admins)."""
    from ktc.organisations.models import Organisation, Unit

    if policy.is_admin(actor):
        return ["municipal", "regional"]
    sides = db.session.execute(
        select(Organisation.side).distinct().join(Unit, Unit.organisation_id == Organisation.id)
        .where(Unit.id.in_(policy.managed_unit_ids(actor) or {0}))
    ).scalars().all()
    return sorted(sides) or ["municipal", "regional"]


def booking_unit_ids(actor):
    """The units whose people this user books (None: any unit, for admins)."""
    return None if policy.is_admin(actor) else policy.managed_unit_ids(actor)


def bookable_participants(actor, ids=None, to_book=False):
    """The active staff this user may book: their units' people (everyone for admins).

    With `ids`, only those of them (a posted team), so a booking never loads the whole staff list.
    Unit and organisation (the side) come in the same query, the profession (shown on the staff
    list, not needed to book) in one more for the whole list; never one query per person.
    `to_book` (with `ids`): the people are about to be booked, read as rows (PersonToBook) with their
    side, instead of objects with their unit and organisation.
    """
    from sqlalchemy.orm import selectinload

    from ktc.organisations.models import Unit

    admin, params = _whose(actor)
    dialect = db.session.get_bind().dialect.name
    if ids is not None:
        # A posted team is about to be booked: locked now, in the same statement.
        single, bound = one_of_bind(ids, dialect)
        params["ids"] = bound
        if to_book:
            return people_to_book(_bookable_to_book(admin, dialect, single), params)
        return locked_participants(_bookable(admin, True, dialect, single=single), params)
    stmt = _bookable(admin, False, dialect).options(selectinload(Participant.profession))
    return db.session.execute(stmt.order_by(Unit.name, Participant.name), params).scalars().all()


def bookable_names(actor, ids):
    """Those of these people this user may book, as rows of their id and name, by id: a team booking's
    result page names them again. Read, not locked: nothing is booked here."""
    admin, params = _whose(actor)
    dialect = db.session.get_bind().dialect.name
    single, params["ids"] = one_of_bind(ids, dialect)
    return {row.id: row for row in db.session.connection().execute(_bookable_names(admin, dialect, single), params)}


def _whose(actor):
    """Whether the user books anyone (an admin), and otherwise the units whose people they book, bound."""
    admin = policy.is_admin(actor)
    return admin, {} if admin else {"units": sorted(policy.managed_unit_ids(actor)) or [0]}


@cache
def _bookable_names(admin, dialect, single):
    """Built once per kind and database: the ids and names of `_bookable`'s people by id."""
    return select(Participant.id, Participant.name).where(*_bookable_conditions(admin, dialect, True, single))


@cache
def _bookable_to_book(admin, dialect, single):
    """Built once per kind and database: `_bookable`'s people by id, as people_to_book reads them."""
    return people_to_book_statement(*_bookable_conditions(admin, dialect, True, single))


@cache
def _bookable(admin, by_ids, dialect, single=False):
    """Built once per kind and database: active people with unit and organisation, in the manager's
    units unless for an admin; by_ids: only the given ids, locked. (People about to be booked:
    _bookable_to_book.)"""
    from sqlalchemy.orm import contains_eager

    from ktc.organisations.models import Unit

    stmt = (_to_organisation(select(Participant))
            .options(contains_eager(Participant.unit).contains_eager(Unit.organisation))
            .where(*_bookable_conditions(admin, dialect, by_ids, single)))
    return locking(stmt) if by_ids else stmt


def _bookable_conditions(admin, dialect, by_ids, single):
    """Who a user may book: active people, not anonymised, in the manager's units (a list, `one_of`)
    unless for an admin; by_ids: only the given ids (a list, or one id with `single`)."""
    conditions = [Participant.active.is_(True), Participant.anonymised_at.is_(None)]
    if not admin:
        conditions.append(one_of(Participant.unit_id, "units", dialect))
    if by_ids:
        conditions.append(one_of(Participant.id, "ids", dialect, single))
    return conditions
