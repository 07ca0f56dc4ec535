"""GET/POST /api/v1/me/calendars: the current user's calendar feed URLs (POST creates missing ones)."""
import marshmallow as ma
from flask_login import current_user

from ktc.api import bp
from ktc.api.schemas import Schema
from ktc.api.util import commit
from ktc.calendar.operations import create_feeds, user_feeds

KINDS = ["participant", "unit", "station", "instructor"]


class CalendarFeed(Schema):
    inline = True
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": KINDS})
    name = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"format": "uri"})
    webcal_url = ma.fields.String(required=True)
    participant_id = ma.fields.Integer(allow_none=True)
    unit_id = ma.fields.Integer(allow_none=True)
    station_id = ma.fields.Integer(allow_none=True)
    instructor_id = ma.fields.Integer(allow_none=True)


class CalendarFeeds(Schema):
    calendars = ma.fields.List(ma.fields.Nested(CalendarFeed), required=True)


class NoFields(Schema):
    """No fields: send an empty JSON object, {}."""


FEEDS = (
    "One feed per kind the user is entitled to: `participant` (own bookings), `unit` (for managers, one per "
    "managed unit), `station` and `instructor` (admins and instructors). URLs carry a secret token; renewing "
    "it on the calendar page makes the old URL answer 404. Feeds are text/calendar and answer If-None-Match / "
    "If-Modified-Since with 304."
)


@bp.get("/me/calendars")
@bp.response(200, CalendarFeeds, description="The feeds")
@bp.doc(summary="The current user's calendar subscription feeds", tags=["Calendar"],
        description="Read-only: the feeds the user has created (POST creates the missing ones). " + FEEDS)
def my_calendars():
    """The feeds the user has; read-only (POST creates the missing ones)."""
    return {"calendars": [_item(link) for link in user_feeds(current_user)]}


@bp.post("/me/calendars")
@bp.arguments(NoFields, description="No fields: send an empty JSON object, {}.")
@bp.response(200, CalendarFeeds, description="All of the user's feeds")
@bp.errors(400)
@bp.doc(summary="Create the current user's missing calendar feeds", tags=["Calendar"],
        description="Creates every feed the user is entitled to and does not have yet (repeating it creates "
                    "nothing new) and answers with all of the user's feeds, as GET does. " + FEEDS)
def create_my_calendars(_data):
    """Create every feed the user is entitled to and lacks; answers with all of them."""
    links = create_feeds(current_user)
    commit()
    return {"calendars": [_item(link) for link in links]}


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
