"""Helpers shared by the API modules."""
from flask import jsonify, request
from flask_babel import gettext as _

from ktc.errors import NotFound, PermissionDenied, ValidationError
from ktc.extensions import db


class BadJSON(ValidationError):
    code = "bad_request"
    status = 400


def json_body():
    """The request's JSON object, or a 400 with the error body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadJSON(_("The request body must be a JSON object."))
    return data


def iso(value):
    """ISO 8601 with offset (UTC) for datetimes, plain ISO for dates."""
    return value.isoformat() if value is not None else None


def get_or_404(model, object_id):
    obj = db.session.get(model, object_id)
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
