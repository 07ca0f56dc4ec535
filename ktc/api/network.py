"""Learning network endpoints: the same anonymised, suppressed aggregates as the network view."""
from datetime import date

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.util import MAX_INT, BadJSON, get_or_404, iso, ok, require, within_years
from ktc.network.models import NetworkDigest
from ktc.network.operations import digest_content, list_digests, make_filters, summary


def _date_arg(name):
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise BadJSON(_("%(name)s must be a date (YYYY-MM-DD).", name=name)) from exc
    return within_years(name, parsed)


def _int_arg(name):
    value = request.args.get(name)
    if not value:
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise BadJSON(_("%(name)s must be a whole number.", name=name)) from exc
    if not 0 <= number <= MAX_INT:  # past the id column's range: a server error from PostgreSQL
        raise BadJSON(_("%(name)s must be a whole number.", name=name))
    return number


@bp.get("/network/summary")
def network_summary():
    require(policy.can_view_network(current_user))
    filters = make_filters(
        _date_arg("from"), _date_arg("to"), _int_arg("centre"), _int_arg("station"), _int_arg("skill"),
        request.args.get("side") or None,
    )
    return ok(summary(filters))


def _digest_json(digest, full=False):
    item = {"id": digest.id, "period_start": iso(digest.period_start), "period_end": iso(digest.period_end),
            "created_at": iso(digest.created_at)}
    if full:
        item["content"] = digest_content(digest)
    return item


@bp.get("/network/digests")
def network_digests():
    require(policy.can_view_network(current_user))
    return ok({"items": [_digest_json(d) for d in list_digests()]})


@bp.get("/network/digests/<int:digest_id>")
def network_digest(digest_id):
    require(policy.can_view_network(current_user))
    return ok(_digest_json(get_or_404(NetworkDigest, digest_id), full=True))


_FEEDBACK_ROW = {
    "type": "object",
    "description": "Aggregates of one group. Feedback fields are null and `suppressed` true when the "
                   "group has fewer than `min_responses` (5) responses.",
    "properties": {
        "key": {"description": "Group key: period (YYYY-MM or YYYY), id, or side"},
        "label": {"type": "string"},
        "sessions": {"type": "integer"},
        "sessions_both_sides": {"type": "integer"},
        "share_both_sides": {"type": ["number", "null"], "description": "Per cent of sessions whose attendees included both sides"},
        "participants_municipal": {"type": "integer"},
        "participants_regional": {"type": "integer"},
        "skills_demonstrated": {"type": "integer"},
        "feedback_requests": {"type": "integer"},
        "responses": {"type": ["integer", "null"]},
        "overall": {"type": ["number", "null"]},
        "relevance": {"type": ["number", "null"]},
        "confidence_before": {"type": ["number", "null"]},
        "confidence_after": {"type": ["number", "null"]},
        "confidence_gain": {"type": ["number", "null"]},
        "learned_other_side": {"type": ["number", "null"]},
        "suppressed": {"type": "boolean"},
    },
}

_SUMMARY = {
    "type": "object",
    "properties": {
        "period": {"type": "object", "properties": {"from": {"type": "string", "format": "date-time"},
                                                     "to": {"type": "string", "format": "date-time"}}},
        "filters": {"type": "object"},
        "min_responses": {"type": "integer"},
        "totals": _FEEDBACK_ROW,
        **{f"by_{dim}": {"type": "array", "items": _FEEDBACK_ROW}
           for dim in ("period", "centre", "station", "skill", "side")},
        "free_text": {"type": "array", "description": "Per station with at least 5 responses; names, "
                      "e-mail addresses and phone numbers replaced by […]", "items": {"type": "object"}},
        "reports": {"type": "array", "items": {"type": "object"}},
    },
}

_ERRORS = {"401": {"description": "No valid token"}, "403": {"description": "Not a network member or admin"}}

PATHS = {
    "/network/summary": {
        "get": {
            "summary": "Anonymised aggregates for the learning network (roles network and admin)",
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "First day (centre time); default 12 months ago"},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "Last day, inclusive; default today"},
                {"name": "centre", "in": "query", "schema": {"type": "integer"}},
                {"name": "station", "in": "query", "schema": {"type": "integer"}},
                {"name": "skill", "in": "query", "schema": {"type": "integer"}},
                {"name": "side", "in": "query", "schema": {"type": "string", "enum": ["municipal", "regional"]}},
            ],
            "responses": {"200": {"description": "Aggregates", "content": {"application/json": {"schema": _SUMMARY}}},
                          "400": {"description": "Bad parameter"}, "422": {"description": "Invalid period"},
                          **_ERRORS},
        }
    },
    "/network/digests": {
        "get": {"summary": "The stored network digests, newest first",
                "responses": {"200": {"description": "Digests"}, **_ERRORS}}
    },
    "/network/digests/{id}": {
        "get": {"summary": "One digest with its content",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "The digest"}, "404": {"description": "No such digest"},
                              **_ERRORS}}
    },
}
