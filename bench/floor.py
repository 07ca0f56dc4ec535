"""The floor: the least a booking must cost, as a minimal Flask app with SQLAlchemy Core.

    BENCH_FLOOR_DATABASE_URL=postgresql+psycopg://… gunicorn bench.floor:app

It answers the same request as KTC's booking API (`POST /api/v1/sessions/<id>/bookings` with a
personal API token and `{"participant_ids": [id]}`), on KTC's own tables, doing only the essential
work of a booking, in one transaction:

1. the API token and its user, in one query;
2. the person, with their side, only if they belong to a unit this user manages (one query: the
   side decides the quota, and a manager books only their own people);
3. one conditional seat UPDATE … RETURNING (capacity, the side's quota before the release);
4. the booking INSERT (confirmed, or on the waiting list when no seat was free);
5. an outbox row (`INSERT … ON CONFLICT DO NOTHING` on a de-duplication key);
6. commit, and a small JSON answer.

No ORM, no session cookie, no templates, no audit entry, no overlap check, no e-mail rendering:
what KTC's booking costs beyond this is what its features and its framework add. bench/rush.py
runs it under gunicorn beside KTC in the same run; bench/report.py divides KTC's figures by it.
The outbox row goes to a table of its own (`bench_floor_outbox`, created by `create_outbox`), so
the floor does not depend on the shape of KTC's outbox.

The same app answers `POST /guarded/sessions/<id>/bookings`, the guarded floor: everything KTC's
booking guarantees (the rules of the SPEC and QUALITY.md a one-person booking must keep), in KTC's
own seven statements on KTC's own tables (the outbox event, the audit entry and the feed stamps in one, as
KTC sends them at the commit), and nothing else (which booking statuses hold a person's
time it takes from KTC's model module, the one constant it imports; no ORM runs in it). Between the two floors lies what the
guarantees cost; between the guarded floor and KTC, what KTC's framework adds.
"""
import hashlib
import json
import os
from datetime import datetime, timezone

from flask import Flask, Response, request
from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    exists,
    create_engine,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from ktc.bookings.models import ACTIVE_STATUSES

metadata = MetaData()
users = Table("users", metadata, Column("id", Integer, primary_key=True), Column("active", Boolean))
api_tokens = Table("api_tokens", metadata, Column("id", Integer, primary_key=True), Column("user_id", Integer),
                   Column("token_hash", String), Column("revoked_at", DateTime(timezone=True)))
unit_managers = Table("unit_managers", metadata, Column("user_id", Integer), Column("unit_id", Integer))
organisations = Table("organisations", metadata, Column("id", Integer, primary_key=True), Column("side", String))
units = Table("units", metadata, Column("id", Integer, primary_key=True), Column("organisation_id", Integer))
participants = Table("participants", metadata, Column("id", Integer, primary_key=True), Column("unit_id", Integer),
                     Column("active", Boolean), Column("anonymised_at", DateTime(timezone=True)),
                     Column("email", String))
sessions = Table("sessions", metadata, Column("id", Integer, primary_key=True), Column("status", String),
                 Column("start_at", DateTime(timezone=True)), Column("end_at", DateTime(timezone=True)),
                 Column("capacity", Integer),
                 Column("min_per_side", Integer), Column("release_before_hours", Integer),
                 Column("seats_municipal", Integer), Column("seats_regional", Integer))
bookings = Table("bookings", metadata, Column("id", Integer, primary_key=True), Column("session_id", Integer),
                 Column("participant_id", Integer), Column("side", String), Column("status", String),
                 Column("booked_by_id", Integer), Column("booked_at", DateTime(timezone=True)),
                 Column("queued_at", DateTime(timezone=True)), Column("confirmed_at", DateTime(timezone=True)),
                 Column("ical_sequence", Integer), Column("feed_revision", Integer),
                 Column("feed_revised_at", DateTime(timezone=True)))
ktc_outbox = Table("outbox", metadata, Column("id", Integer, primary_key=True), Column("dedupe_key", String),
                   Column("kind", String), Column("recipient", String), Column("booking_id", Integer),
                   Column("ics_sequence", Integer), Column("ics_method", String), Column("status", String),
                   Column("attempts", Integer), Column("next_attempt_at", DateTime(timezone=True)),
                   Column("created_at", DateTime(timezone=True)))
audit_log = Table("audit_log", metadata, Column("id", Integer, primary_key=True), Column("at", DateTime(timezone=True)),
                  Column("actor_id", Integer), Column("action", String), Column("object_type", String),
                  Column("object_id", Integer), Column("details", String))
calendar_stamps = Table("calendar_stamps", metadata, Column("scope", String, primary_key=True),
                        Column("version", Integer), Column("changed_at", DateTime(timezone=True)))
outbox = Table("bench_floor_outbox", metadata, Column("id", Integer, primary_key=True),
               Column("dedupe_key", String(200), unique=True, nullable=False),
               Column("kind", String(40), nullable=False), Column("booking_id", Integer, nullable=False),
               Column("created_at", DateTime(timezone=True), nullable=False))

# Every statement built once, at import.
TOKEN_USER = (
    select(users.c.id).join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None),
           users.c.active.is_(True))
)
PERSON_SIDE = (
    select(organisations.c.side)
    .select_from(participants)
    .join(units, units.c.id == participants.c.unit_id)
    .join(organisations, organisations.c.id == units.c.organisation_id)
    .join(unit_managers, unit_managers.c.unit_id == participants.c.unit_id)
    .where(participants.c.id == bindparam("participant_id"),
           unit_managers.c.user_id == bindparam("user_id"),
           participants.c.active.is_(True), participants.c.anonymised_at.is_(None))
)


def _claim(side):
    column = sessions.c.seats_municipal if side == "municipal" else sessions.c.seats_regional
    released = or_(sessions.c.min_per_side == 0,
                   func.now() >= sessions.c.start_at - func.make_interval(0, 0, 0, 0, sessions.c.release_before_hours))
    return (
        update(sessions)
        .where(sessions.c.id == bindparam("session_id"), sessions.c.status == "scheduled",
               sessions.c.start_at > func.now(),
               sessions.c.seats_municipal + sessions.c.seats_regional < sessions.c.capacity,
               or_(released, column < sessions.c.capacity - sessions.c.min_per_side))
        .values({column: column + 1})
        .returning(sessions.c.seats_municipal, sessions.c.seats_regional)
    )


CLAIM = {side: _claim(side) for side in ("municipal", "regional")}
INSERT_BOOKING = bookings.insert().returning(bookings.c.id)
INSERT_OUTBOX = pg_insert(outbox).on_conflict_do_nothing(index_elements=["dedupe_key"])


# The guarded floor (POST /guarded/sessions/<id>/bookings): every guarantee KTC's booking keeps, as
# Core statements built once, and no framework beyond Flask. Its cost above the floor's is what the
# guarantees cost; KTC's cost above the guarded floor's is what KTC's framework and features add.


def _claim_or_count(side):
    """The seat claim as KTC makes it: the counters come back also when no seat was taken (the
    answer states them), with whether this request took one."""
    claimed = _claim(side).returning(sessions.c.capacity).cte("claimed")
    return select(claimed.c.seats_municipal, claimed.c.seats_regional, claimed.c.capacity, literal(True)).union_all(
        select(sessions.c.seats_municipal, sessions.c.seats_regional, sessions.c.capacity, literal(False))
        .where(sessions.c.id == bindparam("session_id"), ~exists(select(claimed.c.capacity))))


CLAIM_OR_COUNT = {side: _claim_or_count(side) for side in ("municipal", "regional")}


def _waiting(side):
    return (select(func.count()).select_from(bookings)
            .where(bookings.c.session_id == sessions.c.id, bookings.c.status == "waitlisted", bookings.c.side == side)
            .scalar_subquery())


# The session, with how many wait for it per side (seats released go to those already waiting).
SESSION_TO_BOOK = (select(sessions.c.start_at, sessions.c.end_at, _waiting("municipal"), _waiting("regional"))
                   .where(sessions.c.id == bindparam("session_id")))
# The person locked (their other bookings are decided under the lock), only if this user manages their unit.
PERSON_LOCKED = (
    select(participants.c.unit_id, participants.c.email, participants.c.active, participants.c.anonymised_at,
           organisations.c.side)
    .select_from(participants)
    .join(units, units.c.id == participants.c.unit_id)
    .join(organisations, organisations.c.id == units.c.organisation_id)
    .join(unit_managers, unit_managers.c.unit_id == participants.c.unit_id)
    .where(participants.c.id == bindparam("participant_id"), unit_managers.c.user_id == bindparam("user_id"))
    .with_for_update(of=participants)
)
# Already booked into this session, or an active booking at an overlapping time.
OWN_AND_OVERLAPPING = (
    select(bookings.c.session_id).join(sessions, sessions.c.id == bookings.c.session_id)
    .where(bookings.c.participant_id == bindparam("participant_id"),
           or_(bookings.c.session_id == bindparam("session_id"),
               and_(or_(*(bookings.c.status == status for status in ACTIVE_STATUSES)), sessions.c.status != "cancelled",
                    sessions.c.start_at < bindparam("end_at"), sessions.c.end_at > bindparam("start_at"))))
)
_BOOKING_COLUMNS = ("session_id", "participant_id", "side", "status", "booked_by_id", "booked_at", "queued_at",
                    "confirmed_at", "ical_sequence", "feed_revision", "feed_revised_at")
# The booking, inserted only while its session is scheduled, read under a share lock of its row (a
# waiting-list booking claims no seat, so nothing else stops a cancel of the session from missing it).
INSERT_BOOKING_GUARDED = bookings.insert().from_select(
    list(_BOOKING_COLUMNS),
    select(*(bindparam(name, type_=bookings.c[name].type) for name in _BOOKING_COLUMNS)).select_from(sessions)
    .where(sessions.c.id == bindparam("session_id"), sessions.c.status == "scheduled")
    .with_for_update(read=True, key_share=True),
).returning(bookings.c.id)
_EVENT_COLUMNS = ("dedupe_key", "kind", "recipient", "booking_id", "ics_sequence", "ics_method", "status", "attempts",
                  "next_attempt_at", "created_at")
_AUDIT_COLUMNS = ("at", "actor_id", "action", "object_type", "object_id", "details")
# The outbox event and the audit entry, each with its own parameters (`e_…`, `a_…`).
INSERT_EVENT = pg_insert(ktc_outbox).values({c: bindparam(f"e_{c}", type_=ktc_outbox.c[c].type) for c in _EVENT_COLUMNS}
                                            ).on_conflict_do_nothing(index_elements=["dedupe_key"])
INSERT_AUDIT = audit_log.insert().values({c: bindparam(f"a_{c}", type_=audit_log.c[c].type) for c in _AUDIT_COLUMNS})
_scopes = (func.unnest(bindparam("scopes", type_=ARRAY(String))).table_valued("scope", with_ordinality="n")
           .render_derived())
_stamp = pg_insert(calendar_stamps).from_select(
    ["scope", "version", "changed_at"],
    select(_scopes.c.scope, literal(1), bindparam("changed_at", type_=DateTime(timezone=True))).order_by(_scopes.c.n))
# The feeds of the person and their unit, marked as changed (their ETags).
STAMP = _stamp.on_conflict_do_update(index_elements=["scope"], set_={
    "version": calendar_stamps.c.version + 1, "changed_at": _stamp.excluded.changed_at})
# As KTC sends them at the commit on PostgreSQL (ktc.database.write_at_commit): the event, the entry and
# the stamps in one statement, each a data-modifying WITH.
EVENT_AUDIT_STAMP = select(literal(1)).add_cte(STAMP.cte("stamp"), INSERT_AUDIT.cte("entry"), INSERT_EVENT.cte("event"))


def _book_guarded(conn, user_id, session_id, participant_id, now):
    """One person into one session with every guarantee; (status code, body)."""
    session = conn.execute(SESSION_TO_BOOK, {"session_id": session_id}).first()
    if session is None:
        return 404, {"error": {"code": "not_found"}}
    start_at, end_at, *waiting = session
    person = conn.execute(PERSON_LOCKED, {"participant_id": participant_id, "user_id": user_id}).first()
    if person is None:
        return 403, {"error": {"code": "forbidden"}}
    unit_id, email, active, anonymised_at, side = person
    found = conn.execute(OWN_AND_OVERLAPPING, {"participant_id": participant_id, "session_id": session_id,
                                               "start_at": start_at, "end_at": end_at}).scalars().all()
    if not active or anonymised_at is not None or found:
        code = "inactive" if not active or anonymised_at is not None else (
            "already_booked" if session_id in found else "overlap")
        return 200, {"results": [{"participant_id": participant_id, "booking_id": None, "status": "refused",
                                  "code": code}]}
    # (KTC first gives seats released since the last job run to those already waiting: with no seat free,
    # as in the rush, that costs it no statement, so none here either.)
    municipal, regional, capacity, claimed = conn.execute(CLAIM_OR_COUNT[side], {"session_id": session_id}).one()
    status = "confirmed" if claimed else "waitlisted"
    booking_id = conn.execute(INSERT_BOOKING_GUARDED, {
        "session_id": session_id, "participant_id": participant_id, "side": side, "status": status,
        "booked_by_id": user_id, "booked_at": now, "queued_at": now, "confirmed_at": now if claimed else None,
        "ical_sequence": 0, "feed_revision": 0, "feed_revised_at": now,
    }).scalar()
    if booking_id is None:
        return 409, {"error": {"code": "session_not_bookable"}}
    conn.execute(EVENT_AUDIT_STAMP, {
        "e_dedupe_key": f"booking_{status}:b{booking_id}:{now.timestamp()}", "e_kind": f"booking_{status}",
        "e_recipient": email, "e_booking_id": booking_id, "e_ics_sequence": 0 if claimed else None,
        "e_ics_method": "REQUEST" if claimed else None, "e_status": "pending", "e_attempts": 0,
        "e_next_attempt_at": now, "e_created_at": now,
        "a_at": now, "a_actor_id": user_id, "a_action": "booking.created", "a_object_type": "booking",
        "a_object_id": booking_id, "a_details": json.dumps({"session": session_id, "status": status}),
        "scopes": sorted((f"participant:{participant_id}", f"unit:{unit_id}")), "changed_at": now})
    return 201, {"results": [{"participant_id": participant_id, "booking_id": booking_id, "status": status}],
                 "seats": {"municipal": municipal, "regional": regional, "free": capacity - municipal - regional,
                           "waitlisted": sum(waiting) + (status == "waitlisted")}}


# Where each floor books (the floor answers KTC's own API path, as an integration would call it).
PATHS = {"floor": "/api/v1/sessions/<int:session_id>/bookings",
         "guarded": "/guarded/sessions/<int:session_id>/bookings"}


def booking_url(path, session_id):
    """A booking route's URL for one session."""
    return path.replace("<int:session_id>", str(session_id))


def create_outbox(engine):
    """The floor's outbox table (kept apart from KTC's); created once before a run."""
    outbox.create(engine, checkfirst=True)


def _json(body, status):
    return Response(json.dumps(body), status=status, content_type="application/json")


def _token_and_person():
    """(the API token's hash, the one person to book) from the request; (None, an error answer) if
    it has no token or does not name exactly one person."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None, _json({"error": {"code": "unauthorised"}}, 401)
    ids = (request.get_json(silent=True) or {}).get("participant_ids")
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], int):
        return None, _json({"error": {"code": "invalid"}}, 422)
    return hashlib.sha256(auth[7:].encode()).hexdigest(), ids[0]


def create_app(url=None):
    url = url or os.environ["BENCH_FLOOR_DATABASE_URL"]
    engine = create_engine(url, pool_size=2, max_overflow=0)
    app = Flask(__name__)
    app.extensions["floor_engine"] = engine

    @app.post(PATHS["floor"])
    def book(session_id):
        token_hash, participant_id = _token_and_person()
        if token_hash is None:
            return participant_id
        now = datetime.now(timezone.utc)
        try:
            with engine.begin() as conn:
                user_id = conn.execute(TOKEN_USER, {"token_hash": token_hash}).scalar()
                if user_id is None:
                    return _json({"error": {"code": "unauthorised"}}, 401)
                side = conn.execute(PERSON_SIDE, {"participant_id": participant_id, "user_id": user_id}).scalar()
                if side is None:
                    return _json({"error": {"code": "forbidden"}}, 403)
                seats = conn.execute(CLAIM[side], {"session_id": session_id}).first()
                status = "confirmed" if seats is not None else "waitlisted"
                booking_id = conn.execute(INSERT_BOOKING, {
                    "session_id": session_id, "participant_id": participant_id, "side": side, "status": status,
                    "booked_by_id": user_id, "booked_at": now, "queued_at": now,
                    "confirmed_at": now if seats is not None else None, "ical_sequence": 0, "feed_revision": 0,
                }).scalar_one()
                conn.execute(INSERT_OUTBOX, {"dedupe_key": f"booking_{status}:b{booking_id}", "kind": f"booking_{status}",
                                             "booking_id": booking_id, "created_at": now})
        except IntegrityError:
            return _json({"error": {"code": "already_booked"}}, 409)
        return _json({"results": [{"participant_id": participant_id, "booking_id": booking_id, "status": status}]},
                     201)

    @app.post(PATHS["guarded"])
    def book_guarded(session_id):
        token_hash, participant_id = _token_and_person()
        if token_hash is None:
            return participant_id
        with engine.connect() as conn:
            with conn.begin() as transaction:
                user_id = conn.execute(TOKEN_USER, {"token_hash": token_hash}).scalar()
                if user_id is None:
                    return _json({"error": {"code": "unauthorised"}}, 401)
                status, body = _book_guarded(conn, user_id, session_id, participant_id, datetime.now(timezone.utc))
                if status >= 400 or body["results"][0]["booking_id"] is None:
                    transaction.rollback()
        return _json(body, status)

    @app.get("/healthz")
    def healthz():
        return _json({"status": "ok"}, 200)

    return app


def __getattr__(name):
    # `gunicorn bench.floor:app` builds the app on first use, not at import (the tests import this module).
    if name == "app":
        return create_app()
    raise AttributeError(name)
