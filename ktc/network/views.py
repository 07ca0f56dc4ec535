import json

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.csvutil import Figure, csv_response
from ktc.errors import ValidationError
from ktc.extensions import db
from ktc.network import bp
from ktc.network.forms import NetworkFilterForm
from ktc.network.models import NetworkDigest
from ktc.network.operations import DIMENSIONS, MIN_RESPONSES, digest_content, list_digests, make_filters, summary
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station
from ktc.web import get_or_404, query_to_pass_on, require


def _require_network():
    require(policy.can_view_network(current_user))


def _filter_form():
    """The filter form bound to the query string, and Filters (defaults when invalid)."""
    form = NetworkFilterForm(request.args)
    form.fill_choices(
        db.session.execute(select(Centre).order_by(Centre.name)).scalars().all(),
        db.session.execute(
            select(Station).options(selectinload(Station.centre)).order_by(Station.name)
        ).scalars().all(),
        db.session.execute(select(Skill).order_by(Skill.code)).scalars().all(),
    )
    filters = None
    if form.validate():
        try:
            filters = make_filters(
                form.date_from.data, form.date_to.data, form.centre.data, form.station.data,
                form.skill.data, form.side.data or None,
            )
        except ValidationError as exc:
            form.date_to.errors = [str(exc)]
    if filters is None:
        filters = make_filters()
    return form, filters


@bp.route("/")
@login_required
def index():
    _require_network()
    form, filters = _filter_form()
    data = summary(filters)
    query = query_to_pass_on()
    status = 422 if form.errors else 200
    from ktc.paths.operations import network_path_figures

    return render_template(
        "network/index.html", form=form, data=data, filters=filters, query=query, min_responses=MIN_RESPONSES,
        paths=network_path_figures(),
    ), status


def _csv_header():
    return [
        _("Grouping"), _("Group"), _("Sessions"), _("Sessions with both sides (%)"),
        _("Participants, municipality"), _("Participants, region"), _("Skills demonstrated"),
        _("Feedback requests"), _("Responses"), _("Overall value"), _("Relevance"),
        _("Confidence before"), _("Confidence after"), _("Confidence gain"),
        _("Learned about the other side"), _("Note"),
    ]


def _dimension_names():
    return {
        "total": _("All"), "period": _("Period"), "centre": _("Centre"), "station": _("Station"),
        "skill": _("Skill"), "side": _("Side"),
    }


def _side_label(key):
    return _("Municipality") if key == "municipal" else _("Region")


def csv_rows(data):
    """The aggregates as flat rows for a spreadsheet; decimals in the reader's locale."""
    names = _dimension_names()

    def num(value, fmt="0.00"):
        return Figure.of(value, fmt)

    def line(dim, label, r):
        note = _("fewer than %(n)s responses", n=MIN_RESPONSES) if r["suppressed"] else ""
        return [
            names[dim], label, r["sessions"], num(r["share_both_sides"], "0.0"),
            r["participants_municipal"], r["participants_regional"], r["skills_demonstrated"],
            r["feedback_requests"], "" if r["responses"] is None else r["responses"],
            num(r["overall"]), num(r["relevance"]), num(r["confidence_before"]), num(r["confidence_after"]),
            num(r["confidence_gain"]), num(r["learned_other_side"]), note,
        ]

    yield line("total", names["total"], data["totals"])
    for dim in DIMENSIONS:
        for r in data[f"by_{dim}"]:
            yield line(dim, _side_label(r["key"]) if dim == "side" else r["label"], r)


@bp.route("/export.csv")
@login_required
def export_csv():
    _require_network()
    _form, filters = _filter_form()
    data = summary(filters)
    return csv_response("ktc-network.csv", _csv_header(), csv_rows(data))


@bp.route("/export.json")
@login_required
def export_json():
    _require_network()
    _form, filters = _filter_form()
    body = json.dumps(summary(filters), ensure_ascii=False, indent=2)
    return Response(
        body.encode("utf-8"),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="ktc-network.json"'},
    )


@bp.route("/digests")
@login_required
def digests():
    _require_network()
    return render_template("network/digests.html", digests=list_digests())


@bp.route("/digests/<int:digest_id>")
@login_required
def digest(digest_id):
    _require_network()
    item = get_or_404(NetworkDigest, digest_id)
    return render_template(
        "network/digest.html", digest=item, data=digest_content(item), min_responses=MIN_RESPONSES,
        back=url_for("network.digests"),
    )
