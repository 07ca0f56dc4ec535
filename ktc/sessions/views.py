from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload
from wtforms import SelectChoice

from ktc import policy
from ktc.accounts.models import User
from ktc.confirm import ask, confirmed
from ktc.bookings.models import Booking
from ktc.bookings.operations import booking_sides, booking_unit_ids, seat_summary, waitlist_counts
from ktc.bookings.seats import free_for_side, is_released, release_at, reservations
from ktc.csvutil import csv_response
from ktc.database import utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_datetime, in_years, local_today, parse_day
from ktc.sessions import bp, planner
from ktc.sessions.forms import CancelForm, SeriesEditForm, SeriesForm, SessionForm
from ktc.sessions.models import Series, Session, session_instructors
from ktc.sessions.operations import (
    bookings_affected_by_cancel,
    cancel_series,
    cancel_session,
    centre_tz,
    create_series,
    create_session,
    instructors_available,
    local_to_utc,
    reinstate_session,
    side_balance,
    update_series,
    update_session,
    upcoming_sessions,
)
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station
from ktc.web import get_or_404, object_id, require, show_domain_error

# Domain error fields → form fields.
FORM_FIELDS = {"start": "start_time", "end": "end_time", "instructors": "instructor_ids", "skills": "skill_ids"}


def _fill_choices(form):
    stations = db.session.execute(
        select(Station).join(Centre).where(Station.active.is_(True))
        .options(contains_eager(Station.centre), selectinload(Station.skills)).order_by(Centre.name, Station.name)
    ).scalars().all()
    # What static/js/session-form.js needs to fill the form when the station changes (no inline script).
    form.station_id.choices = [
        SelectChoice(s.id, f"{s.centre.name} – {s.name}", render_kw={
            "data-duration": s.default_duration_minutes,
            "data-skills": " ".join(str(k.id) for k in s.skills),
            "data-held": s.min_per_side_default,
        })
        for s in stations
    ]
    form.instructor_ids.choices = [SelectChoice(u.id, u.name) for u in instructors_available()]
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    form.skill_ids.choices = [SelectChoice(s.id, f"{s.code} {s.name}") for s in skills]


def _session_fields(form):
    station = db.session.get(Station, form.station_id.data)
    if station is None:
        abort(400)
    instructors = _by_ids(User, form.instructor_ids.data)
    skills = _by_ids(Skill, form.skill_ids.data)
    return station, {
        "capacity": form.capacity.data,
        "min_per_side": form.min_per_side.data or 0,
        "release_before_hours": form.release_before_hours.data,
        "instructors": instructors,
        "skills": skills or None,
        "title": form.title.data or "",
        "notes": form.notes.data or "",
    }


def _by_ids(model, ids):
    if not ids:
        return []
    return db.session.execute(select(model).where(model.id.in_(ids))).scalars().all()


def _parse_clock(value):
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


def _station_defaults(form, station):
    """A new session at a station starts from the station's defaults: its length, its skills and the
    seats it holds per side."""
    form.station_id.data = station.id
    if form.start_time.data is not None:
        start = datetime.combine(date.min, form.start_time.data)
        end = start + timedelta(minutes=station.default_duration_minutes)
        form.end_time.data = end.time() if end.date() == start.date() else time(23, 59)
    form.skill_ids.data = [s.id for s in station.skills]
    form.min_per_side.data = station.min_per_side_default


def _sessions_filters():
    args = request.args
    start_day = parse_day(args.get("from")) or local_today()
    end_day = parse_day(args.get("to")) or start_day + timedelta(days=56)
    return {
        "start_day": start_day,
        "end_day": end_day,
        "centre_id": args.get("centre", type=object_id),
        "station_id": args.get("station", type=object_id),
        "skill_id": args.get("skill", type=object_id),
        "include_cancelled": args.get("cancelled") == "1",
    }


def _day_start(day, tz="Europe/Stockholm"):
    return local_to_utc(day, time(0, 0), tz)


@bp.route("/")
@login_required
def index():
    filters = _sessions_filters()
    sessions = upcoming_sessions(
        start=_day_start(filters["start_day"]),
        end=_day_start(filters["end_day"] + timedelta(days=1)),
        centre_id=filters["centre_id"],
        station_id=filters["station_id"],
        skill_id=filters["skill_id"],
        include_cancelled=filters["include_cancelled"],
    )
    waitlisted = waitlist_counts([s.id for s in sessions])
    if request.args.get("format") == "csv":
        return csv_response(
            "sessions.csv",
            [_("Start"), _("End"), _("Centre"), _("Station"), _("Skills"), _("Status"), _("Seats"),
             _("Municipality"), _("Region"), _("Free"), _("Waiting list")],
            (
                [
                    fmt_datetime(s.start_at, s.station.centre.timezone, "short"),
                    fmt_datetime(s.end_at, s.station.centre.timezone, "short"),
                    s.station.centre.name, s.station.name, ", ".join(k.code for k in s.skills),
                    s.status, s.capacity, s.seats_municipal, s.seats_regional, s.seats_free,
                    waitlisted.get(s.id, 0),
                ]
                for s in sessions
            ),
        )
    centres = db.session.execute(select(Centre).order_by(Centre.name)).scalars().all()
    stations = db.session.execute(select(Station).order_by(Station.name)).scalars().all()
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    return render_template(
        "sessions/index.html",
        sessions=sessions,
        waitlisted=waitlisted,
        filters=filters,
        centres=centres,
        stations=stations,
        skills=skills,
        side_balance=side_balance,
    )


@bp.route("/mine")
@login_required
def mine():
    require(policy.has_role(current_user, "instructor", "admin"))
    sessions = db.session.execute(
        select(Session)
        .join(session_instructors, session_instructors.c.session_id == Session.id)
        .where(session_instructors.c.user_id == current_user.id, Session.status != "cancelled",
               Session.end_at > _day_start(local_today() - timedelta(days=14)))
        .options(selectinload(Session.station).selectinload(Station.centre), selectinload(Session.skills))
        .order_by(Session.start_at)
    ).scalars().all()
    # Today first, then what is coming, then the last two weeks newest first.
    today = local_today()
    groups = {"today": [], "coming": [], "earlier": []}
    for item in sessions:
        day = item.start_at.astimezone(ZoneInfo(item.station.centre.timezone)).date()
        groups["today" if day == today else "coming" if day > today else "earlier"].append(item)
    groups["earlier"].reverse()
    return render_template("sessions/mine.html", groups=groups, side_balance=side_balance)


@bp.route("/<int:session_id>")
@login_required
def detail(session_id):
    return _detail_page(get_or_404(Session, session_id), CancelForm())


def _detail_page(session, cancel_form, status=200):
    tz = centre_tz(session.station)
    bookings = _visible_bookings(session)
    now = utcnow()
    reservation = reservations([session], now).get(session.id)
    # In its priority window a session planned from needs has no seat for a booker's other units.
    closed = (reservation is not None and policy.can_book(current_user)
              and not reservation.admits(booking_unit_ids(current_user)))
    return render_template(
        "sessions/detail.html",
        session=session,
        tz=tz,
        bookings=bookings,
        seats=seat_summary(session),
        balance=side_balance(session),
        released=is_released(session, now),
        release_time=release_at(session),
        # The seats the viewer's side can book now (both sides for admins), as on the booking pages.
        free_by_side={side: 0 if closed else free_for_side(session, side, now)
                      for side in booking_sides(current_user)},
        reservation=reservation, reserved_for_me=not closed,
        cancel_form=cancel_form,
        can_plan=policy.can_plan_sessions(current_user),
        can_record=policy.can_record_session(current_user, session),
        can_book=policy.can_book(current_user),
        not_started=session.start_at > now,
    ), status


def _visible_bookings(session):
    """Admins and the session's instructors see everyone; managers their own staff; participants
    their own booking; others nobody."""
    stmt = (
        select(Booking)
        .where(Booking.session_id == session.id)
        .options(selectinload(Booking.participant))
        .order_by(Booking.status, Booking.queued_at, Booking.id)
    )
    if policy.can_record_session(current_user, session):
        return db.session.execute(stmt).scalars().all()
    if policy.has_role(current_user, "manager"):
        from ktc.organisations.models import Participant

        units = policy.managed_unit_ids(current_user) or {0}
        stmt = stmt.join(Participant, Participant.id == Booking.participant_id).where(Participant.unit_id.in_(units))
        return db.session.execute(stmt).scalars().all()
    if current_user.participant_id:
        stmt = stmt.where(Booking.participant_id == current_user.participant_id)
        return db.session.execute(stmt).scalars().all()
    return []


_REFUSED = object()


def _apply(form, operation):
    """Run one planning operation in one transaction; a refusal goes back on the form."""
    try:
        result = operation()
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        show_domain_error(form, exc, FORM_FIELDS)
        return _REFUSED
    return result


def _form_status():
    """A form page shown again after a POST is a refusal (422); a GET is just the page."""
    return 422 if request.method == "POST" else 200


def _times(form, day, tz):
    return local_to_utc(day, form.start_time.data, tz), local_to_utc(day, form.end_time.data, tz)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(policy.can_plan_sessions(current_user))
    form = SessionForm()
    _fill_choices(form)
    past = False
    if request.method == "GET":
        form.day.data = parse_day(request.args.get("day"))
        form.start_time.data = _parse_clock(request.args.get("start"))
        station = db.session.get(Station, request.args.get("station_id", type=object_id) or 0)
        if station is not None and station.active:
            _station_defaults(form, station)
    if form.validate_on_submit():
        station, fields = _session_fields(form)
        start_at, end_at = _times(form, form.day.data, centre_tz(station))
        past = start_at < utcnow()
        if past and not form.confirm_past.data:
            # A question, not a refusal (200, as confirm.ask answers): asked once, with everything typed
            # kept, and planned when confirmed.
            return render_template("sessions/form.html", form=form, editing=None, past=True)
        session = _apply(form, lambda: create_session(current_user, station, start_at, end_at, **fields))
        if session is not _REFUSED:
            flash(_("The session has been planned."), "success")
            return redirect(url_for("sessions.detail", session_id=session.id))
    return render_template("sessions/form.html", form=form, editing=None, past=past), _form_status()


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit(session_id):
    require(policy.can_plan_sessions(current_user))
    session = get_or_404(Session, session_id)
    form = SessionForm()
    _fill_choices(form)
    if request.method == "GET":
        tz = ZoneInfo(centre_tz(session.station))
        local_start = session.start_at.astimezone(tz)
        form.station_id.data = session.station_id
        form.day.data = local_start.date()
        form.start_time.data = local_start.time()
        form.end_time.data = session.end_at.astimezone(tz).time()
        form.capacity.data = session.capacity
        form.min_per_side.data = session.min_per_side
        form.release_before_hours.data = session.release_before_hours
        form.instructor_ids.data = [i.id for i in session.instructors]
        form.skill_ids.data = [s.id for s in session.skills]
        form.title.data = session.title
        form.notes.data = session.notes
    if form.validate_on_submit():
        station, fields = _session_fields(form)
        if fields["capacity"] is None:
            fields["capacity"] = session.capacity
        if fields["skills"] is None:
            fields["skills"] = list(station.skills)
        start_at, end_at = _times(form, form.day.data, centre_tz(station))
        updated = _apply(form, lambda: update_session(
            current_user, session, station=station, start_at=start_at, end_at=end_at, **fields
        ))
        if updated is not _REFUSED:
            flash(_("The session has been updated; booked participants are told of any change of time or place."),
                  "success")
            return redirect(url_for("sessions.detail", session_id=session_id))
    return render_template("sessions/form.html", form=form, editing=session), _form_status()


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel(session_id):
    require(policy.can_plan_sessions(current_user))
    session = get_or_404(Session, session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _detail_page(session, form, 422)
    back = url_for("sessions.detail", session_id=session_id)
    if not confirmed():
        told = bookings_affected_by_cancel(session)
        return ask(
            _("Cancel the session?"),
            _("%(count)s booked or waiting people will be told by e-mail that the session is cancelled, "
              "with the reason: %(reason)s", count=told, reason=form.reason.data),
            _("Yes, cancel the session"), back,
            details=[fmt_datetime(session.start_at, centre_tz(session.station), "short"), session.station.name],
        )
    if _apply(form, lambda: cancel_session(current_user, session, form.reason.data or "")) is not _REFUSED:
        flash(_("The session is cancelled and everyone booked has been told."), "success")
    return redirect(back)


@bp.route("/<int:session_id>/reinstate", methods=["POST"])
@login_required
def reinstate(session_id):
    require(policy.can_plan_sessions(current_user))
    session = get_or_404(Session, session_id)
    back = url_for("sessions.detail", session_id=session_id)
    if not confirmed():
        return ask(
            _("Reinstate the session?"),
            _("The session is scheduled again. The people whose bookings were cancelled with it get their seats "
              "back (or their place on the waiting list) and a new invitation, as long as they are not booked "
              "elsewhere at that time."),
            _("Yes, reinstate the session"), back,
        )
    try:
        restored = reinstate_session(current_user, session)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The session is scheduled again; %(count)s people have their bookings back and are told.",
                count=len(restored)), "success")
    return redirect(back)


@bp.route("/series/new", methods=["GET", "POST"])
@login_required
def new_series():
    require(policy.can_plan_sessions(current_user))
    form = SeriesForm()
    _fill_choices(form)
    if request.method == "GET":
        form.station_id.data = request.args.get("station_id", type=object_id)
    if form.validate_on_submit():
        station, fields = _session_fields(form)
        planned = _apply(form, lambda: create_series(
            current_user, station, form.first_date.data, form.start_time.data, form.end_time.data,
            form.occurrences.data, form.interval_weeks.data, skip_conflicts=form.skip_conflicts.data, **fields,
        ))
        if planned is not _REFUSED:
            series, sessions, skipped = planned
            if skipped:
                flash(_("%(created)s created, %(skipped)s skipped: %(reasons)s", created=len(sessions),
                        skipped=len(skipped), reasons="; ".join(item.reason for item in skipped)), "warning")
            else:
                flash(_("%(count)s sessions created.", count=len(sessions)), "success")
            return redirect(url_for("sessions.series", series_id=series.id))
    return render_template("sessions/series_form.html", form=form), _form_status()


@bp.route("/series/<int:series_id>", methods=["GET", "POST"])
@login_required
def series(series_id):
    item = get_or_404(Series, series_id)
    edit_form = SeriesEditForm(prefix="edit")
    cancel_form = CancelForm(prefix="cancel")
    if request.method == "GET":
        edit_form.start_time.data = item.start_time
        edit_form.end_time.data = item.end_time
    else:
        require(policy.can_plan_sessions(current_user))
        action = request.form.get("action")
        if action == "edit" and edit_form.validate_on_submit():
            changed = _apply(edit_form, lambda: update_series(
                current_user, item, edit_form.from_date.data, edit_form.start_time.data, edit_form.end_time.data
            ))
            if changed is not _REFUSED:
                flash(_("%(count)s sessions changed.", count=len(changed)), "success")
                return redirect(url_for("sessions.series", series_id=series_id))
        elif action == "cancel" and cancel_form.validate_on_submit() and not confirmed():
            return ask(
                _("Cancel the series?"),
                _("Every scheduled session of the series from the date given (all of them when no date is given) "
                  "is cancelled, and everyone booked or waiting is told by e-mail, with the reason: %(reason)s",
                  reason=cancel_form.reason.data),
                _("Yes, cancel the sessions"), url_for("sessions.series", series_id=series_id),
            )
        elif action == "cancel" and cancel_form.validate_on_submit():
            cancelled = _apply(cancel_form, lambda: cancel_series(
                current_user, item, cancel_form.from_date.data, cancel_form.reason.data or ""
            ))
            if cancelled is not _REFUSED:
                flash(_("%(count)s sessions cancelled.", count=len(cancelled)), "success")
                return redirect(url_for("sessions.series", series_id=series_id))
    return render_template(
        "sessions/series.html", series=item, edit_form=edit_form, cancel_form=cancel_form,
        tz=centre_tz(item.station), side_balance=side_balance, can_plan=policy.can_plan_sessions(current_user),
    ), _form_status()


def _parse_week(value):
    """An ISO week like 2026-W49 → its Monday (this week when missing or malformed)."""
    try:
        year, week = value.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        if in_years(monday):
            return monday
    except (AttributeError, ValueError):
        pass
    today = local_today()
    return today - timedelta(days=today.weekday())


@bp.route("/week")
@login_required
def week():
    require(policy.has_role(current_user, "admin", "instructor", "manager"))
    centres = db.session.execute(select(Centre).order_by(Centre.name)).scalars().all()
    if not centres:
        return render_template("sessions/week.html", centre=None, centres=[], days=[])
    centre = db.session.get(Centre, request.args.get("centre", type=object_id) or centres[0].id) or centres[0]
    monday = _parse_week(request.args.get("week"))
    tz = centre.timezone
    zone = ZoneInfo(tz)
    sessions = upcoming_sessions(
        start=local_to_utc(monday, time(0), tz),
        end=local_to_utc(monday + timedelta(days=7), time(0), tz),
        centre_id=centre.id,
        include_cancelled=True,
    )
    station = next((s for s in centre.stations if s.id == request.args.get("station", type=object_id)), None)
    if station is not None:
        sessions = [s for s in sessions if s.station_id == station.id]
    closed = {c.day: c.reason for c in centre.closed_days if monday <= c.day < monday + timedelta(days=7)}
    hours = {h.weekday: h for h in centre.opening_hours}
    today = local_today(tz)
    first, last = planner.time_range(hours, [(s.start_at.astimezone(zone), s.end_at.astimezone(zone)) for s in sessions])
    now = utcnow()
    new_url = url_for("sessions.new") if policy.can_plan_sessions(current_user) else None
    by_day = {}
    for item in sessions:
        by_day.setdefault(item.start_at.astimezone(zone).date(), []).append(item)

    def column(day, for_station, items):
        return planner.build_column(
            planner.Column(day=day, station=for_station, today=day == today, closed=closed.get(day),
                           hours=hours.get(day.weekday())),
            items, tz, first, last, now, new_url,
        )

    days = [monday + timedelta(days=offset) for offset in range(7)]
    rows = (last - first) // planner.SLOT_MINUTES
    if station is not None:
        # One station: the days of the week across.
        grids = [(None, planner.Grid(first, rows, [column(d, station, by_day.get(d, [])) for d in days]))]
    else:
        # All stations: one grid per day with the stations across (8 stations stay readable at 1280 px,
        # 7 days × 8 stations would not), the week's days one after the other.
        shown = [s for s in centre.stations if s.active or any(x.station_id == s.id for x in sessions)]
        grids = []
        for d in days:
            items = by_day.get(d, [])
            heading = planner.Column(day=d, today=d == today, closed=closed.get(d), hours=hours.get(d.weekday()))
            grids.append((heading, planner.Grid(
                first, rows, [column(d, s, [x for x in items if x.station_id == s.id]) for s in shown])))
    iso = monday.isocalendar()
    prev_monday, next_monday = monday - timedelta(days=7), monday + timedelta(days=7)
    return render_template(
        "sessions/week.html",
        centre=centre,
        centres=centres,
        station=station,
        station_id=station.id if station else None,
        grids=grids,
        tz=tz,
        today=today,
        week_label=f"{iso.year}-W{iso.week:02d}",
        week_number=iso.week,
        prev_week=f"{prev_monday.isocalendar().year}-W{prev_monday.isocalendar().week:02d}",
        next_week=f"{next_monday.isocalendar().year}-W{next_monday.isocalendar().week:02d}",
        side_balance=side_balance,
        can_plan=new_url is not None,
    )


from ktc.sessions import printing  # noqa: E402,F401  (the printable lists: their routes on this blueprint)
