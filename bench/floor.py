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
"""
import hashlib
import json
import os
from datetime import datetime, timezone

from flask import Flask, Response, request
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

metadata = MetaData()
users = Table("users", metadata, Column("id", Integer, primary_key=True), Column("active", Boolean))
api_tokens = Table("api_tokens", metadata, Column("id", Integer, primary_key=True), Column("user_id", Integer),
                   Column("token_hash", String), Column("revoked_at", DateTime(timezone=True)))
unit_managers = Table("unit_managers", metadata, Column("user_id", Integer), Column("unit_id", Integer))
organisations = Table("organisations", metadata, Column("id", Integer, primary_key=True), Column("side", String))
units = Table("units", metadata, Column("id", Integer, primary_key=True), Column("organisation_id", Integer))
participants = Table("participants", metadata, Column("id", Integer, primary_key=True), Column("unit_id", Integer),
                     Column("active", Boolean), Column("anonymised_at", DateTime(timezone=True)))
sessions = Table("sessions", metadata, Column("id", Integer, primary_key=True), Column("status", String),
                 Column("start_at", DateTime(timezone=True)), Column("capacity", Integer),
                 Column("min_per_side", Integer), Column("release_before_hours", Integer),
                 Column("seats_municipal", Integer), Column("seats_regional", Integer))
bookings = Table("bookings", metadata, Column("id", Integer, primary_key=True), Column("session_id", Integer),
                 Column("participant_id", Integer), Column("side", String), Column("status", String),
                 Column("booked_by_id", Integer), Column("booked_at", DateTime(timezone=True)),
                 Column("queued_at", DateTime(timezone=True)), Column("confirmed_at", DateTime(timezone=True)),
                 Column("ical_sequence", Integer), Column("feed_revision", Integer))
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


def create_outbox(engine):
    """The floor's outbox table (kept apart from KTC's); created once before a run."""
    outbox.create(engine, checkfirst=True)


def _json(body, status):
    return Response(json.dumps(body), status=status, content_type="application/json")


def create_app(url=None):
    url = url or os.environ["BENCH_FLOOR_DATABASE_URL"]
    engine = create_engine(url, pool_size=2, max_overflow=0)
    app = Flask(__name__)
    app.extensions["floor_engine"] = engine

    @app.post("/api/v1/sessions/<int:session_id>/bookings")
    def book(session_id):
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return _json({"error": {"code": "unauthorised"}}, 401)
        token_hash = hashlib.sha256(auth[7:].encode()).hexdigest()
        payload = request.get_json(silent=True) or {}
        ids = payload.get("participant_ids")
        if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], int):
            return _json({"error": {"code": "invalid"}}, 422)
        participant_id = ids[0]
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

    @app.get("/healthz")
    def healthz():
        return _json({"status": "ok"}, 200)

    return app


def __getattr__(name):
    # `gunicorn bench.floor:app` builds the app on first use, not at import (the tests import this module).
    if name == "app":
        return create_app()
    raise AttributeError(name)
