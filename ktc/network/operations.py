"""Anonymised evidence for the learning network: aggregates, free text, reports and digests.

Every figure is aggregated in the database (a fixed number of queries, whatever the number of
sessions). Feedback figures built on fewer than MIN_RESPONSES responses are suppressed here, once,
so that the page, the exports, the API and the digest can never show them.
"""
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, distinct, func, literal_column, select, text

from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.errors import ValidationError
from ktc.extensions import db
from ktc.feedback.anonymise import scrub
from ktc.feedback.models import Feedback, SessionReport
from ktc.feedback.operations import people_names
from ktc.network.models import NetworkDigest
from ktc.organisations.models import SIDES
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session, session_skills
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station

MIN_RESPONSES = 5
DEFAULT_TZ = "Europe/Stockholm"
MAX_MONTH_BUCKETS = 36
FREE_TEXT_PER_GROUP = 100
REPORTS_LIMIT = 100
DIMENSIONS = ("period", "centre", "station", "skill", "side")
FEEDBACK_FIELDS = (
    "overall", "relevance", "confidence_before", "confidence_after", "confidence_gain", "learned_other_side",
)
# Serialises digest runs on PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE).
DIGEST_LOCK_KEY = 4_711_005


class InvalidPeriod(ValidationError):
    code = "invalid_period"


@dataclass
class Filters:
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    centre_id: int | None = None
    station_id: int | None = None
    skill_id: int | None = None
    side: str | None = None
    tz: str = DEFAULT_TZ

    @property
    def first_day(self):
        return self.start.astimezone(ZoneInfo(self.tz)).date()

    @property
    def last_day(self):
        """The last local day in the period (end is exclusive; days are not always 24 hours)."""
        return (self.end - timedelta(microseconds=1)).astimezone(ZoneInfo(self.tz)).date()


def local_midnight(day, tz=DEFAULT_TZ):
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def default_dates(today):
    """The last 12 months up to and including today."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + timedelta(days=1), today


def make_filters(date_from=None, date_to=None, centre_id=None, station_id=None, skill_id=None, side=None,
                 tz=DEFAULT_TZ, today=None):
    """Filters from local dates (both inclusive); missing dates mean the last 12 months."""
    today = today or utcnow().astimezone(ZoneInfo(tz)).date()
    default_from, default_to = default_dates(today)
    date_from = date_from or default_from
    date_to = date_to or default_to
    if date_to < date_from:
        from flask_babel import lazy_gettext as _l

        raise InvalidPeriod(_l("The end date must not be before the start date."), field="to")
    if side is not None and side not in SIDES:
        raise InvalidPeriod(field="side")
    return Filters(
        start=local_midnight(date_from, tz),
        end=local_midnight(date_to + timedelta(days=1), tz),
        centre_id=centre_id, station_id=station_id, skill_id=skill_id, side=side, tz=tz,
    )


def period_buckets(filters):
    """(key, start, end) per local calendar month overlapping the period (per year if very long)."""
    zone = ZoneInfo(filters.tz)
    first = filters.start.astimezone(zone).date()
    last = (filters.end - timedelta(microseconds=1)).astimezone(zone).date()
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    buckets = []
    if months <= MAX_MONTH_BUCKETS:
        year, month = first.year, first.month
        for _ in range(months):
            nxt = (year + month // 12, month % 12 + 1)
            buckets.append((f"{year:04d}-{month:02d}", local_midnight(date(year, month, 1), filters.tz),
                            local_midnight(date(*nxt, 1), filters.tz)))
            year, month = nxt
    else:
        for year in range(first.year, last.year + 1):
            buckets.append((f"{year:04d}", local_midnight(date(year, 1, 1), filters.tz),
                            local_midnight(date(year + 1, 1, 1), filters.tz)))
    return buckets


def _selected_sessions(f):
    """Completed sessions in the period matching the filters, as a subquery."""
    stmt = (
        select(
            Session.id.label("sid"),
            Session.station_id.label("station_id"),
            Station.centre_id.label("centre_id"),
            Session.start_at.label("start_at"),
        )
        .join(Station, Station.id == Session.station_id)
        .where(Session.status == "completed", Session.start_at >= f.start, Session.start_at < f.end)
    )
    if f.centre_id:
        stmt = stmt.where(Station.centre_id == f.centre_id)
    if f.station_id:
        stmt = stmt.where(Session.station_id == f.station_id)
    if f.skill_id:
        stmt = stmt.where(
            select(session_skills.c.session_id)
            .where(session_skills.c.session_id == Session.id, session_skills.c.skill_id == f.skill_id)
            .exists()
        )
    if f.side:
        stmt = stmt.where(
            select(Booking.id)
            .where(Booking.session_id == Session.id, Booking.status == "attended", Booking.side == f.side)
            .exists()
        )
    return stmt.subquery("sel")


class _Query:
    """Builds one grouped query over the selected sessions for a dimension."""

    def __init__(self, f, sel, dim, buckets):
        self.f, self.sel, self.dim, self.buckets = f, sel, dim, buckets

    def period_key(self):
        col = self.sel.c.start_at
        return case(*[(col < end, key) for key, _start, end in self.buckets], else_=None)

    def skill_join(self, stmt, session_col):
        stmt = stmt.join(session_skills, session_skills.c.session_id == session_col)
        if self.f.skill_id:
            stmt = stmt.where(session_skills.c.skill_id == self.f.skill_id)
        return stmt, session_skills.c.skill_id

    def key(self, stmt, side_col=None, skill_col=None):
        """(statement with any join the dimension needs, key column or None)."""
        sel = self.sel
        if self.dim == "total":
            return stmt, None
        if self.dim == "period":
            return stmt, self.period_key()
        if self.dim == "centre":
            return stmt, sel.c.centre_id
        if self.dim == "station":
            return stmt, sel.c.station_id
        if self.dim == "skill":
            if skill_col is not None:
                return stmt, skill_col
            return self.skill_join(stmt, sel.c.sid)
        if self.dim == "side":
            return stmt, side_col
        raise ValueError(self.dim)


def _grouped(stmt, key, *metrics):
    cols = ([key.label("k")] if key is not None else []) + list(metrics)
    stmt = stmt.with_only_columns(*cols)
    if key is not None:
        # By the output name: PostgreSQL would see the CASE of the period key, rendered twice
        # with different bind parameters, as two different expressions.
        stmt = stmt.group_by(literal_column("k"))
    return db.session.execute(stmt).all()


def _key_of(row, keyed):
    return row[0] if keyed else None


def _aggregate(f, sel, dim, buckets):
    """{key: metrics} for one dimension (key None for the totals)."""
    q = _Query(f, sel, dim, buckets)
    rows = {}

    def row(key):
        return rows.setdefault(key, _empty_row())

    # Sessions, and those whose attendees included both sides.
    n_sides = (
        select(Booking.session_id.label("sid"), func.count(distinct(Booking.side)).label("n"))
        .where(Booking.status == "attended")
        .group_by(Booking.session_id)
        .subquery("n_sides")
    )
    stmt = select(sel.c.sid).select_from(sel).outerjoin(n_sides, n_sides.c.sid == sel.c.sid)
    side_col = None
    if dim == "side":
        session_sides = (
            select(Booking.session_id.label("sid"), Booking.side.label("side"))
            .where(Booking.status == "attended")
            .distinct()
            .subquery("session_sides")
        )
        stmt = stmt.join(session_sides, session_sides.c.sid == sel.c.sid)
        side_col = session_sides.c.side
        if f.side:
            stmt = stmt.where(side_col == f.side)
    stmt, key = q.key(stmt, side_col=side_col)
    for r in _grouped(stmt, key, func.count(distinct(sel.c.sid)),
                      func.count(distinct(case((n_sides.c.n >= 2, sel.c.sid), else_=None)))):
        item = row(_key_of(r, key is not None))
        item["sessions"], item["sessions_both_sides"] = r[-2], r[-1]

    # Attendance per side.
    stmt = select(sel.c.sid).select_from(sel).join(Booking, Booking.session_id == sel.c.sid).where(
        Booking.status == "attended"
    )
    if f.side:
        stmt = stmt.where(Booking.side == f.side)
    stmt, key = q.key(stmt, side_col=Booking.side)
    stmt = stmt.group_by(Booking.side)
    for r in _grouped(stmt, key, Booking.side, func.count(Booking.id)):
        row(_key_of(r, key is not None))[f"participants_{r[-2]}"] = r[-1]

    # Skills demonstrated (the side is the attendee's booking side).
    stmt = (
        select(sel.c.sid)
        .select_from(sel)
        .join(SkillRecord, SkillRecord.session_id == sel.c.sid)
        .join(Booking, and_(Booking.session_id == SkillRecord.session_id,
                            Booking.participant_id == SkillRecord.participant_id))
        .where(SkillRecord.outcome == "demonstrated")
    )
    if f.skill_id:
        stmt = stmt.where(SkillRecord.skill_id == f.skill_id)
    if f.side:
        stmt = stmt.where(Booking.side == f.side)
    stmt, key = q.key(stmt, side_col=Booking.side, skill_col=SkillRecord.skill_id)
    for r in _grouped(stmt, key, func.count(SkillRecord.id)):
        row(_key_of(r, key is not None))["skills_demonstrated"] = r[-1]

    # Feedback: requests, responses and averages (unanswered rows have NULL answers).
    stmt = select(sel.c.sid).select_from(sel).join(Feedback, Feedback.session_id == sel.c.sid)
    if f.side:
        stmt = stmt.where(Feedback.side == f.side)
    stmt, key = q.key(stmt, side_col=Feedback.side)
    for r in _grouped(
        stmt, key,
        func.count(Feedback.id), func.count(Feedback.responded_at),
        func.avg(Feedback.overall), func.avg(Feedback.relevance),
        func.avg(Feedback.confidence_before), func.avg(Feedback.confidence_after),
        func.avg(Feedback.confidence_after - Feedback.confidence_before),
        func.avg(Feedback.learned_other_side),
    ):
        item = row(_key_of(r, key is not None))
        item["feedback_requests"], item["responses"] = r[-8], r[-7]
        for name, value in zip(FEEDBACK_FIELDS, r[-6:]):
            item[name] = None if value is None else round(float(value), 2)
    return {key: _finish(item) for key, item in rows.items()}


def _empty_row():
    item = {
        "sessions": 0, "sessions_both_sides": 0, "share_both_sides": None,
        "participants_municipal": 0, "participants_regional": 0, "skills_demonstrated": 0,
        "feedback_requests": 0, "responses": 0,
    }
    item.update({name: None for name in FEEDBACK_FIELDS})
    return item


def _finish(item):
    """Add the share of two-sided sessions; suppress feedback built on too few responses."""
    if item["sessions"]:
        item["share_both_sides"] = round(100.0 * item["sessions_both_sides"] / item["sessions"], 1)
    item["suppressed"] = item["responses"] < MIN_RESPONSES
    if item["suppressed"]:
        item["responses"] = None
        for name in FEEDBACK_FIELDS:
            item[name] = None
    return item


def _labels(dim, keys):
    """Readable labels for dimension keys (one query per dimension)."""
    keys = [k for k in keys if k is not None]
    if dim == "centre" and keys:
        return dict(db.session.execute(select(Centre.id, Centre.name).where(Centre.id.in_(keys))).all())
    if dim == "station" and keys:
        rows = db.session.execute(
            select(Station.id, Station.name, Centre.name).join(Centre).where(Station.id.in_(keys))
        ).all()
        return {sid: f"{name} ({centre})" for sid, name, centre in rows}
    if dim == "skill" and keys:
        rows = db.session.execute(select(Skill.id, Skill.code, Skill.name).where(Skill.id.in_(keys))).all()
        return {sid: f"{code} {name}" for sid, code, name in rows}
    return {k: str(k) for k in keys}


def _rows(dim, aggregated, order=None):
    labels = _labels(dim, aggregated)
    rows = [{"key": key, "label": labels.get(key, str(key)), **values}
            for key, values in aggregated.items() if key is not None]
    if order is not None:
        rows.sort(key=lambda r: order.index(r["key"]) if r["key"] in order else len(order))
    else:
        rows.sort(key=lambda r: r["label"].lower())
    return rows


def _free_text(f, sel, station_rows):
    """Free-text answers per station, only for stations with at least MIN_RESPONSES responses."""
    allowed = {r["key"]: r for r in station_rows if not r["suppressed"]}
    if not allowed:
        return []
    stmt = (
        select(sel.c.station_id, Feedback.session_id, Feedback.take_back, Feedback.improve)
        .select_from(sel)
        .join(Feedback, Feedback.session_id == sel.c.sid)
        .where(Feedback.responded_at.is_not(None), sel.c.station_id.in_(allowed))
        .where((Feedback.take_back != "") | (Feedback.improve != ""))
        .order_by(Feedback.responded_at.desc(), Feedback.id.desc())
    )
    if f.side:
        stmt = stmt.where(Feedback.side == f.side)
    answers = db.session.execute(stmt).all()
    # Scrubbed again on the way out: names added to a session after the answer are caught too.
    names = people_names({a.session_id for a in answers})
    groups = {}
    for station_id, session_id, take_back, improve in answers:
        group = groups.setdefault(station_id, {"take_back": [], "improve": []})
        for field, value in (("take_back", take_back), ("improve", improve)):
            clean = scrub(value, names.get(session_id, ()))
            if clean and len(group[field]) < FREE_TEXT_PER_GROUP:
                group[field].append(clean)
    return [
        {"station": allowed[sid]["label"], "responses": allowed[sid]["responses"], **groups[sid]}
        for sid in sorted(groups, key=lambda s: allowed[s]["label"].lower())
    ]


def _reports(f, sel):
    rows = db.session.execute(
        select(SessionReport, sel.c.start_at, sel.c.station_id)
        .join(sel, sel.c.sid == SessionReport.session_id)
        .order_by(sel.c.start_at.desc())
        .limit(REPORTS_LIMIT)
    ).all()
    names = people_names({r[0].session_id for r in rows})
    labels = _labels("station", {r[2] for r in rows})
    result = []
    for report, start_at, station_id in rows:
        people = names.get(report.session_id, ())
        result.append({
            "date": start_at.astimezone(ZoneInfo(f.tz)).date().isoformat(),
            "station": labels.get(station_id, ""),
            "what_worked": scrub(report.what_worked, people),
            "what_to_change": scrub(report.what_to_change, people),
            "equipment_problems": scrub(report.equipment_problems, people),
        })
    return result


def summary(f):
    """Everything the network sees for the filters, suppressed and anonymised, JSON-ready."""
    sel = _selected_sessions(f)
    buckets = period_buckets(f)
    totals = _aggregate(f, sel, "total", buckets).get(None) or _finish(_empty_row())
    result = {
        "period": {"from": f.start.isoformat(), "to": f.end.isoformat()},
        "filters": {k: v for k, v in asdict(f).items() if k in ("centre_id", "station_id", "skill_id", "side")},
        "min_responses": MIN_RESPONSES,
        "totals": totals,
    }
    order = {"period": [b[0] for b in buckets], "side": list(SIDES)}
    for dim in DIMENSIONS:
        result[f"by_{dim}"] = _rows(dim, _aggregate(f, sel, dim, buckets), order.get(dim))
    result["free_text"] = _free_text(f, sel, result["by_station"])
    result["reports"] = _reports(f, sel)
    return result


# --- the periodic digest --------------------------------------------------------------------
def _lock_digest_runs():
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DIGEST_LOCK_KEY})


def digest_period_start():
    """The previous digest's end, or (first digest) the start of the first session with feedback."""
    last_end = db.session.execute(select(func.max(NetworkDigest.period_end))).scalar_one_or_none()
    if last_end is not None:
        return last_end, True
    first = db.session.execute(
        select(func.min(Session.start_at)).join(Feedback, Feedback.session_id == Session.id)
    ).scalar_one_or_none()
    return first, False


def create_digest(now=None):
    """Store the digest for the period since the previous one; None when it is not due yet.

    A digest is not made again within KTC_NETWORK_DIGEST_MIN_DAYS of the last one, so a rerun
    or a restart of the scheduler never makes (or sends) a second digest for the same month.
    """
    now = now or utcnow()
    _lock_digest_runs()
    start, has_previous = digest_period_start()
    if start is None or start >= now:
        return None
    if has_previous and now - start < timedelta(days=current_app.config["KTC_NETWORK_DIGEST_MIN_DAYS"]):
        return None
    f = Filters(start=start, end=now)
    content = summary(f)
    digest = NetworkDigest(period_start=start, period_end=now, created_at=now, content_json=json.dumps(content))
    db.session.add(digest)
    db.session.flush()
    return digest


def digest_content(digest):
    return json.loads(digest.content_json or "{}")


def list_digests():
    return db.session.execute(select(NetworkDigest).order_by(NetworkDigest.period_end.desc())).scalars().all()
