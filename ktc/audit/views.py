from datetime import time, timedelta

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.audit import bp
from ktc.audit.models import AuditEntry
from ktc.csvutil import csv_response
from ktc.extensions import db
from ktc.i18n import fmt_datetime, local_today, parse_day
from ktc.sessions.operations import local_to_utc
from ktc.web import object_id as an_id, require

PAGE_SIZE = 200


@bp.route("/")
@login_required
def index():
    """The audit log for admins: newest first, filtered by period, action and object."""
    require(policy.is_admin(current_user))
    today = local_today()
    start = parse_day(request.args.get("from"), today - timedelta(days=30))
    end = parse_day(request.args.get("to"), today)
    action = request.args.get("action", "").strip()
    object_type = request.args.get("object_type", "").strip()
    object_id = request.args.get("object_id", type=an_id)
    stmt = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .where(AuditEntry.at >= local_to_utc(start, time(0), "Europe/Stockholm"),
               AuditEntry.at < local_to_utc(end + timedelta(days=1), time(0), "Europe/Stockholm"))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if request.args.get("format") == "csv":
        entries = db.session.execute(stmt).scalars().all()
        return csv_response(
            "audit-log.csv",
            [_("Time"), _("Who"), _("Action"), _("Object"), _("Id"), _("Details")],
            ([fmt_datetime(e.at, None, "short"), e.actor.name if e.actor else _("the system"), e.action,
              e.object_type, e.object_id, e.details] for e in entries),
        )
    entries = db.session.execute(stmt.limit(PAGE_SIZE + 1)).scalars().all()
    actions = db.session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars().all()
    return render_template(
        "audit/index.html", entries=entries[:PAGE_SIZE], more=len(entries) > PAGE_SIZE, start=start, end=end,
        action=action, object_type=object_type, object_id=object_id, actions=actions,
    )
