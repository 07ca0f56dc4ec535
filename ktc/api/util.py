"""Helpers shared by the API modules: reading and checking input, errors, one commit per write."""
from datetime import date, datetime, time, timedelta

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ktc.database import commit_keeping_loaded
from ktc.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ktc.extensions import db

# Ids and counts must fit a 32-bit integer column on PostgreSQL; larger numbers are bad input.
MAX_INT = 2**31 - 1
# Dates and times far out (years 1 or 9999) overflow as soon as they are moved to another time zone or a
# day is added; nothing in KTC is planned or recorded outside these years.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


class BadJSON(ValidationError):
    code = "bad_request"
    status = 400


class FieldError(ValidationError):
    """A field of the request is missing, of the wrong type or out of range (422, names the field)."""

    code = "invalid_field"


def json_body():
    """The request's JSON object, or a 400 with the error body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadJSON(_("The request body must be a JSON object."))
    return data


def optional_json_body():
    """A JSON object when the request has a body, else {} (for DELETE with an optional reason)."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def iso(value):
    """ISO 8601 with offset (UTC) for datetimes, plain ISO for dates."""
    return value.isoformat() if value is not None else None


def ids_in_range(endpoint, values):
    """An id in the URL past the id column's range names nothing: 404, before any query.

    (PostgreSQL would refuse a number past 2**31 - 1, SQLite one past 2**63 - 1, as a server error.)
    Registered for every API route (ktc/api/__init__.py), so views need not check their ids.
    """
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_INT:
            raise NotFound()


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
    """The one commit of a write request; a unique constraint hit by a concurrent request is a 409.

    With keep_loaded, what the request loaded stays loaded (see `commit_keeping_loaded`).
    """
    try:
        commit_keeping_loaded() if keep_loaded else db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict() from exc


def _error(field, message, **params):
    return FieldError(message, field=field, name=field, **params)


class Fields:
    """Typed access to a JSON object's fields; every problem is a 422 that names the field."""

    def __init__(self, data, source="body"):
        self.data = data
        self.source = source

    def has(self, name):
        return name in self.data

    def _get(self, name, required):
        if name not in self.data or self.data[name] is None:
            if required:
                raise _error(name, _("%(name)s is required."))
            return None
        return self.data[name]

    def string(self, name, required=False, max_length=200, default=None, allow_empty=None):
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise _error(name, _("%(name)s must be a text."))
        if "\x00" in value:  # PostgreSQL cannot store it in a text column (a server error there)
            raise _error(name, _("%(name)s must be a text."))
        value = value.strip()
        if required and not value and not allow_empty:
            raise _error(name, _("%(name)s is required."))
        if len(value) > max_length:
            raise _error(name, _("%(name)s can be at most %(max)s characters long."), max=max_length)
        return value

    def integer(self, name, required=False, default=None, minimum=0, maximum=MAX_INT):
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, str) and self.source == "query":
            try:
                value = int(value)
            except ValueError:
                raise _error(name, _("%(name)s must be a whole number.")) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(name, _("%(name)s must be a whole number."))
        if value < minimum or value > maximum:
            raise _error(
                name, _("%(name)s must be between %(min)s and %(max)s."), min=minimum, max=maximum
            )
        return value

    def boolean(self, name, required=False, default=None):
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise _error(name, _("%(name)s must be true or false."))
        return value

    def datetime(self, name, required=False):
        """An ISO 8601 date and time with an offset; naive times are refused (whose clock?)."""
        value = self._get(name, required)
        if value is None:
            return None
        return parse_datetime(name, value)

    def date(self, name, required=False):
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _error(name, _("%(name)s must be a date (YYYY-MM-DD)."))
        try:
            return within_years(name, date.fromisoformat(value))
        except ValueError:
            raise _error(name, _("%(name)s must be a date (YYYY-MM-DD).")) from None

    def time(self, name, required=False):
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _error(name, _("%(name)s must be a time (HH:MM)."))
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            raise _error(name, _("%(name)s must be a time (HH:MM).")) from None
        if parsed.tzinfo is not None:
            raise _error(name, _("%(name)s must be a time (HH:MM)."))
        return parsed

    def choice(self, name, choices, required=False, default=None):
        value = self._get(name, required)
        if value is None:
            return default
        if value not in choices:
            raise _error(name, _("%(name)s must be one of: %(choices)s."), choices=", ".join(choices))
        return value

    def id_list(self, name, required=False, max_items=500):
        """A list of distinct ids, in the order given."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) > max_items:
            raise _error(name, _("%(name)s must be a list of ids."))
        ids = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_INT:
                raise _error(name, _("%(name)s must be a list of ids."))
            if item not in ids:
                ids.append(item)
        return ids

    def obj(self, name, model, required=False):
        """The object a `…_id` field refers to (422 when there is none)."""
        object_id = self.integer(name, required=required, minimum=1)
        if object_id is None:
            return None
        found = db.session.get(model, object_id)
        if found is None:
            raise _error(name, _("%(name)s refers to nothing that exists."))
        return found

    def objects(self, name, model, required=False):
        """The objects a list of ids refers to, in the order given (422 naming the field if one is unknown)."""
        ids = self.id_list(name, required=required)
        if ids is None:
            return None
        found = {o.id: o for o in db.session.execute(select(model).where(model.id.in_(ids))).scalars()}
        if len(found) != len(ids):
            raise _error(name, _("%(name)s refers to nothing that exists."))
        return [found[i] for i in ids]


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


def parse_datetime(name, value):
    if not isinstance(value, str) or len(value) > 64:
        raise _error(name, _("%(name)s must be a date and time in ISO 8601 with an offset."))
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _error(name, _("%(name)s must be a date and time in ISO 8601 with an offset.")) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _error(name, _("%(name)s needs an offset (for example +01:00 or Z)."))
    if abs(parsed.utcoffset()) > timedelta(hours=14):
        raise _error(name, _("%(name)s must have an offset between -14:00 and +14:00."))
    return within_years(name, parsed)


def within_years(name, value):
    """The date or datetime when it lies between EARLIEST and LATEST, else a 422 naming the field."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise _error(name, _("%(name)s must be between %(min)s and %(max)s."),
                     min=EARLIEST.isoformat(), max=LATEST.isoformat())
    return value


def query_fields():
    return Fields(request.args.to_dict(), source="query")
