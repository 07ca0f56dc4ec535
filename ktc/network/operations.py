"""Anonymised evidence for the learning network: aggregates, free text, reports and digests.

Every figure is aggregated in the database (a fixed number of queries, whatever the number of
sessions). Feedback figures built on fewer than MIN_RESPONSES responses are suppressed here, once,
so that the page, the exports, the API and the digest can never show them.
"""
import json
import operator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, text

from ktc.database import utcnow
from ktc.errors import ValidationError
from ktc.extensions import db
from ktc.feedback.anonymise import scrub
from ktc.feedback.models import Feedback, SessionReport
from ktc.feedback.operations import people_names
from ktc.i18n import DEFAULT_TZ, local_today, to_local
from ktc.network.models import FEEDBACK_FIELDS, STAT_COLUMNS, NetworkDigest, session_skill_stats, session_stats
from ktc.organisations.models import SIDES
from ktc.sessions.models import Session, session_skills
from ktc.sessions.operations import local_to_utc
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station

MIN_RESPONSES = 5
MAX_MONTH_BUCKETS = 36
FREE_TEXT_PER_GROUP = 100
# The free-text questions, in the order they are shown; the index stands for the question in SQL.
FREE_TEXT_FIELDS = ("take_back", "improve")
# Free text is first read from about this many of the newest answers per station shown.
RECENT_ANSWERS_PER_STATION = 3 * FREE_TEXT_PER_GROUP
REPORTS_LIMIT = 100
DIMENSIONS = ("period", "centre", "station", "skill", "side")
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
        return to_local(self.start, self.tz).date()

    @property
    def last_day(self):
        """The last local day in the period (end is exclusive; days are not always 24 hours)."""
        return to_local(self.end - timedelta(microseconds=1), self.tz).date()


def local_midnight(day, tz=DEFAULT_TZ):
    return local_to_utc(day, time(0, 0), tz)


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
    today = today or local_today(tz)
    default_from, default_to = default_dates(today)
    date_from = date_from or default_from
    date_to = date_to or default_to
    if date_to < date_from:
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
    first, last = filters.first_day, filters.last_day
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


def _selected_sessions(f, buckets):
    """Completed sessions in the period matching the filters, with their kept figures, as a subquery.

    Columns: sid, station_id, start_at, period (the index of the session's bucket) and
    every column of `session_stats` (None for a session with nothing counted); under a skill
    filter, demonstrated_<side> counts that skill only.
    """
    period = case(*((Session.start_at < end, i) for i, (_key, _start, end) in enumerate(buckets)), else_=None)
    stats = session_stats.c
    columns = [stats[name].label(name) for name in STAT_COLUMNS]
    stmt = (
        select(
            Session.id.label("sid"),
            Session.station_id.label("station_id"),
            Session.start_at.label("start_at"),
            period.label("period"),
        )
        .outerjoin(session_stats, stats.session_id == Session.id)
        .where(Session.status == "completed", Session.start_at >= f.start, Session.start_at < f.end)
    )
    if f.skill_id:
        skill = session_skill_stats.c
        stmt = stmt.outerjoin(session_skill_stats, and_(skill.session_id == Session.id, skill.skill_id == f.skill_id))
        columns = [skill[name].label(name) if name.startswith("demonstrated_") else column
                   for name, column in zip(STAT_COLUMNS, columns)]
        stmt = stmt.where(
            select(session_skills.c.session_id)
            .where(session_skills.c.session_id == Session.id, session_skills.c.skill_id == f.skill_id)
            .exists()
        )
    if f.centre_id:
        stmt = stmt.where(Session.station_id.in_(select(Station.id).where(Station.centre_id == f.centre_id)))
    if f.station_id:
        stmt = stmt.where(Session.station_id == f.station_id)
    if f.side:
        # A session "of" a side is one that side attended.
        stmt = stmt.where(stats[f"attended_{f.side}"] > 0)
    return stmt.add_columns(*columns).subquery("sel")


# Additive figures, in this order, in the per-key vectors of _aggregate_all; then a (sum,
# number given) pair per feedback answer, for averages over the answers given.
_ADDITIVE = ("participants_municipal", "participants_regional", "skills_demonstrated", "feedback_requests",
             "responses")
_WIDTH = len(_ADDITIVE) + 2 * len(FEEDBACK_FIELDS)


def _sums(sel, names):
    """SUM(column) per kept figure, labelled with the figure's name."""
    return [func.sum(sel.c[name]).label(name) for name in names]


def _vector(row, sides):
    """A grouped row's figures for the sides counted, laid out as _ADDITIVE and the answer pairs."""
    vector = [0] * _WIDTH
    for side in sides:
        vector[_ADDITIVE.index(f"participants_{side}")] += row[f"attended_{side}"] or 0
        vector[2] += row[f"demonstrated_{side}"] or 0
        vector[3] += row[f"requests_{side}"] or 0
        vector[4] += row[f"responses_{side}"] or 0
        for i, name in enumerate(FEEDBACK_FIELDS):
            vector[5 + 2 * i] += row[f"{name}_sum_{side}"] or 0
            vector[6 + 2 * i] += row[f"{name}_n_{side}"] or 0
    return vector


def _side_totals(sel, sides):
    """SUMs of attendance and feedback with the sides counted already added up (for _totals_vector).

    The per-skill rows are a session per skill it covers (four times the sessions): one SUM per
    figure for all sides, not one per side, keeps the database's work on them down.
    """
    def both(name):
        return reduce(operator.add, (sel.c[f"{name}_{side}"] for side in sides))

    columns = [func.sum(sel.c[f"attended_{side}"]).label(f"participants_{side}") for side in sides]
    columns += [func.sum(both("requests")).label("feedback_requests"), func.sum(both("responses")).label("responses")]
    for name in FEEDBACK_FIELDS:
        columns += [func.sum(both(f"{name}_sum")).label(f"{name}_sum"), func.sum(both(f"{name}_n")).label(f"{name}_n")]
    return columns


def _totals_vector(row, sides):
    """A row of _side_totals laid out as _ADDITIVE and the answer pairs (no skills demonstrated)."""
    vector = [0] * _WIDTH
    for side in sides:
        vector[_ADDITIVE.index(f"participants_{side}")] = row[f"participants_{side}"] or 0
    vector[3] = row["feedback_requests"] or 0
    vector[4] = row["responses"] or 0
    for i, name in enumerate(FEEDBACK_FIELDS):
        vector[5 + 2 * i] = row[f"{name}_sum"] or 0
        vector[6 + 2 * i] = row[f"{name}_n"] or 0
    return vector


def _add(groups, key, sessions, both, vector):
    group = groups.get(key)
    if group is None:
        groups[key] = [sessions, both, list(vector)]
    else:
        group[0] += sessions
        group[1] += both
        group[2] = [a + b for a, b in zip(group[2], vector)]


def _aggregate_all(f, sel, buckets):
    """{dimension: {key: metrics}} for the totals (key None) and every dimension.

    The database sums the selected sessions' kept figures per station and period (and per skill)
    in three grouped queries; the centres, periods and totals are then summed from those few
    rows. A session counts for a side when that side attended it, and has both sides when both
    did; under a side filter only that side's figures are counted.
    """
    sides = (f.side,) if f.side else SIDES
    attended = {side: func.coalesce(sel.c[f"attended_{side}"], 0) > 0 for side in SIDES}
    both = func.sum(case((and_(*attended.values()), 1), else_=0)).label("both")
    has = [func.sum(case((attended[side], 1), else_=0)).label(f"has_{side}") for side in SIDES]
    run = db.session.connection().execute
    grouped = run(
        select(sel.c.station_id, sel.c.period, func.count().label("sessions"), both, *has, *_sums(sel, STAT_COLUMNS))
        .group_by(sel.c.station_id, sel.c.period)
    ).mappings().all()
    centre_of = dict(run(
        select(Station.id, Station.centre_id).where(Station.id.in_({row["station_id"] for row in grouped}))
    ).all())
    # Per skill: the sessions covering it with their attendance and feedback; the skill's own
    # demonstrations come from the per-skill figures (of whichever session recorded them).
    skill_stmt = (
        select(session_skills.c.skill_id, func.count().label("sessions"), both, *_side_totals(sel, sides))
        .join(sel, sel.c.sid == session_skills.c.session_id)
        .group_by(session_skills.c.skill_id)
    )
    skill = session_skill_stats.c
    demonstrated_stmt = (
        select(skill.skill_id, *(func.sum(skill[f"demonstrated_{side}"]).label(side) for side in SIDES))
        .join(sel, sel.c.sid == skill.session_id)
        .group_by(skill.skill_id)
    )
    if f.skill_id:
        skill_stmt = skill_stmt.where(session_skills.c.skill_id == f.skill_id)
        demonstrated_stmt = demonstrated_stmt.where(skill.skill_id == f.skill_id)

    dims = ("total",) + DIMENSIONS
    groups = {dim: {} for dim in dims}  # {dim: {key: [sessions, sessions with both sides, vector]}}
    groups["total"][None] = [0, 0, [0] * _WIDTH]
    side_totals = {side: [0, [0] * _WIDTH] for side in sides}  # [sessions attended, vector]
    both_total = 0
    for row in grouped:
        period = buckets[row["period"]][0] if row["period"] is not None else None
        vector = _vector(row, sides)
        for dim, key in (("total", None), ("period", period), ("centre", centre_of[row["station_id"]]),
                         ("station", row["station_id"])):
            _add(groups[dim], key, row["sessions"], row["both"], vector)
        both_total += row["both"]
        for side in sides:
            side_totals[side][0] += row[f"has_{side}"]
            side_totals[side][1] = [a + b for a, b in zip(side_totals[side][1], _vector(row, (side,)))]
    # A side is listed when anything of it was counted: an attendance, a demonstration, a request.
    for side, (sessions, vector) in side_totals.items():
        if sessions or vector[_ADDITIVE.index(f"participants_{side}")] or vector[2] or vector[3]:
            groups["side"][side] = [sessions, both_total if sessions else 0, vector]
    for row in run(skill_stmt).mappings():
        groups["skill"][row["skill_id"]] = [row["sessions"], row["both"], _totals_vector(row, sides)]
    for row in run(demonstrated_stmt).mappings():
        count = sum(row[side] or 0 for side in sides)
        if count:
            vector = [0] * _WIDTH
            vector[2] = count
            _add(groups["skill"], row["skill_id"], 0, 0, vector)

    result = {}
    for dim in dims:
        rows = {}
        for key, (sessions, both_sides, vector) in groups[dim].items():
            item = _empty_row()
            item["sessions"], item["sessions_both_sides"] = sessions, both_sides
            for i, name in enumerate(_ADDITIVE):
                item[name] = vector[i]
            for i, name in enumerate(FEEDBACK_FIELDS):
                total, given = vector[len(_ADDITIVE) + 2 * i], vector[len(_ADDITIVE) + 2 * i + 1]
                item[name] = round(total / given, 2) if given else None
            rows[key] = _finish(item)
        result[dim] = rows
    return result


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
    """Free-text answers per station, only for stations with at least MIN_RESPONSES responses.

    Per station and question, the newest FREE_TEXT_PER_GROUP non-empty texts (after scrubbing).
    The answers are read newest first from a recent cutoff, which holds every station's newest
    answers when the stations are busy, so a year of answers is not read (and sorted) only to
    be thrown away; stations left short by the cutoff are then read on below it.
    """
    allowed = {r["key"]: r for r in station_rows if not r["suppressed"]}
    if not allowed:
        return []
    cutoff = _recent_cutoff(f, RECENT_ANSWERS_PER_STATION * len(allowed))
    groups, names = {}, {}
    _take_texts(_answers(f, sel, allowed, since=cutoff), groups, names)
    if cutoff is not None:
        short = {station_id for station_id in allowed
                 if any(len(groups.get(station_id, {}).get(field, ())) < FREE_TEXT_PER_GROUP
                        for field in FREE_TEXT_FIELDS)}
        if short:
            _take_texts(_answers(f, sel, short, before=cutoff), groups, names)
    return [
        {"station": allowed[sid]["label"], "responses": allowed[sid]["responses"], **groups[sid]}
        for sid in sorted(groups, key=lambda s: allowed[s]["label"].lower())
    ]


def _recent_cutoff(f, answers):
    """The time of about the `answers`-th newest answer to sessions of the period, or None if fewer.

    Only where reading free text starts (see _free_text): answers come within days of their
    session, so those after the period's end plus a month are not counted.
    """
    return db.session.execute(
        select(Feedback.responded_at)
        .where(Feedback.responded_at >= f.start, Feedback.responded_at < f.end + timedelta(days=31))
        .order_by(Feedback.responded_at.desc())
        .offset(answers - 1)
        .limit(1)
    ).scalar_one_or_none()


def _answers(f, sel, stations, since=None, before=None):
    """(station, session, take_back, improve) of answers with text, newest first."""
    stmt = (
        select(sel.c.station_id, Feedback.session_id, Feedback.take_back, Feedback.improve)
        .select_from(sel)
        .join(Feedback, Feedback.session_id == sel.c.sid)
        .where(Feedback.responded_at.is_not(None), sel.c.station_id.in_(stations))
        .where((Feedback.take_back != "") | (Feedback.improve != ""))
        .order_by(Feedback.responded_at.desc(), Feedback.id.desc())
    )
    if since is not None:
        stmt = stmt.where(Feedback.responded_at >= since)
    if before is not None:
        stmt = stmt.where(Feedback.responded_at < before)
    if f.side:
        stmt = stmt.where(Feedback.side == f.side)
    return db.session.connection().execute(stmt).all()


def _take_texts(answers, groups, names):
    """Add the answers' scrubbed texts, in order, to groups that still have room.

    One item per non-empty answer field; each station and field keeps its first
    FREE_TEXT_PER_GROUP non-empty scrubbed texts. Only the items that can still make it are
    scrubbed (and their sessions' names fetched). A text that scrubs to nothing leaves room,
    filled in the next round.
    """
    pending = ((station_id, session_id, field, value)
               for station_id, session_id, take_back, improve in answers
               for field, value in (("take_back", take_back), ("improve", improve)) if value)
    while True:
        room = {}
        wanted, later = [], []
        for item in pending:
            key = (item[0], item[2])
            if key not in room:
                room[key] = FREE_TEXT_PER_GROUP - len(groups.get(item[0], {}).get(item[2], ()))
            if room[key] > 0:
                room[key] -= 1
                wanted.append(item)
            else:
                later.append(item)
        if not wanted:
            return groups
        # Scrubbed again on the way out: names added to a session after the answer are caught too.
        # Frozen once per session: scrub() looks its names' pattern up by them for every text.
        names.update((session_id, frozenset(people))
                     for session_id, people in people_names({item[1] for item in wanted} - names.keys()).items())
        for station_id, session_id, field, value in wanted:
            group = groups.get(station_id)
            if group is None:
                group = groups[station_id] = {name: [] for name in FREE_TEXT_FIELDS}
            clean = scrub(value, names.get(session_id, ()))
            if clean:
                group[field].append(clean)
        if not later:
            return groups
        pending = later


def _reports(f, sel):
    rows = db.session.execute(
        select(SessionReport, sel.c.start_at, sel.c.station_id)
        .join(sel, sel.c.sid == SessionReport.session_id)
        # Sessions at two stations can start at the same moment: the id makes the order total.
        .order_by(sel.c.start_at.desc(), SessionReport.session_id.desc())
        .limit(REPORTS_LIMIT)
    ).all()
    names = people_names({r[0].session_id for r in rows})
    labels = _labels("station", {r[2] for r in rows})
    result = []
    for report, start_at, station_id in rows:
        people = names.get(report.session_id, ())
        result.append({
            "date": to_local(start_at, f.tz).date().isoformat(),
            "station": labels.get(station_id, ""),
            "what_worked": scrub(report.what_worked, people),
            "what_to_change": scrub(report.what_to_change, people),
            "equipment_problems": scrub(report.equipment_problems, people),
        })
    return result


def summary(f):
    """Everything the network sees for the filters, suppressed and anonymised, JSON-ready."""
    buckets = period_buckets(f)
    sel = _selected_sessions(f, buckets)
    aggregated = _aggregate_all(f, sel, buckets)
    totals = aggregated["total"][None]
    result = {
        "period": {"from": f.start.isoformat(), "to": f.end.isoformat()},
        "filters": {k: v for k, v in asdict(f).items() if k in ("centre_id", "station_id", "skill_id", "side")},
        "min_responses": MIN_RESPONSES,
        "totals": totals,
    }
    order = {"period": [b[0] for b in buckets], "side": list(SIDES)}
    for dim in DIMENSIONS:
        result[f"by_{dim}"] = _rows(dim, aggregated[dim], order.get(dim))
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
