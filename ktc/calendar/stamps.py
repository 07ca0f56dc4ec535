"""The feeds' stored validator: which feeds a transaction changed, written in that transaction.

A feed's content is known to be unchanged when none of its scopes' versions moved (see
`CalendarStamp`). The ORM changes that reach a feed are found after each flush (`_collect`) and
the versions are raised just before the commit (`_last`, by ktc.database), in a fixed order and
as the last statement of the transaction, so that concurrent writers hold a version row only for an instant
and never wait for each other in a cycle. Changes made with bulk UPDATE/DELETE statements bypass
the ORM: their operations call `sessions_changed` (or `everything_changed`) themselves.
"""
from functools import cache

from sqlalchemy import bindparam, event, func, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.util import identity_key

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.calendar.models import CalendarStamp
from ktc.database import LOCKED_PEOPLE, forget_at_end, last_write, utcnow
from ktc.extensions import db
from ktc.organisations.models import Participant, Unit
from ktc.paths.models import CircleMeeting, StudyCircle, circle_members
from ktc.sessions.models import Session, session_instructors
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station

ALL = "all"
_PENDING = "ktc_calendar_scopes"
# What feeds show of each model (ktc.calendar.operations.feed_content and ics.session_event);
# changes to other columns (seat counters, e-mail addresses, login times) leave every feed as it was.
_BOOKING_SHOWN = ("status", "session_id", "participant_id")
_SESSION_SHOWN = ("uid", "sequence", "title", "notes", "status", "start_at", "end_at", "updated_at", "station_id",
                  "skills", "instructors")
_PARTICIPANT_SHOWN = ("name", "unit_id", "calendar_reminder_minutes")
# Study circle meetings are in their members', their units' and their facilitator's feeds
# (ktc.paths.circle_ics.feed_events); a circle's name and facilitator are in every meeting's event.
_CIRCLE_MEETING_SHOWN = ("circle_id", "start_at", "end_at", "location", "topic", "status", "sequence", "updated_at",
                         "steps")
_CIRCLE_SHOWN = ("name", "facilitator", "facilitator_id")
# Renaming these reaches every feed that shows them; it is rare, so every feed is marked.
_EVERYWHERE_SHOWN = {
    Station: ("name", "centre_id"),
    Centre: ("name", "address", "timezone"),
    Skill: ("name", "code"),
    User: ("name",),
}


def _pending(session):
    return session.info.setdefault(_PENDING, set())


def sessions_changed(session_ids, db_session=None):
    """Mark the feeds showing these sessions as changed (for bulk statements the ORM does not see)."""
    db_session = db_session or db.session
    _pending(db_session).update(_session_scopes(db_session.connection(), set(session_ids)))


def people_changed(people, db_session=None):
    """Mark the feeds of these people and their units as changed, for booking rows written with a Core
    INSERT (which the ORM does not see). `people` are (participant id, unit id) pairs, the unit as
    the transaction has it under the person's lock."""
    _pending(db_session or db.session).update(
        scope for participant_id, unit_id in people
        for scope in (f"participant:{participant_id}", f"unit:{unit_id}"))


def everything_changed(db_session=None):
    """Mark every feed as changed (bulk loads such as the bench generator, restores)."""
    _pending(db_session or db.session).add(ALL)


def _session_scopes(conn, session_ids):
    """Every feed scope that shows any of these sessions: stations, instructors, booked people and units."""
    scopes = set()
    if not session_ids:
        return scopes
    ids = sorted(session_ids)
    for (station_id,) in conn.execute(select(Session.station_id).where(Session.id.in_(ids))):
        scopes.add(f"station:{station_id}")
    for (user_id,) in conn.execute(
        select(session_instructors.c.user_id).where(session_instructors.c.session_id.in_(ids))
    ):
        scopes.add(f"instructor:{user_id}")
    for participant_id, unit_id in conn.execute(
        select(Booking.participant_id, Participant.unit_id).join(Participant, Participant.id == Booking.participant_id)
        .where(Booking.session_id.in_(ids)).distinct()
    ):
        scopes.update((f"participant:{participant_id}", f"unit:{unit_id}"))
    return scopes


def _old_values(obj, name):
    history = inspect(obj).attrs[name].history
    return [value for value in (history.deleted or ()) if value is not None]


def _changed(session, obj, names):
    """Whether a flushed object is new or deleted, or changed one of the attributes a feed shows."""
    if obj in session.new or obj in session.deleted:
        return True
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _loaded_unit(session, participant_id):
    """The unit of a person this transaction locked and re-read (a booking does): it cannot have
    changed since, so it need not be read again. Anyone else's unit is read (None here): an object
    loaded without the lock may show a unit another transaction has moved them from."""
    if participant_id not in session.info.get(LOCKED_PEOPLE, ()):
        return None
    person = session.identity_map.get(identity_key(Participant, participant_id))
    return None if person is None else person.__dict__.get("unit_id")


def _collect(session, _flush_context):
    """After a flush (pre-flush state still visible): the scopes whose feeds the flushed changes reach."""
    scopes = _pending(session)
    session_ids, participant_ids, circle_ids = set(), set(), set()
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, CircleMeeting):
            if _changed(session, obj, _CIRCLE_MEETING_SHOWN):
                circle_ids.update([obj.circle_id, *_old_values(obj, "circle_id")])
            continue
        if isinstance(obj, StudyCircle):
            # Members who join or leave gain or lose its meetings; a new name or facilitator reaches all.
            history = inspect(obj).attrs["members"].history
            participant_ids.update(p.id for p in [*(history.added or ()), *(history.deleted or ())])
            if obj not in session.new and _changed(session, obj, _CIRCLE_SHOWN):
                circle_ids.add(obj.id)
                scopes.update(f"instructor:{user.id}" for user in _old_values(obj, "facilitator"))
                scopes.update(f"instructor:{user_id}" for user_id in _old_values(obj, "facilitator_id"))
            continue
        if isinstance(obj, Booking):
            if _changed(session, obj, _BOOKING_SHOWN):
                participant_ids.update([obj.participant_id, *_old_values(obj, "participant_id")])
        elif isinstance(obj, Session):
            if _changed(session, obj, _SESSION_SHOWN):
                # Its station, instructors and booked people as they are now are read for all the
                # flushed sessions at once (_session_scopes); here only what it had before.
                session_ids.add(obj.id)
                stations = _old_values(obj, "station_id") + ([obj.station_id] if obj in session.deleted else [])
                scopes.update(f"station:{station_id}" for station_id in stations)
                scopes.update(f"instructor:{user.id}" for user in _old_values(obj, "instructors"))
        elif isinstance(obj, Participant):
            if obj not in session.new and _changed(session, obj, _PARTICIPANT_SHOWN):
                participant_ids.add(obj.id)
                scopes.update(f"unit:{unit_id}" for unit_id in _old_values(obj, "unit_id"))
        elif isinstance(obj, Unit):
            if obj not in session.new and _changed(session, obj, ("name",)):
                scopes.add(f"unit:{obj.id}")
        elif isinstance(obj, User) and obj not in session.new and _changed(session, obj, ("locale",)):
            # A feed is written in its owner's language: their feeds change (and with them the
            # Last-Modified, not only the ETag) when the language does.
            scopes.add(f"owner:{obj.id}")
            if _changed(session, obj, _EVERYWHERE_SHOWN[User]):
                scopes.add(ALL)
        elif type(obj) in _EVERYWHERE_SHOWN:
            if obj not in session.new and _changed(session, obj, _EVERYWHERE_SHOWN[type(obj)]):
                scopes.add(ALL)
    conn = session.connection()
    circle_ids.discard(None)
    if circle_ids:
        ids = sorted(circle_ids)
        participant_ids.update(conn.execute(
            select(circle_members.c.participant_id).where(circle_members.c.circle_id.in_(ids))).scalars())
        scopes.update(f"instructor:{user_id}" for user_id in conn.execute(
            select(StudyCircle.facilitator_id).where(StudyCircle.id.in_(ids))).scalars() if user_id is not None)
    participant_ids.discard(None)
    # A person loaded in this transaction knows their unit (a booking request has them locked and
    # loaded); only the others are read.
    for participant_id in list(participant_ids):
        unit_id = _loaded_unit(session, participant_id)
        if unit_id is not None:
            scopes.update((f"participant:{participant_id}", f"unit:{unit_id}"))
            participant_ids.discard(participant_id)
    if participant_ids:
        for participant_id, unit_id in conn.execute(
            select(Participant.id, Participant.unit_id).where(Participant.id.in_(sorted(participant_ids)))
        ):
            scopes.update((f"participant:{participant_id}", f"unit:{unit_id}"))
    session_ids.discard(None)
    scopes.update(_session_scopes(conn, session_ids))


# Session changes that feeds show without raising Session.sequence (a move raises that itself).
_SESSION_REVISED = ("title", "notes", "status", "start_at", "end_at", "station_id", "skills")
# A booking's side of its feed event: the participant's and the unit's title, status and transparency.
_BOOKING_REVISED = ("status", "session_id", "participant_id")


def _revise(session, _flush_context, _instances):
    """Before a flush: count and date the changes feed events show, so their SEQUENCE and DTSTAMP rise.

    RFC 5545 (3.8.7.4, 3.8.7.2): a client that compares revisions keeps an event whose SEQUENCE and
    DTSTAMP did not move, however its title or status changed.
    """
    now = None
    for obj in session.dirty:
        if isinstance(obj, Booking) and _changed(session, obj, _BOOKING_REVISED):
            now = now or utcnow()
            obj.feed_revision = (obj.feed_revision or 0) + 1
            obj.feed_revised_at = now
        elif isinstance(obj, Session) and _changed(session, obj, _SESSION_REVISED):
            now = now or utcnow()
            if not inspect(obj).attrs["sequence"].history.has_changes():
                obj.feed_revision = (obj.feed_revision or 0) + 1
            if not inspect(obj).attrs["updated_at"].history.has_changes():
                obj.updated_at = now
    for obj in session.new:
        if isinstance(obj, Booking) and obj.feed_revised_at is None:
            obj.feed_revised_at = now = now or utcnow()


def _last(session):
    """Before the commit (ktc.database.last_write): the statement that raises the version of every scope
    the transaction changed, in a fixed order, or None. It is the transaction's last statement."""
    scopes = session.info.pop(_PENDING, None)
    if not scopes:
        return None
    now = utcnow()
    # One statement for all the scopes; rows are inserted and locked in the order given (sorted),
    # so two transactions stamping the same scopes cannot deadlock.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The scopes as one array: one execution, where a list of parameter sets is one per scope.
        return _stamp_array_statement(), {"scopes": sorted(scopes), "changed_at": now}
    return _stamp_statement(dialect), [{"scope": scope, "changed_at": now} for scope in sorted(scopes)]


def _bump(stmt):
    return stmt.on_conflict_do_update(
        index_elements=[CalendarStamp.scope],
        set_={"version": CalendarStamp.version + 1, "changed_at": stmt.excluded.changed_at},
    )


@cache
def _stamp_statement(dialect):
    """INSERT … ON CONFLICT (scope) DO UPDATE SET version = version + 1, built once per dialect."""
    return _bump(_upsert(dialect)(CalendarStamp).values(scope=bindparam("scope"), version=1,
                                                        changed_at=bindparam("changed_at")))


@cache
def _stamp_array_statement():
    """PostgreSQL: the same for an array of scopes, inserted in the array's order (WITH ORDINALITY)."""
    from sqlalchemy import String, literal
    from sqlalchemy.dialects.postgresql import ARRAY

    scopes = (func.unnest(bindparam("scopes", type_=ARRAY(String)))
              .table_valued("scope", with_ordinality="n").render_derived())
    rows = (select(scopes.c.scope, literal(1), bindparam("changed_at", type_=CalendarStamp.__table__.c.changed_at.type))
            .order_by(scopes.c.n))
    return _bump(_upsert("postgresql")(CalendarStamp).from_select(["scope", "version", "changed_at"], rows))


def _upsert(dialect):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def install():
    """Listen on every ORM session (once).

    When the whole transaction ends, nothing of it is left pending (committed: already written).
    Only the outermost transaction counts: a savepoint rolled back (notices, paths and sessions use
    them) leaves the transaction's other changes to commit, and their feeds must still change. A
    scope collected inside that savepoint stays too: one needless new ETag costs a download, a
    missing one would show a stale feed.
    """
    if not event.contains(OrmSession, "after_flush", _collect):
        event.listen(OrmSession, "before_flush", _revise)
        event.listen(OrmSession, "after_flush", _collect)
    last_write(_last)
    forget_at_end(_PENDING)
