"""Screens for centres (opening hours, closed days) and their stations (admin)."""
from datetime import time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ktc import policy
from ktc.csvutil import csv_response
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_weekday
from ktc.organisations.forms import options
from ktc.skills.operations import list_skills
from ktc.stations import bp
from ktc.stations import operations as ops
from ktc.stations.forms import CentreForm, ClosedDayForm, StationForm
from ktc.stations.models import Centre, Station
from ktc.web import form_page, get_or_404, require, show_domain_error


def hours_text(centre):
    """Opening hours as one line per open day, for lists and exports."""
    return "; ".join(
        f"{fmt_weekday(h.weekday, 'abbreviated')} {h.opens:%H:%M}–{h.closes:%H:%M}" for h in centre.opening_hours
    ) or _("Closed every day")


@bp.route("/")
@login_required
def index():
    require(policy.can_manage_centres(current_user))
    stations = ops.list_stations()
    if request.args.get("format") == "csv":
        return csv_response(
            "stationer.csv",
            [_("Centre"), _("Station"), _("Skills trained"), _("Default capacity"), _("Default duration (minutes)"),
             _("Changeover buffer (minutes)"), _("Equipment notes"), _("Active")],
            [[s.centre.name, s.name, ", ".join(f"{k.code} {k.name}" for k in s.skills), s.default_capacity,
              s.default_duration_minutes, s.changeover_minutes, s.equipment_notes, _("yes") if s.active else _("no")]
             for s in stations],
        )
    return render_template("stations/index.html", stations=stations)


@bp.route("/centres")
@login_required
def centres():
    require(policy.can_manage_centres(current_user))
    items = ops.list_centres()
    if request.args.get("format") == "csv":
        return csv_response(
            "centrum.csv",
            [_("Centre"), _("Address"), _("Time zone"), _("Opening hours"), _("Stations")],
            [[c.name, c.address, c.timezone, hours_text(c), len(c.stations)] for c in items],
        )
    return render_template("stations/centres.html", centres=items, hours_text=hours_text)


def _centre_form(centre):
    form = CentreForm(data=CentreForm.data_from(centre) if centre is not None and request.method == "GET" else None)
    if centre is None and request.method == "GET":
        # A new centre starts open on weekdays 08–17 and closed at weekends.
        for wd in range(7):
            form[f"day{wd}_closed"].data = wd >= 5
            form[f"day{wd}_opens"].data = None if wd >= 5 else time(8, 0)
            form[f"day{wd}_closes"].data = None if wd >= 5 else time(17, 0)

    def save():
        nonlocal centre
        if centre is None:
            centre = ops.create_centre(form.name.data, form.address.data, form.timezone.data, form.hours(),
                                       default_min_per_side=form.default_min_per_side.data or 0)
        else:
            ops.update_centre(centre, form.name.data, form.address.data, form.timezone.data, form.hours(),
                              default_min_per_side=form.default_min_per_side.data or 0)
        return centre

    return form_page(form, save, "stations.centre", "stations/centre_form.html", centre=centre,
                     done_args=lambda saved: {"centre_id": saved.id})


@bp.route("/centres/new", methods=["GET", "POST"])
@login_required
def create_centre():
    require(policy.can_manage_centres(current_user))
    return _centre_form(None)


@bp.route("/centres/<int:centre_id>/edit", methods=["GET", "POST"])
@login_required
def edit_centre(centre_id):
    require(policy.can_manage_centres(current_user))
    return _centre_form(get_or_404(Centre, centre_id))


@bp.route("/centres/<int:centre_id>")
@login_required
def centre(centre_id):
    require(policy.can_manage_centres(current_user))
    item = get_or_404(Centre, centre_id)
    return render_template("stations/centre.html", centre=item, form=ClosedDayForm(), hours_text=hours_text)


@bp.route("/centres/<int:centre_id>/closed-days", methods=["POST"])
@login_required
def add_closed_day(centre_id):
    require(policy.can_manage_centres(current_user))
    item = get_or_404(Centre, centre_id)
    form = ClosedDayForm()
    if form.validate_on_submit():
        try:
            closed = ops.add_closed_day(item, form.day.data, form.reason.data)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("%(centre)s is closed on %(day)s.", centre=item.name, day=closed.day.isoformat()), "success")
            return redirect(url_for("stations.centre", centre_id=item.id))
    item = get_or_404(Centre, centre_id)
    return render_template("stations/centre.html", centre=item, form=form, hours_text=hours_text), 422


@bp.route("/centres/<int:centre_id>/closed-days/<int:closed_day_id>/delete", methods=["POST"])
@login_required
def remove_closed_day(centre_id, closed_day_id):
    require(policy.can_manage_centres(current_user))
    item = get_or_404(Centre, centre_id)
    closed = ops.remove_closed_day(item, closed_day_id)
    flash(_("%(day)s is no longer a closed day.", day=closed.day.isoformat()), "success")
    return redirect(url_for("stations.centre", centre_id=item.id))


@bp.route("/centres/<int:centre_id>/closed-days.csv")
@login_required
def closed_days_csv(centre_id):
    require(policy.can_manage_centres(current_user))
    item = get_or_404(Centre, centre_id)
    return csv_response(
        "stangda-dagar.csv", [_("Centre"), _("Date"), _("Reason")],
        [[item.name, d.day.isoformat(), d.reason] for d in item.closed_days],
    )


def _station_form(centre, station):
    form = StationForm(obj=station)
    form.skill_ids.choices = options(
        [(s.id, f"{s.code} – {s.name}") for s in list_skills() if s.active or (station and s in station.skills)]
    )
    if request.method == "GET" and station is not None:
        form.skill_ids.data = [s.id for s in station.skills]

    def save():
        nonlocal station
        values = dict(
            name=form.name.data, skill_ids=form.skill_ids.data, description=form.description.data,
            default_capacity=form.default_capacity.data, default_duration_minutes=form.default_duration_minutes.data,
            changeover_minutes=form.changeover_minutes.data or 0, equipment_notes=form.equipment_notes.data,
            active=form.active.data, default_min_per_side=form.default_min_per_side.data,
        )
        if station is None:
            station = ops.create_station(centre, **values)
        else:
            ops.update_station(station, **values)
        return station

    return form_page(form, save, "stations.centre", "stations/station_form.html", centre=centre, station=station,
                     done_args=lambda saved: {"centre_id": saved.centre_id})


@bp.route("/centres/<int:centre_id>/stations/new", methods=["GET", "POST"])
@login_required
def create_station(centre_id):
    require(policy.can_manage_centres(current_user))
    return _station_form(get_or_404(Centre, centre_id), None)


@bp.route("/<int:station_id>/edit", methods=["GET", "POST"])
@login_required
def edit_station(station_id):
    require(policy.can_manage_centres(current_user))
    station = get_or_404(Station, station_id)
    return _station_form(station.centre, station)
