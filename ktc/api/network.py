"""Learning network endpoints: the same anonymised, suppressed aggregates as the network view."""
import marshmallow as ma
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Choice, Date, Id, Schema
from ktc.api.util import get_or_404, iso, require
from ktc.network.models import FEEDBACK_FIELDS, NetworkDigest
from ktc.network.operations import digest_content, list_digests, make_filters, summary

NUMBER = {"type": ["number", "null"]}


# Aggregates of one group. Feedback fields (overall, relevance, confidence …) are averages, null and
# `suppressed` true when the group has fewer than `min_responses` (5) responses.
FeedbackRow = Schema.from_dict({
    "key": ma.fields.Raw(metadata={"type": ["string", "integer"],
                                   "description": "Group key: period (YYYY-MM or YYYY), id, or side"}),
    "label": ma.fields.String(),
    "sessions": ma.fields.Integer(required=True),
    "sessions_both_sides": ma.fields.Integer(required=True),
    "share_both_sides": ma.fields.Raw(required=True, metadata={
        **NUMBER, "description": "Per cent of sessions whose attendees included both sides"}),
    "participants_municipal": ma.fields.Integer(required=True),
    "participants_regional": ma.fields.Integer(required=True),
    "skills_demonstrated": ma.fields.Integer(required=True),
    "feedback_requests": ma.fields.Integer(required=True),
    "responses": ma.fields.Integer(required=True, allow_none=True),
    **{name: ma.fields.Raw(required=True, metadata=NUMBER) for name in FEEDBACK_FIELDS},
    "suppressed": ma.fields.Boolean(required=True),
}, name="FeedbackRow")


class Period(Schema):
    inline = True
    from_ = ma.fields.String(data_key="from", attribute="from", required=True, metadata={"format": "date-time"})
    to = ma.fields.String(required=True, metadata={"format": "date-time"})


class NetworkSummary(Schema):
    period = ma.fields.Nested(Period, required=True)
    filters = ma.fields.Dict(required=True)
    min_responses = ma.fields.Integer(required=True)
    totals = ma.fields.Nested(FeedbackRow, required=True)
    by_period = ma.fields.List(ma.fields.Nested(FeedbackRow), required=True)
    by_centre = ma.fields.List(ma.fields.Nested(FeedbackRow), required=True)
    by_station = ma.fields.List(ma.fields.Nested(FeedbackRow), required=True)
    by_skill = ma.fields.List(ma.fields.Nested(FeedbackRow), required=True)
    by_side = ma.fields.List(ma.fields.Nested(FeedbackRow), required=True)
    free_text = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "Per station with at least 5 responses; names, e-mail addresses and phone numbers "
                       "replaced by […]"})
    reports = ma.fields.List(ma.fields.Dict(), required=True)


class SummaryQuery(Schema):
    from_ = Date(data_key="from", metadata={"description": "First day (centre time); default 12 months ago"})
    to = Date(metadata={"description": "Last day, inclusive; default today"})
    centre = Id(query=True)
    station = Id(query=True)
    skill = Id(query=True)
    side = Choice(("municipal", "regional"))


class Digest(Schema):
    id = ma.fields.Integer(required=True)
    period_start = ma.fields.String(required=True, metadata={"format": "date"})
    period_end = ma.fields.String(required=True, metadata={"format": "date"})
    created_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class DigestWithContent(Digest):
    content = ma.fields.Dict(required=True, metadata={"description": "The digest's aggregates, as in the summary"})


class DigestList(Schema):
    items = ma.fields.List(ma.fields.Nested(Digest), required=True)


@bp.get("/network/summary")
@bp.arguments(SummaryQuery, location="query")
@bp.response(200, NetworkSummary, description="Aggregates")
@bp.errors(403)
@bp.doc(summary="Anonymised aggregates for the learning network (roles network and admin)", tags=["Network"])
def network_summary(query):
    require(policy.can_view_network(current_user))
    filters = make_filters(query.get("from_"), query.get("to"), query.get("centre"), query.get("station"),
                           query.get("skill"), query.get("side"))
    return summary(filters)


def _digest_json(digest, full=False):
    item = {"id": digest.id, "period_start": iso(digest.period_start), "period_end": iso(digest.period_end),
            "created_at": iso(digest.created_at)}
    if full:
        item["content"] = digest_content(digest)
    return item


@bp.get("/network/digests")
@bp.response(200, DigestList, description="Digests")
@bp.errors(403)
@bp.doc(summary="The stored network digests, newest first", tags=["Network"])
def network_digests():
    require(policy.can_view_network(current_user))
    return {"items": [_digest_json(d) for d in list_digests()]}


@bp.get("/network/digests/<int:digest_id>")
@bp.response(200, DigestWithContent, description="The digest")
@bp.errors(403, 404)
@bp.doc(summary="One digest with its content", tags=["Network"])
def network_digest(digest_id):
    require(policy.can_view_network(current_user))
    return _digest_json(get_or_404(NetworkDigest, digest_id), full=True)
