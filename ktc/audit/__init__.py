"""Audit log: who booked, cancelled, marked attendance and signed off what, and when."""
import json

from flask import Blueprint
from sqlalchemy import bindparam, select

from ktc.audit.models import AuditEntry
from ktc.database import utcnow, write_at_commit
from ktc.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _details_text(details):
    return json.dumps(details, default=str, ensure_ascii=False, sort_keys=True)


def record(actor, action, obj=None, object_type=None, object_id=None, **details):
    """Write an audit entry in the current transaction: one INSERT, no ORM object (every booking
    writes one, and the unit of work around an object costs more than the INSERT). Nothing reads an
    entry back in the transaction that writes it: on PostgreSQL the INSERT goes with the transaction's
    last statement (ktc.database.write_at_commit)."""
    write_at_commit(_INSERT, {
        "actor_id": getattr(actor, "id", None),
        "action": action,
        "object_type": object_type or (type(obj).__name__.lower() if obj is not None else ""),
        "object_id": object_id if object_id is not None else getattr(obj, "id", None),
        "details": _details_text(details),
        "at": utcnow(),
    })


# Built once; the entry's columns are the parameters above, each a bindparam (write_at_commit renames
# them when the INSERT is a part of a larger statement). Nothing is read back.
_INSERT = AuditEntry.__table__.insert().values({
    name: bindparam(name, type_=AuditEntry.__table__.c[name].type)
    for name in ("actor_id", "action", "object_type", "object_id", "details", "at")}).inline()


def record_once(since, action, object_type, **details):
    """Add a system entry unless the same action with the same details is logged since `since`.

    For events an outsider can repeat at will (throttled logins): one entry per period.
    """
    earlier = db.session.execute(
        select(AuditEntry.id).where(
            AuditEntry.action == action, AuditEntry.at >= since, AuditEntry.details == _details_text(details)
        ).limit(1)
    ).first()
    if earlier is None:
        record(None, action, object_type=object_type, **details)
