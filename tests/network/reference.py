"""The network's figures as they were computed before the kept per-session figures existed.

An oracle for tests: every figure read straight from the bookings, skill records and feedback
(five grouped queries and sums in Python), the free text and reports as before. The network's
`summary()` must give exactly what `reference_summary()` gives, for every filter.
"""
from dataclasses import asdict

from sqlalchemy import and_, func, select

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.feedback.anonymise import scrub
from ktc.feedback.models import Feedback
from ktc.feedback.operations import people_names
from ktc.network import operations
from ktc.network.operations import (
    DIMENSIONS, FEEDBACK_FIELDS, MIN_RESPONSES, _empty_row, _finish, _reports, _rows, period_buckets,
)
from ktc.organisations.models import SIDES
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session, session_skills
from ktc.stations.models import Station


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


def _load(f, sel):
    """The selected sessions and their per-session figures: five grouped queries in all.

    Every dimension is then summed from these rows in Python, so the database scans a period's
    bookings, records and feedback once, not once per dimension.
    """
    # Core rows, not ORM results: these are plain tuples, and there may be a hundred thousand.
    run = db.session.connection().execute
    sessions = run(select(sel.c.sid, sel.c.station_id, sel.c.centre_id, sel.c.start_at)).all()
    skill_stmt = select(session_skills.c.session_id, session_skills.c.skill_id).join(
        sel, sel.c.sid == session_skills.c.session_id)
    if f.skill_id:
        skill_stmt = skill_stmt.where(session_skills.c.skill_id == f.skill_id)
    skills_of = {}
    for session_id, skill_id in run(skill_stmt):
        skills_of.setdefault(session_id, []).append(skill_id)
    attended = run(
        select(Booking.session_id, Booking.side, func.count(Booking.id))
        .join(sel, sel.c.sid == Booking.session_id)
        .where(Booking.status == "attended")
        .group_by(Booking.session_id, Booking.side)
    ).all()
    # Skills demonstrated; the side is the attendee's booking side.
    demonstrated_stmt = (
        select(SkillRecord.session_id, SkillRecord.skill_id, Booking.side, func.count(SkillRecord.id))
        .join(sel, sel.c.sid == SkillRecord.session_id)
        .join(Booking, and_(Booking.session_id == SkillRecord.session_id,
                            Booking.participant_id == SkillRecord.participant_id))
        .where(SkillRecord.outcome == "demonstrated")
        .group_by(SkillRecord.session_id, SkillRecord.skill_id, Booking.side)
    )
    if f.skill_id:
        demonstrated_stmt = demonstrated_stmt.where(SkillRecord.skill_id == f.skill_id)
    demonstrated = run(demonstrated_stmt).all()
    # Feedback: requests, responses, and per answer the sum and the number given (for averages).
    gain = Feedback.confidence_after - Feedback.confidence_before
    columns = []
    for name in FEEDBACK_FIELDS:
        column = gain if name == "confidence_gain" else getattr(Feedback, name)
        columns += [func.sum(column), func.count(column)]
    feedback = run(
        select(Feedback.session_id, Feedback.side, func.count(Feedback.id), func.count(Feedback.responded_at),
               *columns)
        .join(sel, sel.c.sid == Feedback.session_id)
        .group_by(Feedback.session_id, Feedback.side)
    ).all()
    return sessions, skills_of, attended, demonstrated, feedback


# Additive figures, in this order, in the per-session and per-key vectors of _aggregate_all;
# then a (sum, number given) pair per feedback answer, for averages over the answers given.
_ADDITIVE = ("participants_municipal", "participants_regional", "skills_demonstrated", "feedback_requests",
             "responses")
_WIDTH = len(_ADDITIVE) + 2 * len(FEEDBACK_FIELDS)


def _add(target, key, values):
    vector = target.get(key)
    target[key] = list(values) if vector is None else [a + b for a, b in zip(vector, values)]


def _bump(target, key, index, value):
    vector = target.get(key)
    if vector is None:
        vector = target[key] = [0] * _WIDTH
    vector[index] += value


def _aggregate_all(f, sel, buckets):
    """{dimension: {key: metrics}} for the totals (key None) and every dimension.

    Each base row is first summed per session (and per side, and per skill for records); the
    per-session sums then go to the session's period, centre, station and skills.
    """
    sessions, skills_of, attended, demonstrated, feedback = _load(f, sel)
    per_session, per_side, per_skill, not_records = {}, {}, {}, {}
    sides_of = {}
    for sid, side, count in attended:
        if count:
            sides_of.setdefault(sid, set()).add(side)
        if f.side and side != f.side:
            continue
        index = _ADDITIVE.index(f"participants_{side}")
        for target, key in ((per_session, sid), (per_side, side), (not_records, sid)):
            _bump(target, key, index, count)
    index = _ADDITIVE.index("skills_demonstrated")
    for sid, skill_id, side, count in demonstrated:
        if f.side and side != f.side:
            continue
        _bump(per_session, sid, index, count)
        _bump(per_side, side, index, count)
        _bump(per_skill, skill_id, index, count)
    for sid, side, requests, responses, *answers in feedback:
        if f.side and side != f.side:
            continue
        values = [0, 0, 0, requests, responses, *(value or 0 for value in answers)]
        for target, key in ((per_session, sid), (per_side, side), (not_records, sid)):
            _add(target, key, values)

    dims = ("total",) + DIMENSIONS
    counts = {dim: {} for dim in dims}  # {dim: {key: [sessions, sessions with both sides]}}
    vectors = {dim: {} for dim in dims}
    counts["total"][None] = [0, 0]
    for sid, station_id, centre_id, start_at in sessions:
        period = next((key for key, _start, end in buckets if start_at < end), None)
        both = len(sides_of.get(sid, ())) >= 2
        own = per_session.get(sid)
        for dim, key in (("total", None), ("period", period), ("centre", centre_id), ("station", station_id)):
            pair = counts[dim].setdefault(key, [0, 0])
            pair[0] += 1
            pair[1] += both
            if own is not None:
                _add(vectors[dim], key, own)
        for skill_id in skills_of.get(sid, ()):
            pair = counts["skill"].setdefault(skill_id, [0, 0])
            pair[0] += 1
            pair[1] += both
            if sid in not_records:
                _add(per_skill, skill_id, not_records[sid])
        for side in sides_of.get(sid, ()):
            if not f.side or side == f.side:
                pair = counts["side"].setdefault(side, [0, 0])
                pair[0] += 1
                pair[1] += both
    vectors["skill"], vectors["side"] = per_skill, per_side

    result = {}
    for dim in dims:
        rows = {}
        for key in list(counts[dim]) + [k for k in vectors[dim] if k not in counts[dim]]:
            item = _empty_row()
            item["sessions"], item["sessions_both_sides"] = counts[dim].get(key, (0, 0))
            vector = vectors[dim].get(key)
            if vector is not None:
                for i, name in enumerate(_ADDITIVE):
                    item[name] = vector[i]
                for i, name in enumerate(FEEDBACK_FIELDS):
                    total, given = vector[len(_ADDITIVE) + 2 * i], vector[len(_ADDITIVE) + 2 * i + 1]
                    item[name] = round(total / given, 2) if given else None
            rows[key] = _finish(item)
        result[dim] = rows
    return result


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
    # One item per non-empty answer field, newest first; each station and field keeps its first
    # FREE_TEXT_PER_GROUP non-empty scrubbed texts. Only the items that can still make it are
    # scrubbed (and their sessions' names fetched): a year of answers is not processed only to
    # be thrown away. A text that scrubs to nothing leaves room, filled in the next round.
    pending = [(station_id, session_id, field, value)
               for station_id, session_id, take_back, improve in answers
               for field, value in (("take_back", take_back), ("improve", improve)) if value]
    groups, names = {}, {}
    while pending:
        room = {}
        wanted, later = [], []
        for item in pending:
            key = (item[0], item[2])
            if key not in room:
                room[key] = operations.FREE_TEXT_PER_GROUP - len(groups.get(item[0], {}).get(item[2], ()))
            if room[key] > 0:
                room[key] -= 1
                wanted.append(item)
            else:
                later.append(item)
        if not wanted:
            break
        # Scrubbed again on the way out: names added to a session after the answer are caught too.
        names.update(people_names({item[1] for item in wanted} - names.keys()))
        for station_id, session_id, field, value in wanted:
            group = groups.setdefault(station_id, {"take_back": [], "improve": []})
            clean = scrub(value, names.get(session_id, ()))
            if clean:
                group[field].append(clean)
        pending = later
    return [
        {"station": allowed[sid]["label"], "responses": allowed[sid]["responses"], **groups[sid]}
        for sid in sorted(groups, key=lambda s: allowed[s]["label"].lower())
    ]


def reference_summary(f):
    """summary(f) as it was computed from the raw rows."""
    sel = _selected_sessions(f)
    buckets = period_buckets(f)
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

