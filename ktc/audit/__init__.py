"""Audit log: who booked, cancelled, marked attendance and signed off what, and when."""
import json

from flask import Blueprint

from ktc.audit.models import AuditEntry
from ktc.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")


def record(actor, action, obj=None, object_type=None, object_id=None, **details):
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else ""),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        details=json.dumps(details, default=str, ensure_ascii=False, sort_keys=True),
    )
    db.session.add(entry)
    return entry
