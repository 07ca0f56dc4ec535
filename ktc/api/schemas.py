"""The API's marshmallow building blocks: strict fields bounded by what the database holds, a base
schema that refuses unknown properties, and the parser that turns a schema's refusal into the API's
422 body ({"error": {"code": "invalid_field", "message", "field"}}) with a translated message.

A field's error messages are keys of MESSAGES, not English text: the parser translates the first
error with the request's locale and names the field, so the body reads as it always has.
"""
from datetime import date, time

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from webargs.flaskparser import FlaskParser

from ktc.api.util import BadJSON, FieldError, read_datetime
from ktc.database import MAX_INT
from ktc.i18n import EARLIEST, LATEST, in_years

MESSAGES = {
    "required": _l("%(name)s is required."),
    "text": _l("%(name)s must be a text."),
    "too_long": _l("%(name)s can be at most %(max)s characters long."),
    "integer": _l("%(name)s must be a whole number."),
    "range": _l("%(name)s must be between %(min)s and %(max)s."),
    "boolean": _l("%(name)s must be true or false."),
    "datetime": _l("%(name)s must be a date and time in ISO 8601 with an offset."),
    "offset": _l("%(name)s needs an offset (for example +01:00 or Z)."),
    "offset_range": _l("%(name)s must have an offset between -14:00 and +14:00."),
    "date": _l("%(name)s must be a date (YYYY-MM-DD)."),
    "month": _l("%(name)s must be a month (YYYY-MM)."),
    "time": _l("%(name)s must be a time (HH:MM)."),
    "choice": _l("%(name)s must be one of: %(choices)s."),
    "ids": _l("%(name)s must be a list of ids."),
    "objects": _l("%(name)s must be a list of objects."),
    "object": _l("%(name)s must be an object."),
    "unknown": _l("%(name)s is not a known field."),
    "email": _l("%(name)s must be an e-mail address (or null for none)."),
}
LOCATIONS = ("json", "query", "querystring", "form", "json_or_form", "headers", "cookies", "files", "path")


class Schema(ma.Schema):
    """Unknown properties are refused (RAISE), in bodies and query strings alike."""

    error_messages = {"unknown": "unknown", "type": "object"}

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Ref(Schema):
    """Another object as an answer names it: its id and name."""

    inline = True
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class SkillRef(Schema):
    """A skill as an answer names it: id, code and name."""

    inline = True
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class _Bounded:
    """Mixin: the values that fill a message's placeholders (`%(max)s` …)."""

    def message_params(self):
        return {}


class Text(_Bounded, ma.fields.String):
    """A text without NUL bytes (PostgreSQL cannot store them), stripped, at most max_length long."""

    default_error_messages = {"invalid": "text", "required": "required", "null": "required", "email": "email"}

    def __init__(self, *, max_length=200, allow_empty=False, **kwargs):
        self.max_length = max_length
        self.allow_empty = allow_empty
        kwargs.setdefault("metadata", {})
        super().__init__(**kwargs)
        self.metadata.setdefault("maxLength", max_length)
        if self.required and not allow_empty:
            self.metadata.setdefault("pattern", r"\S")  # something besides spaces

    def message_params(self):
        return {"max": self.max_length}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or "\x00" in value:
            raise self.make_error("invalid")
        value = value.strip()
        if self.required and not value and not self.allow_empty:
            raise self.make_error("required")
        if len(value) > self.max_length:
            raise ma.ValidationError("too_long")
        return value


class Email(Text):
    """An e-mail address, as its `format: email` says: null for none, never an empty or other text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("format", "email")
        super().__init__(max_length=254, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            ma.validate.Email()(value)
        except ma.ValidationError:
            raise self.make_error("email") from None
        return value


class Integer(_Bounded, ma.fields.Integer):
    """A whole number (never a boolean) within [minimum, maximum]; a query string's text is read as one."""

    default_error_messages = {"invalid": "integer", "too_large": "integer", "required": "required",
                              "null": "required"}

    def __init__(self, *, minimum=0, maximum=MAX_INT, query=False, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(strict=not query, validate=ma.validate.Range(minimum, maximum, error="range"), **kwargs)

    def message_params(self):
        return {"min": self.minimum, "max": self.maximum}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or (isinstance(value, str) and not value.strip().lstrip("-").isdigit()):
            raise self.make_error("invalid")
        if isinstance(value, float) and value.is_integer():
            # JSON does not tell 142 from 142.0, and JSON Schema counts both as integers.
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


def Id(**kwargs):  # noqa: N802 (a field factory that reads like a field)
    """An object's id: 1 … 2**31 - 1."""
    return Integer(minimum=1, **kwargs)


class Boolean(ma.fields.Boolean):
    """true or false, nothing else (not 1, not "yes")."""

    default_error_messages = {"invalid": "boolean", "required": "required", "null": "required"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Choice(_Bounded, ma.fields.String):
    """One of a fixed set of texts."""

    default_error_messages = {"invalid": "choice", "required": "required", "null": "required"}

    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(validate=ma.validate.OneOf(self.choices, error="choice"), **kwargs)

    def message_params(self):
        return {"choices": ", ".join(self.choices)}


def _within_years(field, value):
    if not in_years(value):
        raise ma.ValidationError("range")
    return value


class _Window(_Bounded):
    def message_params(self):
        return {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


class DateTime(_Window, ma.fields.DateTime):
    """ISO 8601 with an offset within ±14:00 (naive times are refused: whose clock?), years 1900–2999."""

    default_error_messages = {"invalid": "datetime", "required": "required", "null": "required"}

    def _deserialize(self, value, attr, data, **kwargs):
        parsed, why = read_datetime(value)
        if why == "datetime":
            raise self.make_error("invalid")
        if why:
            raise ma.ValidationError(why)
        return _within_years(self, parsed)


class Date(_Window, ma.fields.Date):
    """YYYY-MM-DD, years 1900–2999."""

    default_error_messages = {"invalid": "date", "required": "required", "null": "required"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None
        return _within_years(self, parsed)


class Time(ma.fields.Time):
    """HH:MM (or HH:MM:SS), without an offset."""

    default_error_messages = {"invalid": "time", "required": "required", "null": "required"}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        super().__init__(format="%H:%M", **kwargs)
        self.metadata.setdefault("pattern", "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None
        if parsed.tzinfo is not None:
            raise self.make_error("invalid")
        return parsed


class IdList(ma.fields.List):
    """Distinct ids (1 … 2**31 - 1) in the order given, at most max_items."""

    default_error_messages = {"invalid": "ids", "required": "required", "null": "required"}

    def __init__(self, *, min_items=0, max_items=500, **kwargs):
        self.min_items, self.max_items = min_items, max_items
        super().__init__(Id(), validate=ma.validate.Length(min=min_items, max=max_items, error="ids"), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list) or len(value) > self.max_items:
            raise self.make_error("invalid")
        if len(value) < self.min_items:
            raise self.make_error("required")
        ids = []
        for item in value:
            if isinstance(item, float) and item.is_integer():
                item = int(item)  # 142.0 is the integer 142 in JSON Schema (see Integer)
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_INT:
                raise self.make_error("invalid")
            if item not in ids:
                ids.append(item)
        return ids


class Objects(ma.fields.List):
    """A list of objects, each read with a schema of its own."""

    default_error_messages = {"invalid": "objects", "required": "required", "null": "required"}

    def __init__(self, schema, *, max_items=400, **kwargs):
        super().__init__(ma.fields.Nested(schema), validate=ma.validate.Length(max=max_items, error="objects"),
                         **kwargs)


# --- Responses -------------------------------------------------------------------------------------------

class ErrorDetail(Schema):
    inline = True  # described inside Error, not as a schema of its own

    code = ma.fields.String(required=True, metadata={"description": (
        "Stable machine-readable code, e.g. not_found, forbidden, invalid_field, end_before_start, "
        "station_overlap, booking_closed, database_unavailable (503).")})
    message = ma.fields.String(required=True, metadata={"description": "Translated, human-readable message."})
    field = ma.fields.String(metadata={"description": "The input field at fault (422)."})


class ErrorSchema(Schema):
    """Every error: {"error": {"code", "message"[, "field"]}}."""

    error = ma.fields.Nested(ErrorDetail, required=True)
    results = ma.fields.List(ma.fields.Nested("BookingResult"), metadata={  # ktc/api/bookings.py
        "description": "Per-person results when an all-or-nothing team booking was refused (409)."})


# --- Reading a request ------------------------------------------------------------------------------------

def _by_data_key(schema):
    return {(f.data_key or name): f for name, f in schema.fields.items()}


def _first_error(messages, fields, path):
    """(path, message key, field) of the first error in marshmallow's nested messages."""
    key, value = next(iter(messages.items()))
    if key == "_schema":
        return path, value[0] if isinstance(value, list) else "object", None
    field = fields.get(key) if isinstance(key, str) else None
    if isinstance(key, str):
        path = [*path, key]
    if isinstance(value, list):
        return path, value[0], field
    # Nested errors: descend into a nested schema or a list's items.
    inner = field
    if isinstance(inner, ma.fields.List):
        inner = inner.inner
    if isinstance(inner, ma.fields.Nested):
        sub_fields = _by_data_key(inner.schema)
    else:
        sub_fields = fields if isinstance(key, int) else {}
    found_path, message, found = _first_error(value, sub_fields, path)
    if isinstance(key, str) and isinstance(field, ma.fields.List) and message == "object":
        message = "objects"
    return found_path, message, found


def field_error(messages, schema):
    """The FieldError for marshmallow's messages: the first problem, translated, naming the field."""
    path, key, field = _first_error(messages, _by_data_key(schema), [])
    name = ".".join(path) or "body"
    params = field.message_params() if isinstance(field, _Bounded) else {}
    message = MESSAGES.get(key) if isinstance(key, str) else None
    if message is None:  # a message written for a rule of its own (a validator's `error=`)
        message = MESSAGES["required"] if key == "Missing data for required field." else _l(
            "The data given is not valid.")
    return FieldError(message, field=name, name=path[-1] if path else name, **params)


class Parser(FlaskParser):
    """webargs' Flask parser with the API's answers: a body that is not a JSON object is a 400, and
    a refusal by the schema is the 422 error body (not webargs' own)."""

    DEFAULT_VALIDATION_STATUS = 422
    # The schema decides (RAISE): an unknown query parameter is refused like an unknown property.
    DEFAULT_UNKNOWN_BY_LOCATION = {location: None for location in LOCATIONS}

    def _raw_load_json(self, req):
        if req.method == "DELETE" and not req.get_data(cache=True):
            return {}  # a DELETE's body (a reason, say) is optional
        data = req.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadJSON(_l("The request body must be a JSON object."))
        return data

    def load_json(self, req, schema):
        data = req.get_json(silent=True)
        key = getattr(schema, "bare_list_key", None)
        if key and isinstance(data, list):  # a schema may take its one list bare
            return {key: data}
        return self._raw_load_json(req)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        messages = error.normalized_messages()
        # webargs files the messages under the location (json, query): the field's name is enough.
        if len(messages) == 1 and next(iter(messages)) in LOCATIONS:
            messages = next(iter(messages.values()))
        problem = field_error(messages, schema)
        if error_status_code == 400:  # an endpoint that answers a malformed body as one (ktc/api/records.py)
            raise BadJSON(problem.message, field=problem.field, **problem.params)
        raise problem
