"""How the API answers errors: always {"error": {"code", "message"[, "field"]}} with a 4xx.

These handlers are registered on the API blueprint, so they take precedence over the app's
HTML-or-JSON handlers for every /api/v1 endpoint; each rolls the transaction back first.
"""
from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ktc.api import bp
from ktc.errors import Conflict, DomainError
from ktc.extensions import db


def error_body(exc):
    body = {"code": exc.code, "message": str(exc)}
    if getattr(exc, "field", None):
        body["field"] = exc.field
    return body


@bp.errorhandler(DomainError)
def _domain_error(exc):
    db.session.rollback()
    payload = {"error": error_body(exc)}
    results = getattr(exc, "results", None)
    if results is not None:
        # All or nothing refused: the caller sees why, per person (nothing was saved).
        payload["results"] = [r.as_dict() for r in results]
    response = jsonify(payload)
    response.status_code = exc.status
    return response


@bp.errorhandler(IntegrityError)
def _integrity_error(exc):
    # A concurrent request won a unique key between our check and our write.
    db.session.rollback()
    conflict = Conflict(_("That conflicts with existing data."))
    response = jsonify({"error": error_body(conflict)})
    response.status_code = conflict.status
    return response
