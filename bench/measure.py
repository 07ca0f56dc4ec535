"""In-process measurements: server time per request (Flask test client) and SQL statements per request."""
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import and_, event, exists, func, select

from ktc.accounts.models import User
from ktc.bookings.models import ACTIVE_STATUSES, Booking
from ktc.calendar import stamps
from ktc.calendar.models import CalendarFeed
from ktc.calendar.operations import create_feeds, render_feed
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.sessions.models import Session
from ktc.stations.models import Station

ZONE = ZoneInfo("Europe/Stockholm")


@dataclass
class Figure:
    name: str
    times_ms: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    statuses: set = field(default_factory=set)
    note: str = ""

    @property
    def median(self):
        return statistics.median(self.times_ms)

    @property
    def p95(self):
        return percentile(self.times_ms, 95)

    @property
    def query_count(self):
        return max(self.queries) if self.queries else 0


def percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@contextmanager
def counting_statements(engine):
    """Count the SQL statements sent to the database inside the block."""
    seen = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


class FreshContextClient(FlaskClient):
    """Each request in an app context (so `g`, the logged-in user and the database session) of its own.

    Without it, a request made while the bench holds an app context reuses that context: the
    first request's user would stay logged in for every later one, as in production it never does.
    """

    def open(self, *args, **kwargs):
        db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def client_for(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


def login(client, user):
    """Log the test client in the way a real login does: the user's id and nonce in the session."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def timed(client, engine, method, url, *, data=None, headers=None):
    """One request: (milliseconds, statements, response)."""
    with counting_statements(engine) as seen:
        started = time.perf_counter()
        response = client.open(url, method=method, data=data, headers=headers)
        response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(seen), response


def measure(client, engine, name, method, url, reps, warmup=2, expect=(200,), **kwargs):
    figure = Figure(name)
    for i in range(warmup + reps):
        ms, queries, response = timed(client, engine, method, url, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{name}: {method} {url} answered {response.status_code}")
        if i >= warmup:
            figure.times_ms.append(ms)
            figure.queries.append(queries)
            figure.statuses.add(response.status_code)
    return figure


# --- what to open ------------------------------------------------------------------------------

@dataclass
class Targets:
    admin: User
    network: User
    manager: User
    participant_user: User
    centre_id: int
    unit_id: int
    week: str
    team_session_id: int
    date_from: str
    date_to: str
    participant_feed_token: str
    unit_feed_token: str
    unit_feed: CalendarFeed
    station_id: int = 0  # the next session's station: the planner grid for one station


def find_targets(generated, today=None):
    """The users, sessions and feeds the figures are measured on (feeds are created if needed)."""
    now = datetime.now(timezone.utc)
    today = today or now.astimezone(ZONE).date()
    admin = db.session.get(User, generated["admin_id"])
    manager = db.session.get(User, generated["big_manager_id"])
    participant_user = db.session.get(User, generated["participant_user_id"])
    # The week (and centre) of the next session: this week, as soon as there is planning.
    next_session = db.session.execute(
        select(Session).where(Session.status == "scheduled", Session.start_at > now)
        .order_by(Session.start_at).limit(1)
    ).scalar_one()
    iso = next_session.start_at.astimezone(ZONE).date().isocalendar()
    team_session = db.session.execute(
        select(Session.id).where(Session.status == "scheduled", Session.start_at > now + timedelta(days=7))
        .order_by(Session.start_at).limit(1)
    ).scalar_one()
    tokens = {}
    for user in (participant_user, manager):
        for link in create_feeds(user):
            tokens[link.feed.kind] = (link.url.rsplit("/", 1)[1][:-4], link.feed)
    db.session.commit()
    return Targets(
        admin=admin, network=db.session.get(User, generated["network_id"]), manager=manager,
        participant_user=participant_user, centre_id=next_session.station.centre_id, unit_id=generated["big_unit_id"],
        week=f"{iso.year}-W{iso.week:02d}", team_session_id=team_session,
        date_from=(today - timedelta(days=364)).isoformat(), date_to=today.isoformat(),
        participant_feed_token=tokens["participant"][0], unit_feed_token=tokens["unit"][0], unit_feed=tokens["unit"][1],
        station_id=next_session.station_id,
    )


def booking_slots(manager, unit_id, count):
    """(session, participant) pairs the manager can book now without overlap or double booking.

    Each person comes once: two of the sessions may be at the same time (at two stations), and a
    person booked into the first would be refused the second as an overlap, which is another,
    shorter request than the booking measured."""
    now = datetime.now(timezone.utc)
    sessions = db.session.execute(
        select(Session).join(Station).where(
            Session.status == "scheduled", Session.start_at > now + timedelta(days=3),
            Station.active.is_(True),
        ).order_by(Session.start_at).limit(40)
    ).scalars().all()
    pairs = []
    for session in sessions:
        busy = (
            select(Booking.id).join(Session, Session.id == Booking.session_id)
            .where(Booking.participant_id == Participant.id, Booking.status.in_(ACTIVE_STATUSES),
                   Session.status != "cancelled", Session.start_at < session.end_at, Session.end_at > session.start_at)
        )
        free = db.session.execute(
            select(Participant.id).where(Participant.unit_id == unit_id, Participant.active.is_(True),
                                         Participant.anonymised_at.is_(None), ~exists(busy),
                                         Participant.id.not_in([pid for _, pid in pairs]),
                                         ~exists(select(Booking.id).where(and_(Booking.session_id == session.id,
                                                                               Booking.participant_id == Participant.id))))
            .order_by(Participant.id).limit(2)
        ).scalars().all()
        pairs += [(session.id, pid) for pid in free]
        if len(pairs) >= count:
            break
    return pairs[:count]


def max_ids():
    from ktc.audit.models import AuditEntry
    from ktc.mail.models import OutboxMessage

    return {model: db.session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()
            for model in (Booking, AuditEntry, OutboxMessage)}


def undo_bench_bookings(before):
    """Remove what the booking measurements added, so a reused dataset stays as generated."""
    from sqlalchemy import delete, text

    from ktc.audit.models import AuditEntry
    from ktc.mail.models import OutboxMessage

    sessions = db.session.execute(
        select(Booking.session_id).where(Booking.id > before[Booking]).distinct()
    ).scalars().all()
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.id > before[OutboxMessage]))
    db.session.execute(delete(AuditEntry).where(AuditEntry.id > before[AuditEntry]))
    db.session.execute(delete(Booking).where(Booking.id > before[Booking]))
    for side, column in (("municipal", "seats_municipal"), ("regional", "seats_regional")):
        for session_id in sessions:
            db.session.execute(text(
                f"UPDATE sessions SET {column} = (SELECT COUNT(*) FROM bookings b WHERE b.session_id = :id "
                f"AND b.side = :side AND b.status IN ('confirmed', 'attended', 'no_show')) WHERE id = :id"
            ), {"side": side, "id": session_id})
    stamps.everything_changed()
    db.session.commit()


# --- feeds against icalendar alone and a bare Flask response ------------------------------------

def bare_ical(feed):
    """(serialise, events): a function that serialises the feed's events with icalendar alone (same
    events, same properties, no app), and the number of events."""
    import icalendar

    body = render_feed(feed)
    parsed = icalendar.Calendar.from_ical(body)
    names = ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "LOCATION", "DESCRIPTION", "STATUS",
             "TRANSP")
    plain = [[(name.lower(), component.decoded(name) if name.startswith("DT") else str(component[name]))
              for name in names if name in component]
             for component in parsed.walk("VEVENT")]

    def serialise():
        cal = icalendar.Calendar()
        cal.add("prodid", "-//bench//bare icalendar//EN")
        cal.add("version", "2.0")
        for properties in plain:
            event_ = icalendar.Event()
            for name, value in properties:
                event_.add(name, int(value) if name == "sequence" else value)
            cal.add_component(event_)
        return cal.to_ical()

    return serialise, len(plain)


def bare_flask_client():
    """A test client of a bare Flask app answering a small response: the floor any request stands on."""
    app = Flask("bare")

    @app.route("/")
    def _index():
        return Response("ok", content_type="text/plain")

    return app.test_client()
