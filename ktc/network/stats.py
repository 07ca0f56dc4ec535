"""The per-session figures the learning network sums, kept in step with the rows they come from.

`refresh_session_stats(session_ids)` recomputes the figures of a few sessions from their
bookings, skill records and feedback; every operation that changes those rows calls it in the
same transaction. `rebuild_session_stats()` recomputes every session (bulk loads, existing
installs: `flask ktc network-rebuild-stats`). Recomputing, rather than adding and subtracting,
keeps the figures equal to the rows whatever path changed them; the session rows are locked
first, so two transactions refreshing the same session one after the other each see the
other's committed rows (PostgreSQL; SQLite runs one writer at a time).
"""
from sqlalchemy import and_, delete, func, insert, select, true

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.network.models import FEEDBACK_FIELDS, STAT_COLUMNS, session_skill_stats, session_stats
from ktc.organisations.models import SIDES
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session

CHUNK = 5000


def _only(column, session_ids):
    """The condition for these sessions, or for every session when `session_ids` is None."""
    return column.in_(session_ids) if session_ids is not None else true()


def fresh_figures(session_ids=None):
    """({session_id: {column: value}}, {(session_id, skill_id): {column: value}}) from the raw rows.

    Only non-zero figures; sessions with nothing to count are absent. `session_ids` None means
    every session. Three grouped queries.
    """
    per_session, per_skill = {}, {}

    def bump(target, key, column, value):
        if value:
            row = target.setdefault(key, {})
            row[column] = row.get(column, 0) + value

    run = db.session.execute
    for sid, side, count in run(
        select(Booking.session_id, Booking.side, func.count(Booking.id))
        .where(Booking.status == "attended", _only(Booking.session_id, session_ids))
        .group_by(Booking.session_id, Booking.side)
    ):
        bump(per_session, sid, f"attended_{side}", count)
    # A skill demonstrated counts on the side of the person's booking in that session.
    for sid, skill_id, side, count in run(
        select(SkillRecord.session_id, SkillRecord.skill_id, Booking.side, func.count(SkillRecord.id))
        .join(Booking, and_(Booking.session_id == SkillRecord.session_id,
                            Booking.participant_id == SkillRecord.participant_id))
        .where(SkillRecord.outcome == "demonstrated", _only(SkillRecord.session_id, session_ids))
        .group_by(SkillRecord.session_id, SkillRecord.skill_id, Booking.side)
    ):
        bump(per_session, sid, f"demonstrated_{side}", count)
        bump(per_skill, (sid, skill_id), f"demonstrated_{side}", count)
    gain = Feedback.confidence_after - Feedback.confidence_before
    answers = []
    for name in FEEDBACK_FIELDS:
        column = gain if name == "confidence_gain" else getattr(Feedback, name)
        answers += [func.sum(column), func.count(column)]
    for sid, side, requests, responses, *values in run(
        select(Feedback.session_id, Feedback.side, func.count(Feedback.id), func.count(Feedback.responded_at),
               *answers)
        .where(_only(Feedback.session_id, session_ids))
        .group_by(Feedback.session_id, Feedback.side)
    ):
        bump(per_session, sid, f"requests_{side}", requests)
        bump(per_session, sid, f"responses_{side}", responses)
        for i, name in enumerate(FEEDBACK_FIELDS):
            bump(per_session, sid, f"{name}_sum_{side}", values[2 * i] or 0)
            bump(per_session, sid, f"{name}_n_{side}", values[2 * i + 1] or 0)
    return per_session, per_skill


def _write(per_session, per_skill):
    session_rows = [{"session_id": sid, **{name: row.get(name, 0) for name in STAT_COLUMNS}}
                    for sid, row in sorted(per_session.items())]
    skill_rows = [{"session_id": sid, "skill_id": skill_id,
                   **{f"demonstrated_{side}": row.get(f"demonstrated_{side}", 0) for side in SIDES}}
                  for (sid, skill_id), row in sorted(per_skill.items())]
    for table, rows in ((session_stats, session_rows), (session_skill_stats, skill_rows)):
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(table), rows[start:start + CHUNK])


def refresh_session_stats(session_ids):
    """Recompute the kept figures of these sessions from their rows (after the caller's changes)."""
    ids = sorted({int(sid) for sid in session_ids})
    if not ids:
        return
    db.session.flush()
    # Whoever refreshes a session waits for the previous refresher's commit, then counts its rows.
    db.session.execute(select(Session.id).where(Session.id.in_(ids)).order_by(Session.id).with_for_update())
    per_session, per_skill = fresh_figures(ids)
    db.session.execute(delete(session_stats).where(session_stats.c.session_id.in_(ids)))
    db.session.execute(delete(session_skill_stats).where(session_skill_stats.c.session_id.in_(ids)))
    _write(per_session, per_skill)


def rebuild_session_stats():
    """Recompute the kept figures of every session; returns the number of sessions with figures."""
    db.session.flush()
    per_session, per_skill = fresh_figures()
    db.session.execute(delete(session_skill_stats))
    db.session.execute(delete(session_stats))
    _write(per_session, per_skill)
    return len(per_session)


def kept_figures(session_ids=None):
    """The kept figures in the shape of `fresh_figures` (for checks: the two must be equal)."""
    per_session = {}
    for row in db.session.execute(
        select(session_stats).where(_only(session_stats.c.session_id, session_ids))
    ).mappings():
        values = {name: row[name] for name in STAT_COLUMNS if row[name]}
        if values:
            per_session[row["session_id"]] = values
    per_skill = {}
    for row in db.session.execute(
        select(session_skill_stats).where(_only(session_skill_stats.c.session_id, session_ids))
    ).mappings():
        values = {f"demonstrated_{side}": row[f"demonstrated_{side}"] for side in SIDES
                  if row[f"demonstrated_{side}"]}
        if values:
            per_skill[(row["session_id"], row["skill_id"])] = values
    return per_session, per_skill
