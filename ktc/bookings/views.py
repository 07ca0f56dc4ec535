import json
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ktc import policy
from ktc.bookings import bp
from ktc.bookings.forms import VIEW_LABELS, TeamBookingsFilterForm
from ktc.bookings.models import Booking
from ktc.bookings.operations import (
    BookingResult,
    TeamRefused,
    TeamResults,
    book_team,
    bookable_names,
    bookable_participants,
    booking_sides,
    booking_unit_ids,
    cancel_booking,
    cutoff_at,
    session_to_book,
)
from ktc.bookings.seats import closed_to, free_for_side, is_released, reservations
from ktc.bookings.team import (
    PAGE_SIZE,
    TeamFilters,
    count_team_bookings,
    filter_person,
    filter_session,
    may_cancel,
    team_bookings,
)
from ktc.confirm import ask, confirmed
from ktc.csvutil import csv_response
from ktc.database import utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.i18n import fmt_date, fmt_time, to_local
from ktc.organisations.models import Unit
from ktc.organisations.operations import manageable_units, search_staff
from ktc.planning.models import Need
from ktc.planning.operations import people_for_need
from ktc.records.operations import visible_units
from ktc.security import is_safe_next
from ktc.sessions.models import Session
from ktc.sessions.operations import side_balance, upcoming_sessions
from ktc.skills.models import Skill
from ktc.stations.models import Station
from ktc.web import fixed_url, get_or_404, object_id, query_to_pass_on, require


@bp.route("/team", methods=["GET", "POST"])
@login_required
def team():
    user = current_user._get_current_object()  # asked below a dozen times: once through the proxy
    require(policy.can_book(user))
    session_id = request.values.get("session", type=object_id)
    if not session_id:
        return _pick_session()
    # Where it is (the station's name, the centre's time zone) with the session: every answer below shows
    # it; and how many wait for it per side, which a booking need not ask again.
    session, waiting = session_to_book(session_id)
    if session is None:
        abort(404)
    results, refused_all, status = None, False, 200
    # Who is ticked when the page is shown: those posted (a refusal keeps what was chosen), or from an
    # offer's link the people the need named or who lack the skill.
    chosen, from_need = [], None
    if request.method == "GET":
        from_need = _offered_need(session)
        if from_need is not None:
            ids = [p.id for p in people_for_need(from_need, session)]
            by_id = {p.id: p for p in bookable_participants(user, ids=ids)}
            chosen = [by_id[i] for i in ids if i in by_id]
    if request.method == "POST":
        ids = request.form.getlist("participant_ids", type=object_id)
        by_id = {p.id: p for p in bookable_participants(user, ids=ids, to_book=True)}
        # Tick order is kept: the first ticked get the first seats. Browsers send the boxes in page
        # order, so the page's script records the ticking order in `tick_order`; people missing
        # from it keep their page order after those in it (sorted() is stable).
        ticked = [int(x) for x in request.form.get("tick_order", "").split(",") if x.strip().isdigit()]
        rank = {pid: i for i, pid in reversed(list(enumerate(ticked)))}
        ids = sorted(ids, key=lambda pid: rank.get(pid, len(rank)))
        chosen = [by_id[i] for i in ids if i in by_id]
        if len(chosen) != len(ids):
            abort(403)
        if not chosen:
            flash(_("Tick at least one person."), "error")
            status = 422
        else:
            try:
                results = book_team(user, session, chosen, request.form.get("all_or_nothing") == "1",
                                    waiting=waiting)
                db.session.flush()
            except TeamRefused as exc:
                results, refused_all, status = exc.results, True, 409
            except DomainError as exc:
                flash(str(exc), "error")
                status = exc.status
            if status != 200:
                db.session.rollback()
                session.reread()  # the seats this booking had claimed were given back
            if results is not None and not refused_all and len(results) <= KEPT_RESULTS:
                # Post/Redirect/Get: the result has a page of its own, which a reload or the back
                # button shows again instead of posting the booking twice.
                flask_session[RESULT_KEY] = kept_result(session.id, results)
                return redirect(url_for("bookings.result", session=session.id), 303)
            if results is not None:
                # Nothing was saved (all or nothing), or a result too long for the cookie: shown at once.
                # The seat counters are as this transaction left them (a claim returns them, a refused
                # claim reads them again; a rollback above did): nothing else is reloaded.
                return _result_page(session, results, refused_all), status
    if request.method == "POST" and chosen:
        # The page shows the posted people as its list does (unit, profession): they were read as rows
        # to be booked (PersonToBook), so on a refusal they are read again as objects.
        by_id = {p.id: p for p in bookable_participants(user, ids=[p.id for p in chosen])}
        chosen = [by_id[p.id] for p in chosen if p.id in by_id]
    units, unit_id = _team_units(from_need.unit_id if from_need is not None else None)
    if unit_id:
        staff = search_staff(user, unit_id=unit_id, limit=None)
    elif policy.is_admin(user):
        # A county has thousands of people: admins choose a unit or search, they get no list of all.
        staff = []
    else:
        staff = bookable_participants(user)
    listed = {p.id for p in staff}
    staff = [p for p in chosen if p.id not in listed] + list(staff)
    booked = {
        b.participant_id: b
        for b in db.session.execute(
            select(Booking).where(Booking.session_id == session.id, Booking.status != "cancelled")
        ).scalars()
    }
    now = utcnow()
    reservation = reservations([session], now).get(session.id)
    return render_template(
        "bookings/team.html",
        session=session,
        staff=staff,
        ticked=[p.id for p in chosen if p.id not in booked],
        from_need=from_need,
        reservation=reservation,
        reserved_units=_unit_names(reservation) if reservation is not None else [],
        reserved_for_me=reservation is None or reservation.admits(booking_unit_ids(user)),
        booked=booked,
        place=session.place,
        tz=session.place.timezone,
        released=is_released(session, now),
        free_by_side={side: free_for_side(session, side, now) for side in booking_sides(user)},
        closed=now >= cutoff_at(session) and not policy.is_admin(user),
        # Nobody (admins neither) can book once the session has started: say so instead of a form
        # that can only fail.
        started=session.start_at <= now,
        balance=side_balance(session),
        units=units, unit_id=unit_id, searchable=policy.is_admin(user),
    ), status


# A team booking's result, kept in the cookie session for its page: the JSON text of [session id,
# [[person id, status, reason], …], [reasons]], the status an index in STATUSES and the reason one
# in the list of reasons (a waiting list's or a refusal's, or null), each reason once. A team longer
# than KEPT_RESULTS (none that a session's seats call for) gets its result at once instead: the
# cookie must stay under the browsers' 4 kB.
RESULT_KEY = "booked"
KEPT_RESULTS = 200
STATUSES = ("confirmed", "waitlisted", "refused")


def kept_result(session_id, results):
    """What the cookie session keeps of a team booking's result (RESULT_KEY)."""
    reasons, rows = [], []
    for r in results:
        if r.reason not in reasons:
            reasons.append(r.reason)
        rows.append([r.participant.id, STATUSES.index(r.status), reasons.index(r.reason)])
    # As one JSON text: the cookie session's serializer tags every list and number of a structure.
    return json.dumps([session_id, rows, reasons], separators=(",", ":"))


@bp.route("/team/result")
@login_required
def result():
    """The page of the team booking just made (Post/Redirect/Get): its people again, by name, with
    their outcome; the session and its seats as they are now."""
    user = current_user._get_current_object()
    require(policy.can_book(user))
    session_id = request.args.get("session", type=object_id)
    kept = json.loads(flask_session.get(RESULT_KEY, "null"))
    if not session_id or not kept or kept[0] != session_id:
        # No booking of this session was made in this sign-in: its booking form.
        return redirect(url_for("bookings.team", session=session_id) if session_id else fixed_url("bookings.team"))
    session, _waiting = session_to_book(session_id, counted=False)
    if session is None:
        abort(404)
    _session_id, rows, reasons = kept
    people = bookable_names(user, [pid for pid, _status, _reason in rows])
    results = TeamResults(
        BookingResult(people[pid], None, STATUSES[status], reason=reasons[reason])
        for pid, status, reason in rows if pid in people
    )
    return _result_page(session, results, False)


def _result_page(session, results, refused_all):
    return render_template("bookings/results.html", session=session, results=results, refused_all=refused_all,
                           place=session.place)


def _offered_need(session):
    """The need of an offer's link (`need=`), if this user may see it and this session covers it."""
    need_id = request.args.get("need", type=object_id)
    if not need_id:
        return None
    need = db.session.get(Need, need_id)
    if need is None or need.covered_session_id != session.id or not policy.can_manage_unit(current_user, need.unit):
        return None
    return need


def _unit_names(reservation):
    """The names of the units a session is reserved for, for KTC staff and for their managers."""
    mine = booking_unit_ids(current_user)
    shown = reservation.unit_ids if mine is None else reservation.unit_ids & set(mine)
    if not shown:
        return []
    return db.session.execute(select(Unit.name).where(Unit.id.in_(shown)).order_by(Unit.name)).scalars().all()


def _team_units(default=None):
    """The units to filter the team form by (admins: all; managers: their own, if more than one) and the chosen one."""
    units = manageable_units(current_user)
    unit_id = request.args.get("unit", type=object_id) or default
    if unit_id and unit_id not in {u.id for u in units}:
        abort(404)  # another manager's unit, or none at all
    if not policy.is_admin(current_user) and len(units) < 2:
        units = []
    return units, unit_id or None


def _pick_session():
    now = utcnow()
    skill_id = request.args.get("skill", type=object_id)
    sessions = [
        s for s in upcoming_sessions(start=now, end=now + timedelta(days=120), skill_id=skill_id)
        if s.status == "scheduled" and (now < cutoff_at(s) or policy.is_admin(current_user))
    ]
    sides = booking_sides(current_user)
    # Sessions in their priority window for other units are listed with the day they open, not as free.
    reserved = closed_to(sessions, booking_unit_ids(current_user), now)
    free = {s.id: {side: 0 if s.id in reserved else free_for_side(s, side, now) for side in sides} for s in sessions}
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    return render_template(
        "bookings/pick.html", sessions=sessions, free=free, sides=sides, skills=skills, skill_id=skill_id,
        reserved=reserved,
        side_balance=side_balance,
    )


@bp.route("/mine")
@login_required
def mine():
    if not current_user.participant_id:
        if policy.has_role(current_user, "participant"):
            return render_template("bookings/mine.html", upcoming=[], past=[])
        abort(403)
    bookings = db.session.execute(
        select(Booking)
        .where(Booking.participant_id == current_user.participant_id)
        .options(selectinload(Booking.session).selectinload(Session.station).selectinload(Station.centre))
        .join(Session, Session.id == Booking.session_id)
        .order_by(Session.start_at)
    ).scalars().all()
    now = utcnow()
    upcoming = [b for b in bookings if b.session.end_at >= now]
    past = [b for b in bookings if b.session.end_at < now]
    past.reverse()
    return render_template(
        "bookings/mine.html", upcoming=upcoming, past=past, now=now, cutoff_at=cutoff_at, may_cancel=may_cancel,
        cutoff_hours=current_app.config["KTC_BOOKING_CUTOFF_HOURS"],
    )


@bp.route("/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel(booking_id):
    """Cancel a booking in two steps: the first POST shows what will be cancelled and changes
    nothing; only a POST that carries `confirmed=yes` (the confirmation form's) cancels."""
    booking = get_or_404(Booking, booking_id, options=[
        joinedload(Booking.participant), joinedload(Booking.session).joinedload(Session.station).joinedload(Station.centre)])
    if not policy.can_view_booking(current_user, booking):
        abort(404)
    if not policy.can_cancel_booking(current_user, booking):
        abort(403)
    target = request.form.get("next")
    if not confirmed():
        session = booking.session
        tz = session.station.centre.timezone
        return ask(
            _("Cancel the booking?"),
            _("The seat goes to the first person on the waiting list who fits. This cannot be undone: booking again "
              "puts the person last in the queue if the session is full.") if booking.status == "confirmed" else "",
            _("Yes, cancel the booking"),
            target if is_safe_next(target) else url_for("sessions.detail", session_id=session.id),
            details=[f"{label}: {value}" for label, value in (
                (_("Name"), booking.participant.name),
                (_("Session"), session.title or session.station.name),
                (_("When"), f"{fmt_date(session.start_at, 'full', tz)} {fmt_time(session.start_at, tz)}"
                            f"–{fmt_time(session.end_at, tz)}"),
                (_("Status"), STATUS_LABELS[booking.status]),
            )],
            editable=[("reason", _("Reason (optional)"), 500)],
        )
    try:
        cancel_booking(current_user, booking, request.form.get("reason", "")[:500])
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The booking is cancelled."), "success")
    return redirect(target if is_safe_next(target) else url_for("sessions.detail", session_id=booking.session_id))




# --- the manager's team bookings ---------------------------------------------------------------

CSV_LABELS = {
    "name": _l("Name"), "unit": _l("Unit"), "start": _l("Start"), "end": _l("End"), "station": _l("Station"),
    "centre": _l("Centre"), "skills": _l("Skills"), "status": _l("Status"), "booked_at": _l("Booked"),
    "cancelled_at": _l("Cancelled"), "reason": _l("Reason for cancelling"),
}


STATUS_LABELS = {
    "confirmed": _l("Confirmed"), "waitlisted": _l("Waiting list"), "cancelled": _l("Booking cancelled"),
    "attended": _l("Attended"), "no_show": _l("No-show"),
}


def _team_bookings_csv(filename, bookings):
    """The team bookings as CSV (one small function, so that the export helper is easy to swap)."""
    header = [str(label) for label in CSV_LABELS.values()]
    rows = []
    for b in bookings:
        s = b.session
        tz = s.station.centre.timezone
        rows.append([
            b.participant.name, b.participant.unit.name,
            to_local(s.start_at, tz).strftime("%Y-%m-%d %H:%M"), to_local(s.end_at, tz).strftime("%Y-%m-%d %H:%M"),
            s.station.name, s.station.centre.name, ", ".join(k.code for k in s.skills), str(STATUS_LABELS[b.status]),
            to_local(b.booked_at, tz).strftime("%Y-%m-%d %H:%M") if b.booked_at else "",
            to_local(b.cancelled_at, tz).strftime("%Y-%m-%d %H:%M") if b.cancelled_at else "",
            b.cancel_reason or "",
        ])
    return csv_response(filename, header, rows)


@bp.route("/team/bookings")
@login_required
def team_bookings_page():
    """Every booking of the manager's people (all for admins), filtered, with cancel and CSV."""
    require(policy.can_book(current_user))
    units = visible_units(current_user)
    # Only the chosen person is sent with the page; the picker searches the server for the others.
    person = filter_person(current_user, request.args.get("person", type=object_id))
    skills = db.session.execute(select(Skill).order_by(Skill.code)).scalars().all()
    form = TeamBookingsFilterForm(formdata=request.args)
    form.fill_choices(units, [person] if person else [], skills)
    form.person.render_kw = {"data-picker": "staff", "data-search-url": url_for("organisations.staff_search")}
    form.validate()
    # Another manager's unit or person (or one that does not exist): not something this user may see.
    if any(request.args.get(name) and form[name].errors for name in ("unit", "person")):
        abort(404)
    session_id = request.args.get("session", type=object_id)
    if session_id is not None and not 0 < session_id < 2**31:
        session_id = None
    session = filter_session(current_user, session_id)
    if session_id and session is None:
        abort(404)
    filters = TeamFilters(
        view=form.clean("view", "upcoming"), unit_id=form.clean("unit", 0) or None,
        participant_id=form.clean("person", 0) or None, skill_id=form.clean("skill", 0) or None,
        session_id=session.id if session else None, start=form.clean("start", None), end=form.clean("end", None),
    )
    now = utcnow()
    if request.args.get("format") == "csv":
        bookings = team_bookings(current_user, filters, now)
        return _team_bookings_csv(f"team-bookings-{now.date().isoformat()}.csv", bookings)
    page = max(1, min(request.args.get("page", 1, type=int), 100000))
    total = count_team_bookings(current_user, filters, now)
    bookings = team_bookings(current_user, filters, now, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    args = query_to_pass_on("page", "format")
    return render_template(
        "bookings/team_bookings.html", form=form, bookings=bookings, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), args=args, session=session, filters=filters,
        view_labels=VIEW_LABELS, status_labels=STATUS_LABELS, cancellable={b.id for b in bookings if may_cancel(current_user, b, now)},
        csv_url=url_for(".team_bookings_page", **{**args, "format": "csv"}),
        all_sessions_url=url_for(".team_bookings_page", **{k: v for k, v in args.items() if k != "session"}),
    )
