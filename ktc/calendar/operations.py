"""Calendar feeds and downloads: which feeds a user has, their secret tokens, and their content."""
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, func, select, text
from sqlalchemy.exc import IntegrityError

from ktc.accounts.models import User
from ktc.bookings.models import ACTIVE_STATUSES, Booking
from ktc.calendar import ics, stamps
from ktc.calendar.models import CalendarFeed
from ktc.database import UTCDateTime, among, savepoint, utcnow
from ktc.errors import PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.i18n import known_locale, to_local
from ktc.organisations.models import Participant
from ktc.sessions.models import Session, session_instructors, session_skills
from ktc.sessions.operations import local_to_utc
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station

# Feeds show sessions from this far back; older ones drop out of the subscription.
FEED_PAST_DAYS = 180


@dataclass
class FeedLink:
    feed: CalendarFeed
    title: str
    url: str

    @property
    def webcal_url(self):
        return "webcal://" + self.url.split("://", 1)[1]

    @property
    def kind(self):
        return self.feed.kind


def _hash(token):
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _token(scope_key, nonce):
    """The feed's secret token: 256 bits derived from a random 128-bit nonce and SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, f"ktc-calendar-feed:{scope_key}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def feed_url(feed):
    base = current_app.config["KTC_BASE_URL"].rstrip("/")
    return f"{base}/calendar/feed/{_token(feed.scope_key, feed.nonce)}.ics"


def _specs(user):
    """The feeds this user is entitled to: (kind, scope_key, column values) tuples."""
    specs = []
    if user.role == "participant" and user.participant_id:
        specs.append(("participant", f"participant:{user.id}:{user.participant_id}",
                      {"participant_id": user.participant_id}))
    if user.role == "manager":
        for unit in user.units:
            specs.append(("unit", f"unit:{user.id}:{unit.id}", {"unit_id": unit.id}))
    if user.role in ("admin", "instructor"):
        specs.append(("instructor", f"instructor:{user.id}:{user.id}", {"instructor_id": user.id}))
        stations = db.session.execute(
            select(Station).where(Station.active.is_(True)).order_by(Station.name)
        ).scalars()
        for station in stations:
            specs.append(("station", f"station:{user.id}:{station.id}", {"station_id": station.id}))
    return specs


def _existing_feeds(user):
    return {
        feed.scope_key: feed
        for feed in db.session.execute(select(CalendarFeed).where(CalendarFeed.owner_user_id == user.id)).scalars()
    }


def _link(feed):
    return FeedLink(feed=feed, title=feed_title(feed), url=feed_url(feed))


def _is_current(feed):
    # After a SECRET_KEY rotation the stored hash no longer matches the link we would show.
    return feed.token_hash == _hash(_token(feed.scope_key, feed.nonce))


def user_feeds(user):
    """The user's working feed links. Read-only: GET pages and the API call this.

    Feeds the user is entitled to but has not created yet (or whose link changed with
    SECRET_KEY) are left out; `feeds_to_create` tells whether there are any, and
    `create_feeds` (on a POST) makes them.
    """
    existing = _existing_feeds(user)
    links = []
    for _kind, scope_key, _columns in _specs(user):
        feed = existing.get(scope_key)
        if feed is not None and _is_current(feed):
            links.append(_link(feed))
    return links


def feeds_to_create(user):
    """How many of the user's feeds `create_feeds` would create or refresh."""
    existing = _existing_feeds(user)
    return sum(
        1 for _kind, scope_key, _columns in _specs(user)
        if scope_key not in existing or not _is_current(existing[scope_key])
    )


def create_feeds(user):
    """Create the feeds the user is entitled to and does not have yet; return every link.

    One row per user and object, guarded by a unique key, so a repeated or concurrent
    request creates nothing twice.
    """
    existing = _existing_feeds(user)
    links = []
    for kind, scope_key, columns in _specs(user):
        feed = existing.get(scope_key)
        if feed is None:
            feed = _create_feed(user, kind, scope_key, columns)
        elif not _is_current(feed):
            feed.token_hash = _hash(_token(feed.scope_key, feed.nonce))
        links.append(_link(feed))
    db.session.flush()
    return links


def _create_feed(user, kind, scope_key, columns):
    nonce = secrets.token_hex(16)
    feed = CalendarFeed(kind=kind, scope_key=scope_key, owner_user_id=user.id, nonce=nonce,
                        token_hash=_hash(_token(scope_key, nonce)), **columns)
    try:
        with savepoint():
            db.session.add(feed)
    except IntegrityError:
        # Another request created it first: use that one.
        feed = db.session.execute(select(CalendarFeed).where(CalendarFeed.scope_key == scope_key)).scalar_one()
    return feed


def renew_feed(user, feed):
    """Give the feed a new secret token; the old URL stops working at once."""
    if feed.owner_user_id != user.id:
        raise PermissionDenied()
    feed.nonce = secrets.token_hex(16)
    feed.token_hash = _hash(_token(feed.scope_key, feed.nonce))
    feed.renewed_at = utcnow()
    db.session.flush()
    return feed


DELIVERIES = ("invitations", "subscription", "both")
REMINDER_MINUTES = (60, 1440)


def calendar_settings_owner(user):
    """The participant whose calendar settings this user keeps (only participants have them), or None."""
    if user.role != "participant" or not user.participant_id:
        return None
    return db.session.get(Participant, user.participant_id)


def save_calendar_settings(user, delivery, reminder_minutes):
    """Set how sessions reach the participant's calendar and their reminder (None: none)."""
    participant = calendar_settings_owner(user)
    if participant is None:
        raise PermissionDenied()
    if delivery not in DELIVERIES or (reminder_minutes is not None and reminder_minutes not in REMINDER_MINUTES):
        raise ValidationError(_l("Choose one of the calendar settings offered."))
    participant.calendar_delivery = delivery
    participant.calendar_reminder_minutes = reminder_minutes
    db.session.flush()
    return participant


def feed_title(feed):
    """The calendar's display name (NAME / X-WR-CALNAME), in the current locale."""
    if feed.kind == "participant":
        return _("KTC – my training sessions")
    if feed.kind == "unit":
        return _("KTC – %(unit)s", unit=feed.unit.name)
    if feed.kind == "station":
        return _("KTC – %(station)s", station=feed.station.name)
    return _("KTC – sessions I instruct")


@dataclass
class FeedState:
    """A feed, whether its owner may still read it, and its validator, known without building it."""

    feed_id: int
    locale: str
    now: object
    etag: str
    last_modified: object

    @property
    def feed(self):
        return db.session.get(CalendarFeed, self.feed_id)


# Part of every feed ETag: change it when the feed's format changes, so no client keeps an old body.
FEED_FORMAT = "5"

# The feed, its owner's rights and its stored validator in one statement. Plain SQL that reads the
# same on SQLite and PostgreSQL: a calendar client's conditional request is the most frequent
# request KTC answers, and building this statement with the expression language cost more than
# running it. The scopes are the feed's own "<kind>:<object id>" and its owner's "owner:<user id>"
# (their language), see ktc.calendar.stamps.
_MINE = ("c.scope IN (:all, f.kind || ':' || "
         "CAST(COALESCE(f.participant_id, f.unit_id, f.station_id, f.instructor_id) AS VARCHAR(20)), "
         "'owner:' || CAST(f.owner_user_id AS VARCHAR(20)))")
_FEED_STATE_SQL = text(f"""
SELECT f.id, f.kind, f.owner_user_id, f.participant_id, f.instructor_id, f.token_hash, f.created_at, f.renewed_at,
       u.active, u.role, u.participant_id AS owner_participant_id, u.locale, s.active AS station_active,
       EXISTS (SELECT 1 FROM unit_managers m WHERE m.user_id = f.owner_user_id AND m.unit_id = f.unit_id) AS manages,
       (SELECT SUM(c.version) FROM calendar_stamps c WHERE {_MINE}) AS version,
       (SELECT MAX(c.changed_at) FROM calendar_stamps c WHERE {_MINE}) AS changed_at
FROM calendar_feeds f
JOIN users u ON u.id = f.owner_user_id
LEFT JOIN stations s ON s.id = f.station_id
WHERE f.token_hash = :token_hash
""").columns(created_at=UTCDateTime, renewed_at=UTCDateTime, changed_at=UTCDateTime, active=Boolean,
             station_active=Boolean, manages=Boolean)


def feed_state(token, now=None):
    """The feed a token opens with its ETag and Last-Modified, in one query; None if it may not be read.

    The validator comes from the stored versions of the feed's scope and of "all" (see
    `ktc.calendar.stamps`), the owner's language and the day (the feed's window moves daily), so a
    conditional request is answered without reading a single event.
    """
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    token_hash = _hash(token)
    # One statement on a connection of its own in autocommit: no BEGIN and ROLLBACK round trips
    # around it (a single SELECT reads one consistent snapshot by itself).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(_FEED_STATE_SQL, {"token_hash": token_hash, "all": stamps.ALL}).one_or_none()
    if row is None or not row.active or not _entitled(row):
        return None
    config = current_app.config
    locale = known_locale(row.locale)
    tz = config["BABEL_DEFAULT_TIMEZONE"]
    today = to_local(now, tz).date()
    etag = hashlib.sha256("|".join(map(str, (
        FEED_FORMAT, row.id, row.token_hash, locale, today, row.version or 0, tz,
        config["KTC_MAIL_DOMAIN"], config["KTC_MAIL_FROM"],
    ))).encode("utf-8")).hexdigest()[:32]
    moments = [row.renewed_at or row.created_at, local_to_utc(today, time(0, 0), tz)]
    if row.changed_at is not None:
        moments.append(row.changed_at)
    return FeedState(feed_id=row.id, locale=locale, now=now, etag=etag, last_modified=max(moments))


def _entitled(row):
    """Whether the owner may still read the feed (the same rules as the feeds they are offered)."""
    if row.kind == "participant":
        return row.role == "participant" and row.owner_participant_id is not None and \
            row.owner_participant_id == row.participant_id
    if row.kind == "unit":
        return row.role == "manager" and bool(row.manages)
    if row.kind == "station":
        # Station feeds follow the role, not a stored list: a new station needs no new row.
        return row.role in ("admin", "instructor") and bool(row.station_active)
    return row.role in ("admin", "instructor") and row.instructor_id == row.owner_user_id


# Whole feed bodies by ETag, per process: a calendar client asks every hour, usually for an
# unchanged feed, and most feeds are read by more than one client. The ETag holds every input.
_BODY_CACHE = {}
_BODY_CACHE_BYTES = 0


def feed_body(state):
    """The feed's body for its state (UTF-8 bytes), built once per ETag and process."""
    global _BODY_CACHE_BYTES
    body = _BODY_CACHE.get(state.etag)
    if body is None:
        with force_locale(state.locale):
            body = feed_content(state.feed, state.now).encode("utf-8")
        limit = current_app.config["KTC_FEED_CACHE_BYTES"]
        if len(body) <= limit:
            while _BODY_CACHE and _BODY_CACHE_BYTES + len(body) > limit:
                _BODY_CACHE_BYTES -= len(_BODY_CACHE.pop(next(iter(_BODY_CACHE))))
            _BODY_CACHE[state.etag] = body
            _BODY_CACHE_BYTES += len(body)
    return body


def forget_built_feeds():
    """Forget every built feed in this process; serialised events stay (benchmarks, tests)."""
    global _BODY_CACHE_BYTES
    _BODY_CACHE.clear()
    _BODY_CACHE_BYTES = 0


def clear_caches():
    """Forget every built feed and serialised event in this process (benchmarks, tests)."""
    forget_built_feeds()
    ics.clear_event_cache()


# Feeds are read as plain rows, not ORM objects: a unit's feed has thousands of bookings, and
# building an ORM object graph for each was most of the feed's time. These light records carry
# exactly what ics.session_event and the options below read.
@dataclass(frozen=True)
class _Centre:
    name: str
    address: str
    timezone: str


@dataclass(frozen=True)
class _Station:
    name: str
    centre: _Centre


@dataclass(frozen=True)
class _Named:
    name: str


@dataclass(eq=False)
class _FeedSession:
    id: int
    uid: str
    sequence: int
    title: str
    notes: str
    status: str
    start_at: object
    end_at: object
    updated_at: object
    station: _Station
    feed_revision: int = 0
    skills: list = field(default_factory=list)
    instructors: list = field(default_factory=list)


_SESSION_COLUMNS = (
    Session.id, Session.uid, Session.sequence, Session.title, Session.notes, Session.status, Session.start_at,
    Session.end_at, Session.updated_at, Session.station_id, Session.feed_revision,
)


def _run(stmt):
    """Plain Core rows: a feed reads thousands, and the ORM's result processing doubled the time."""
    return db.session.connection().execute(stmt)


def _feed_sessions(rows, with_instructors):
    """_FeedSession per session id from rows starting with _SESSION_COLUMNS; stations with their centres,
    skills (and, for the staff feeds that show them, instructors) in a fixed number of queries, each
    list in its relationship order."""
    # Every station once (there are tens), not its names again on each of thousands of rows.
    stations = {
        station_id: _Station(name, _Centre(centre, address, timezone))
        for station_id, name, centre, address, timezone in _run(
            select(Station.id, Station.name, Centre.name, Centre.address, Centre.timezone).join(Centre))
    }
    sessions = {}
    for row in rows:
        if row[0] not in sessions:
            sid, uid, sequence, title, notes, status, start_at, end_at, updated_at, station_id, revision = row[:11]
            sessions[sid] = _FeedSession(sid, uid, sequence, title, notes, status, start_at, end_at, updated_at,
                                         stations[station_id], feed_revision=revision or 0)
    if sessions:
        ids = list(sessions)
        # Skill ids, not names, per session (a unit feed has ten thousand pairs); one _Named per skill.
        names = {skill_id: _Named(name) for skill_id, name in _run(select(Skill.id, Skill.name))}
        for sid, skill_id in _run(
            select(session_skills.c.session_id, session_skills.c.skill_id)
            .join(Skill, Skill.id == session_skills.c.skill_id)
            .where(among(session_skills.c.session_id, ids)).order_by(Skill.code)
        ).all():
            sessions[sid].skills.append(names[skill_id])
        if with_instructors:
            for sid, name in _run(
                select(session_instructors.c.session_id, User.name)
                .join(User, User.id == session_instructors.c.user_id)
                .where(among(session_instructors.c.session_id, ids)).order_by(User.name)
            ).all():
                sessions[sid].instructors.append(_Named(name))
    return sessions


def feed_content(feed, now=None):
    """The feed's iCalendar text: the sessions it shows from FEED_PAST_DAYS back, cancelled ones left out."""
    now = now or utcnow()
    tz = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    # From the start of a day: the content changes once a day, as the feed's ETag does.
    since = local_to_utc(to_local(now, tz).date() - timedelta(days=FEED_PAST_DAYS), time(0, 0), tz)
    conditions = [Session.start_at >= since, Session.status != "cancelled"]
    located = select(*_SESSION_COLUMNS)
    entries = []
    if feed.kind in ("participant", "unit"):
        conditions.append(Booking.status.in_(ACTIVE_STATUSES))
        if feed.kind == "participant":
            conditions.append(Booking.participant_id == feed.participant_id)
        else:
            conditions.append(Participant.unit_id == feed.unit_id)
        rows = _run(
            located.add_columns(Booking.status, Participant.name)
            .join(Booking, Booking.session_id == Session.id).join(Participant, Participant.id == Booking.participant_id)
            .where(*conditions).order_by(Session.start_at, Session.id, Booking.id)
        ).all()
        sessions = _feed_sessions(rows, with_instructors=False)
        per_session = {}
        for row in rows:
            per_session.setdefault(sessions[row[0]], []).append((row[-2], row[-1]))
        options = _participant_options(feed) if feed.kind == "participant" else _unit_options(feed)
        revisions = _booking_revisions(conditions[-1], [session.id for session in per_session])
        entries = [(session, {**options(session, bookings), **_revision(session, revisions.get(session.id))})
                   for session, bookings in per_session.items()]
    else:
        if feed.kind == "station":
            conditions.append(Session.station_id == feed.station_id)
        else:
            conditions.append(Session.id.in_(select(session_instructors.c.session_id).where(
                session_instructors.c.user_id == feed.instructor_id)))
        rows = _run(located.where(*conditions).order_by(Session.start_at, Session.id)).all()
        sessions = _feed_sessions(rows, with_instructors=True)
        entries = [(session, {**_staff_options(session), **_revision(session)}) for session in sessions.values()]
    return ics.feed(feed_title(feed), entries, tz, others=_circle_meetings(feed, since))


def _circle_meetings(feed, since):
    """The study circle meetings the feed's person, unit or instructor (as facilitator) takes part in."""
    from ktc.paths import circle_ics

    if feed.kind == "participant":
        return circle_ics.feed_events(since, participant_id=feed.participant_id)
    if feed.kind == "unit":
        return circle_ics.feed_events(since, unit_id=feed.unit_id)
    if feed.kind == "instructor":
        return circle_ics.feed_events(since, facilitator_id=feed.instructor_id)
    return []


def _booking_revisions(whose, session_ids):
    """Per session id: (sum of revisions, last revision time) of every booking of the feed's person or unit.

    Cancelled bookings count too: cancelling one changes the unit's event, and a sum over bookings
    that only grow keeps the event's SEQUENCE from going down when one leaves the feed.
    """
    if not session_ids:
        return {}
    return {
        session_id: (total or 0, last)
        for session_id, total, last in _run(
            select(Booking.session_id, func.sum(Booking.feed_revision), func.max(Booking.feed_revised_at))
            .join(Participant, Participant.id == Booking.participant_id)
            .where(whose, among(Booking.session_id, session_ids)).group_by(Booking.session_id)
        )
    }


def _revision(session, bookings=None):
    """A feed event's SEQUENCE and DTSTAMP: they rise with every change to what the event shows."""
    total, last = bookings or (0, None)
    stamp = session.updated_at if last is None else max(session.updated_at, last)
    return {"sequence": session.sequence + session.feed_revision + total, "dtstamp": stamp}


def _participant_options(feed):
    """Options per session for a participant's feed: the waiting list as tentative, their reminder on seats."""
    reminder = ics.reminder_of(db.session.get(Participant, feed.participant_id))

    def options(session, bookings):
        (status, _name), = bookings
        if status == "waitlisted":
            return {"status": "TENTATIVE", "transparent": True,
                    "summary": _("Waiting list: %(name)s", name=ics.summary_of(session))}
        return {"alarm": reminder} if reminder else {}

    return options


def _unit_options(feed):
    """Options per session for a unit feed: the unit's people in the description, their number in the title."""
    # Translated once per feed, not once per booking: a unit feed has thousands.
    waiting = _(" (waiting list)")
    summary = _("%(name)s (%(count)s from the unit)")

    def options(session, bookings):
        lines = [f"{name}{waiting}" if status == "waitlisted" else name for status, name in bookings]
        confirmed = sum(1 for status, _name in bookings if status != "waitlisted")
        return {"extra_lines": lines, "summary": summary % {"name": ics.summary_of(session), "count": confirmed}}

    return options


def _staff_options(session):
    if not session.instructors:
        return {}
    return {"extra_lines": [_("Instructors: %(names)s", names=", ".join(i.name for i in session.instructors))]}


def owner_locale(feed):
    return known_locale(feed.owner.locale if feed.owner else None)


def render_feed(feed, now=None):
    """The feed's iCalendar text in its owner's language."""
    with force_locale(owner_locale(feed)):
        return feed_content(feed, now)


def booking_ics(booking):
    """A .ics download of a booking: the session's event at the attendee's current SEQUENCE."""
    session = booking.session
    if booking.status == "cancelled" or session.status == "cancelled":
        status = "CANCELLED"
    elif booking.status == "waitlisted":
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"
    return ics.single_event(session, max(session.sequence, booking.ical_sequence), status=status)


def session_ics(session):
    return ics.single_event(session, session.sequence)

