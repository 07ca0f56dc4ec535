"""GET/POST /api/v1/me/calendars: the current user's calendar feed URLs (POST creates missing ones)."""
from flask_login import current_user

from ktc.api import bp
from ktc.api.util import json_body, ok
from ktc.calendar.operations import create_feeds, user_feeds
from ktc.extensions import db


@bp.get("/me/calendars")
def my_calendars():
    """The feeds the user has; read-only (POST creates the missing ones)."""
    return ok({"calendars": [_item(link) for link in user_feeds(current_user)]})


@bp.post("/me/calendars")
def create_my_calendars():
    """Create every feed the user is entitled to and lacks; answers with all of them."""
    json_body()  # no fields, but like every write it takes a JSON object (send {})
    links = create_feeds(current_user)
    db.session.commit()
    return ok({"calendars": [_item(link) for link in links]})


def _item(link):
    return {
        "id": link.feed.id,
        "kind": link.kind,
        "name": link.title,
        "url": link.url,
        "webcal_url": link.webcal_url,
        "participant_id": link.feed.participant_id,
        "unit_id": link.feed.unit_id,
        "station_id": link.feed.station_id,
        "instructor_id": link.feed.instructor_id,
    }


PATHS = {
    "/me/calendars": {
        "get": {
            "summary": "The current user's calendar subscription feeds",
            "description": (
                "Read-only: the feeds the user has created (POST creates the missing ones). "
                "One feed per kind the user is entitled to: `participant` (own bookings), `unit` (for "
                "managers, one per managed unit), `station` and `instructor` (admins and instructors). "
                "URLs carry a secret token; renewing it on the calendar page makes the old URL answer 404. "
                "Feeds are text/calendar and answer If-None-Match / If-Modified-Since with 304."
            ),
            "tags": ["calendar"],
            "responses": {
                "200": {
                    "description": "The feeds",
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"calendars": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "kind", "name", "url", "webcal_url"],
                            "properties": {
                                "id": {"type": "integer"},
                                "kind": {"type": "string", "enum": ["participant", "unit", "station", "instructor"]},
                                "name": {"type": "string"},
                                "url": {"type": "string", "format": "uri"},
                                "webcal_url": {"type": "string"},
                                "participant_id": {"type": "integer", "nullable": True},
                                "unit_id": {"type": "integer", "nullable": True},
                                "station_id": {"type": "integer", "nullable": True},
                                "instructor_id": {"type": "integer", "nullable": True},
                            },
                        }}},
                    }}},
                },
                "401": {"description": "No valid API token"},
            },
        },
    },
}
PATHS["/me/calendars"]["post"] = {
    "summary": "Create the current user's missing calendar feeds",
    "description": (
        "Creates every feed the user is entitled to and does not have yet (repeating it creates "
        "nothing new) and answers with all of the user's feeds, as GET does."
    ),
    "tags": ["calendar"],
    "requestBody": {
        "required": True,
        "description": "No fields: send an empty JSON object, {}.",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": False}}},
    },
    "responses": {
        **PATHS["/me/calendars"]["get"]["responses"],
        "400": {"description": "A body that is not a JSON object",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    },
}
