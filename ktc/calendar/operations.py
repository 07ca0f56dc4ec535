"""Calendar feeds and downloads: which feeds a user has, their secret tokens, and their content."""
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ktc.accounts.models import User
from ktc.bookings.models import ACTIVE_STATUSES, Booking
from ktc.calendar import ics
from ktc.calendar.models import CalendarFeed
from ktc.database import utcnow
from ktc.errors import PermissionDenied
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.sessions.models import Session, session_instructors, session_skills
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
        with db.session.begin_nested():
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


def feed_title(feed):
    """The calendar's display name (NAME / X-WR-CALNAME), in the current locale."""
    if feed.kind == "participant":
        return _("KTC – my training sessions")
    if feed.kind == "unit":
        return _("KTC – %(unit)s", unit=feed.unit.name)
    if feed.kind == "station":
        return _("KTC – %(station)s", station=feed.station.name)
    return _("KTC – sessions I instruct")


def feed_by_token(token):
    """The feed a token opens, or None if the token is unknown or its owner lost the right to it."""
    if not token or len(token) > 100:
        return None
    feed = db.session.execute(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token))).scalar_one_or_none()
    if feed is None or feed.owner is None or not feed.owner.active:
        return None
    owner = feed.owner
    if feed.kind == "station":
        # Station feeds follow the role, not a stored list: a new station needs no new row.
        entitled = owner.role in ("admin", "instructor") and feed.station is not None and feed.station.active
    else:
        entitled = feed.scope_key in {scope for _kind, scope, _columns in _specs(owner)}
    return feed if entitled else None

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
    created_at: object
    updated_at: object
    station: _Station
    skills: list = field(default_factory=list)
    instructors: list = field(default_factory=list)


@dataclass(eq=False)
class _FeedBooking:
    status: str
    booked_at: object
    confirmed_at: object
    cancelled_at: object
    session: _FeedSession
    participant: _Named


_SESSION_COLUMNS = (
    Session.id, Session.uid, Session.sequence, Session.title, Session.notes, Session.status, Session.start_at,
    Session.end_at, Session.created_at, Session.updated_at, Station.name, Centre.name, Centre.address,
    Centre.timezone,
)


def _feed_sessions(rows, offset, ids):
    """_FeedSession per session id from rows holding _SESSION_COLUMNS at `offset`; skills and instructors
    in one query each (in their relationship order), whatever the number of sessions."""
    sessions = {}
    for row in rows:
        values = row[offset:offset + len(_SESSION_COLUMNS)]
        if values[0] not in sessions:
            sid, uid, sequence, title, notes, status, start_at, end_at, created_at, updated_at = values[:10]
            station = _Station(values[10], _Centre(values[11], values[12], values[13]))
            sessions[sid] = _FeedSession(sid, uid, sequence, title, notes, status, start_at, end_at, created_at,
                                         updated_at, station)
    if sessions:
        for sid, name in db.session.execute(
            select(session_skills.c.session_id, Skill.name).join(Skill, Skill.id == session_skills.c.skill_id)
            .where(session_skills.c.session_id.in_(ids)).order_by(Skill.code)
        ):
            if sid in sessions:
                sessions[sid].skills.append(_Named(name))
        for sid, name in db.session.execute(
            select(session_instructors.c.session_id, User.name).join(User, User.id == session_instructors.c.user_id)
            .where(session_instructors.c.session_id.in_(ids)).order_by(User.name)
        ):
            if sid in sessions:
                sessions[sid].instructors.append(_Named(name))
    return sessions


def feed_content(feed, now=None):
    """The feed's iCalendar text and its last-modified instant."""
    now = now or utcnow()
    since = now - timedelta(days=FEED_PAST_DAYS)
    stamps = [feed.renewed_at or feed.created_at]
    entries = []
    if feed.kind in ("participant", "unit"):
        conditions = [Session.start_at >= since]
        if feed.kind == "participant":
            conditions.append(Booking.participant_id == feed.participant_id)
        else:
            conditions.append(Participant.unit_id == feed.unit_id)

        def joined(stmt):
            return (stmt.join(Session, Booking.session_id == Session.id)
                    .join(Participant, Booking.participant_id == Participant.id).where(*conditions))

        rows = db.session.execute(
            joined(select(Booking.status, Booking.booked_at, Booking.confirmed_at, Booking.cancelled_at,
                          Participant.name, *_SESSION_COLUMNS)
                   .select_from(Booking))
            .join(Station, Station.id == Session.station_id).join(Centre, Centre.id == Station.centre_id)
            .order_by(Session.start_at, Session.id, Booking.id)
        ).all()
        sessions = _feed_sessions(rows, 5, joined(select(Booking.session_id).select_from(Booking)))
        per_session = {}
        for row in rows:
            session = sessions[row[5]]
            booking = _FeedBooking(row[0], row[1], row[2], row[3], session, _Named(row[4]))
            stamps += [booking.booked_at, booking.confirmed_at, booking.cancelled_at, session.updated_at]
            if booking.status not in ACTIVE_STATUSES or session.status == "cancelled":
                continue
            per_session.setdefault(session, []).append(booking)
        for session, bookings in per_session.items():
            if feed.kind == "participant":
                entries.append((session, _participant_options(bookings[0])))
            else:
                entries.append((session, _unit_options(session, bookings)))
    else:
        conditions = [Session.start_at >= since]
        if feed.kind == "station":
            conditions.append(Session.station_id == feed.station_id)
        else:
            conditions.append(Session.id.in_(select(session_instructors.c.session_id).where(
                session_instructors.c.user_id == feed.instructor_id)))
        rows = db.session.execute(
            select(*_SESSION_COLUMNS).join(Station, Station.id == Session.station_id)
            .join(Centre, Centre.id == Station.centre_id).where(*conditions)
            .order_by(Session.start_at, Session.id)
        ).all()
        sessions = _feed_sessions(rows, 0, select(Session.id).where(*conditions))
        for row in rows:
            session = sessions[row[0]]
            stamps.append(session.updated_at)
            if session.status == "cancelled":
                continue
            entries.append((session, _staff_options(session)))
    default_tz = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    body = ics.feed(feed_title(feed), entries, default_tz)
    return body, max(stamp for stamp in stamps if stamp is not None)


def _participant_options(booking):
    if booking.status == "waitlisted":
        return {"status": "TENTATIVE", "transparent": True,
                "summary": _("Waiting list: %(name)s", name=ics.summary_of(booking.session))}
    return {}


def _unit_options(session, bookings):
    lines = []
    for booking in bookings:
        suffix = _(" (waiting list)") if booking.status == "waitlisted" else ""
        lines.append(f"{booking.participant.name}{suffix}")
    confirmed = sum(1 for b in bookings if b.status != "waitlisted")
    return {"extra_lines": lines, "summary": _("%(name)s (%(count)s from the unit)",
                                               name=ics.summary_of(session), count=confirmed)}


def _staff_options(session):
    if not session.instructors:
        return {}
    return {"extra_lines": [_("Instructors: %(names)s", names=", ".join(i.name for i in session.instructors))]}


def owner_locale(feed):
    return feed.owner.locale if feed.owner and feed.owner.locale in current_app.config["LANGUAGES"] else "sv"


def render_feed(feed, now=None):
    """The feed rendered in its owner's language."""
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

