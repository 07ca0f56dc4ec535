"""Helpers shared by the API modules: reading and checking input, errors, one commit per write."""
from datetime import datetime, timedelta

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ktc.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.i18n import EARLIEST, LATEST, in_years


class BadJSON(ValidationError):
    code = "bad_request"
    status = 400


class FieldError(ValidationError):
    """A field of the request is missing, of the wrong type or out of range (422, names the field)."""

    code = "invalid_field"


def iso(value):
    """ISO 8601 with offset (UTC) for datetimes, plain ISO for dates."""
    return value.isoformat() if value is not None else None


def get_or_404(model, object_id, options=()):
    """The object, loaded with the given loader options, or a 404 error body."""
    obj = db.session.get(model, object_id, options=options)
    if obj is None:
        raise NotFound()
    return obj


def require(allowed):
    if not allowed:
        raise PermissionDenied()


def ok(payload, status=200):
    response = jsonify(payload)
    response.status_code = status
    return response


def commit(keep_loaded=False):
    """Write the request's changes now (the request commits them once it has answered, see ktc.web.App).

    A unique constraint hit by a concurrent request is a 409 here already. Without keep_loaded,
    what the request loaded is read again for the answer, as after a commit.
    """
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict() from exc
    if not keep_loaded:
        db.session.expire_all()


def _error(field, message, **params):
    return FieldError(message, field=field, name=field, **params)


def find(model, object_id, field):
    """The object a `…_id` field of the input refers to (422 naming the field when there is none)."""
    found = db.session.get(model, object_id)
    if found is None:
        raise _error(field, _("%(name)s refers to nothing that exists."))
    return found


def find_all(model, ids, field):
    """The objects a list of ids refers to, in the order given (422 naming the field if one is unknown)."""
    found = {o.id: o for o in db.session.execute(select(model).where(model.id.in_(ids))).scalars()}
    if len(found) != len(ids):
        raise _error(field, _("%(name)s refers to nothing that exists."))
    return [found[i] for i in ids]


MAX_OFFSET = timedelta(hours=14)  # the widest offset in use (Kiribati); further out is a typing error


def read_datetime(value):
    """(datetime, None) for an ISO 8601 date and time with an offset (Z for UTC), else (None, why):
    "datetime" (not one), "offset" (no offset: whose clock?) or "offset_range" (past ±14:00)."""
    if not isinstance(value, str) or len(value) > 64:
        return None, "datetime"
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, "datetime"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None, "offset"
    if abs(parsed.utcoffset()) > MAX_OFFSET:
        return None, "offset_range"
    return parsed, None


def parse_datetime(name, value):
    """A query parameter's date and time (see read_datetime), else a 422 naming it."""
    parsed, why = read_datetime(value)
    if why == "datetime":
        raise _error(name, _("%(name)s must be a date and time in ISO 8601 with an offset."))
    if why == "offset":
        raise _error(name, _("%(name)s needs an offset (for example +01:00 or Z)."))
    if why == "offset_range":
        raise _error(name, _("%(name)s must have an offset between -14:00 and +14:00."))
    return within_years(name, parsed)


def within_years(name, value):
    """The date or datetime when it lies between EARLIEST and LATEST, else a 422 naming the field."""
    if not in_years(value):
        raise _error(name, _("%(name)s must be between %(min)s and %(max)s."),
                     min=EARLIEST.isoformat(), max=LATEST.isoformat())
    return value
