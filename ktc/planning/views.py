"""Screens for needs: the manager's list and form, derived needs to confirm or dismiss, and the
demand board for KTC staff."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ktc import policy
from ktc.accounts.models import User
from ktc.confirm import ask, confirmed
from ktc.csvutil import Figure, csv_response
from ktc.database import utcnow
from ktc.errors import DomainError, ValidationError
from ktc.extensions import db
from ktc.i18n import fmt_date, fmt_datetime, local_today, to_local
from ktc.organisations.models import Participant, Unit
from ktc.planning import bp
from ktc.planning import operations as ops
from ktc.planning import proposals
from ktc.planning.forms import InstructorForm, NeedForm, PlanForm
from ktc.planning.models import Need, instructor_skills
from ktc.records.labels import STATUS_LABELS
from ktc.records.operations import visible_units
from ktc.sessions import planner
from ktc.sessions.operations import local_to_utc, side_balance, upcoming_sessions
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station
from ktc.web import form_page, get_or_404, object_id, require, show_domain_error


# Why each person is counted in a derived need: their skill record's state, or a late path step.
DERIVED_LABELS = {**STATUS_LABELS, ops.LATE_STEP: _l("Late in a learning path")}


def _month_label(month):
    return fmt_date(month, fmt="MMMM y")


def _row_id(text):
    """A posted id as a number the id columns can hold (ValueError otherwise: PostgreSQL refuses
    to compare an integer column with 2^31 or more)."""
    value = int(text)
    if not 0 < value < 2**31:
        raise ValueError(text)
    return value


def _unit_arg():
    try:
        return int(request.args.get("unit", ""))
    except ValueError:
        return None


@bp.route("/")
@login_required
def index():
    require(policy.can_state_needs(current_user))
    units = visible_units(current_user)
    unit_id = _unit_arg()
    if unit_id is not None and unit_id not in {u.id for u in units}:
        abort(404)
    needs = ops.visible_needs(current_user, unit_id=unit_id)
    pending = 0
    if not policy.is_admin(current_user):
        pending = len(ops.pending_derived([u.id for u in units]))
    return render_template("planning/index.html", needs=needs, units=units, unit_id=unit_id, pending=pending,
                           month_label=_month_label, met=ops.met_need_ids(needs))


def _fill_choices(form, need):
    units = visible_units(current_user)
    form.unit_id.choices = [(u.id, f"{u.name} ({u.organisation.name})") for u in units]
    if need is not None:
        form.unit_id.choices = [(need.unit.id, need.unit.name)]
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    form.skill_id.choices = [(0, _("Choose a skill"))] + [(s.id, f"{s.code} – {s.name}") for s in skills]
    unit_id = need.unit_id if need is not None else (form.unit_id.data or _unit_arg()
                                                     or (units[0].id if len(units) == 1 else None))
    staff = []
    if unit_id is not None and unit_id in {u.id for u in units}:
        staff = ops.active_staff(db.session.get(Unit, unit_id))
    form.participant_ids.choices = [(p.id, p.name) for p in staff]
    return units


def _need_form(need):
    form = NeedForm(obj=need, data=None if need is not None or request.method == "POST" else
                    {"unit_id": _unit_arg()})
    if need is not None and request.method == "GET":
        form.participant_ids.data = [p.id for p in need.named]
    _fill_choices(form, need)
    if form.validate_on_submit():
        named = []
        if form.participant_ids.data:
            named = db.session.execute(
                select(Participant).where(Participant.id.in_(form.participant_ids.data))).scalars().all()
        try:
            skill = db.session.get(Skill, form.skill_id.data)
            if need is None:
                unit = db.session.get(Unit, form.unit_id.data)
                saved = ops.create_need(current_user, unit, skill, form.month.data, form.people.data, named,
                                        form.note.data)
            else:
                saved = ops.update_need(current_user, need, skill, form.month.data, form.people.data, named,
                                        form.note.data)
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc, fields={"participant_ids": "participant_ids"})
        else:
            flash(_("The need for %(skill)s has been saved.", skill=saved.skill.name), "success")
            return redirect(url_for("planning.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("planning/need_form.html", form=form, need=need), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(policy.can_state_needs(current_user))
    return _need_form(None)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id):
    require(policy.can_state_needs(current_user))
    need = ops.get_need(current_user, need_id)
    if need.status != "open":
        flash(str(ops.NeedClosed()), "error")
        return redirect(url_for("planning.index"))
    return _need_form(need)


@bp.route("/<int:need_id>/withdraw", methods=["POST"])
@login_required
def withdraw(need_id):
    require(policy.can_state_needs(current_user))
    need = ops.get_need(current_user, need_id)
    if not confirmed():
        return ask(_("Withdraw the need?"),
                   _("The need for %(skill)s (%(unit)s) is removed and no longer planned for.",
                     skill=need.skill.name, unit=need.unit.name),
                   _("Withdraw the need"), url_for("planning.index"))
    try:
        ops.withdraw_need(current_user, need)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The need has been withdrawn."), "success")
    return redirect(url_for("planning.index"))


@bp.route("/derived")
@login_required
def derived():
    require(policy.can_state_needs(current_user))
    units = visible_units(current_user)
    unit_id = _unit_arg()
    if unit_id is not None and unit_id not in {u.id for u in units}:
        abort(404)
    if unit_id is None and policy.is_admin(current_user):
        # Every unit of the county at once is too much to answer; an admin picks one.
        chosen = []
    else:
        chosen = [unit_id] if unit_id is not None else [u.id for u in units]
    pending = ops.pending_derived(chosen) if chosen else []
    return render_template("planning/derived.html", pending=pending, units=units, unit_id=unit_id,
                           month_label=_month_label, status_labels=DERIVED_LABELS)


@bp.route("/derived/decide", methods=["POST"])
@login_required
def decide():
    require(policy.can_state_needs(current_user))
    try:
        unit = db.session.get(Unit, _row_id(request.form.get("unit_id", "")))
        skill_id = _row_id(request.form.get("skill_id", ""))
        month = date.fromisoformat(request.form.get("month", ""))
    except ValueError:
        abort(404)
    if unit is None or not policy.can_manage_unit(current_user, unit):
        abort(404)
    accept = request.form.get("decision") == "confirm"
    try:
        ops.decide_derived(current_user, unit, skill_id, month, request.form.get("fingerprint", ""), accept)
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("The need has been confirmed.") if accept else _("The need has been dismissed."), "success")
    return redirect(url_for("planning.derived", unit=request.form.get("back_unit") or None))


@bp.route("/board")
@login_required
def board():
    require(policy.can_view_demand(current_user))
    try:
        months = min(12, max(1, int(request.args.get("months", 6))))
    except ValueError:
        months = 6
    data = ops.demand_board(months_ahead=months)
    if request.args.get("format") == "csv":
        sides = {"municipal": _("Municipality"), "regional": _("Region")}
        return csv_response(
            "behov.csv",
            [_("Skill code"), _("Skill"), _("Month"), _("Side"), _("Need (people)"), _("Free seats"),
             _("Uncovered")],
            [[skill.code, skill.name, month.strftime("%Y-%m"), sides[side], Figure(cell.need),
              Figure(cell.free), Figure(cell.uncovered)] for skill, month, side, cell in data.rows()],
        )
    return render_template("planning/board.html", board=data, months_ahead=months, month_label=_month_label)


# --- planning: inputs, proposal, acceptance ---------------------------------------------------

@bp.route("/instructors")
@login_required
def instructors():
    require(policy.can_view_demand(current_user))
    people = db.session.execute(select(User).where(User.role == "instructor").order_by(User.name)).scalars().all()
    return render_template("planning/instructors.html", people=people)


@bp.route("/instructors/<int:instructor_id>", methods=["GET", "POST"])
@login_required
def instructor(instructor_id):
    require(policy.can_view_demand(current_user))
    person = get_or_404(User, instructor_id)
    if person.role != "instructor":
        abort(404)
    form = InstructorForm()
    skills = db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()
    form.skill_ids.choices = [(s.id, f"{s.code} – {s.name}") for s in skills]
    if request.method == "GET":
        form.skill_ids.data, form.max_per_day.data, form.availability.data, form.absences.data = \
            proposals.instructor_inputs(person)

    def save():
        chosen = [s for s in skills if s.id in set(form.skill_ids.data or ())]
        return proposals.set_instructor_inputs(person, chosen, form.max_per_day.data, form.availability.data,
                                               form.absences.data)

    return form_page(form, save, "planning.instructors", "planning/instructor_form.html", person=person)


def _plan_form():
    form = PlanForm()
    centres = db.session.execute(select(Centre).order_by(Centre.name)).scalars().all()
    form.centre_id.choices = [(0, _("All centres"))] + [(c.id, c.name) for c in centres]
    return form


@bp.route("/plan", methods=["GET", "POST"])
@login_required
def plan():
    """The proposal is computed on POST and shown, never stored: the page carries its rows, and moving,
    dropping or accepting posts them back."""
    require(policy.can_plan_sessions(current_user))
    form = _plan_form()
    if not form.validate_on_submit():
        return render_template("planning/plan.html", form=form), 422 if request.method == "POST" else 200
    try:
        built, result = proposals.propose(form.centre_id.data or None, form.weeks.data,
                                          time_limit=current_app.config.get("KTC_PLAN_TIME_LIMIT", 20.0))
    except DomainError as exc:
        show_domain_error(form, exc)
        return render_template("planning/plan.html", form=form), 422
    skills = {s.id: s for s in db.session.execute(select(Skill)).scalars()}
    users = {u.id: u for u in db.session.execute(select(User).where(User.role == "instructor")).scalars()}
    rows = [ProposedRow(str(number), proposals.Proposed(
        built.stations[s.slot.station_id], s.slot.start, s.slot.end, skills[s.skill_id], users[s.instructor_id],
        s.min_per_side), dict(s.seats)) for number, s in enumerate(result.sessions, 1)]
    state = ProposalState(rows, built.start, built.end, result.objective, round(result.bound),
                          [(key, reason, result.covered.get(key, 0)) for key, reason in result.reasons.items()])
    return _proposal_page(state)


@dataclass
class ProposedRow:
    """One proposed session as the page carries it: its number on the page, the session, the seats
    the plan gives each side (shown, not binding), and whether the coordinator keeps it."""

    number: str
    item: object  # proposals.Proposed
    seats: dict
    keep: bool = True

    @property
    def value(self):
        i = self.item
        return (f"{i.station.id}|{i.start.isoformat()}|{i.end.isoformat()}|{i.skill.id}|{i.instructor.id}|"
                f"{i.min_per_side}|{self.seats.get('municipal', 0)}|{self.seats.get('regional', 0)}")

    @property
    def mixed(self):
        return all(self.seats.get(side, 0) > 0 for side in ("municipal", "regional"))


@dataclass
class ProposalState:
    """The whole proposal as posted back: rows, the period it covers, the solver's figures and the
    needs it leaves uncovered (need id, reason, people covered)."""

    rows: list
    first_day: date
    end_day: date
    objective: int
    bound: int
    uncovered: list

    def others(self, row):
        return [r.item for r in self.rows if r is not row and r.keep]


def _parse_row(number, value, keep):
    if not number.isdigit() or len(number) > 6:
        abort(400)
    try:
        parts = value.split("|")
        station_id, start, end, skill_id, instructor_id, min_per_side = parts[:6]
        seats = [int(n) for n in parts[6:8]] or [0, 0]
        item = proposals.Proposed(
            db.session.get(Station, _row_id(station_id)), datetime.fromisoformat(start),
            datetime.fromisoformat(end), db.session.get(Skill, _row_id(skill_id)),
            db.session.get(User, _row_id(instructor_id)), int(min_per_side))
    except ValueError:
        abort(400)
    if None in (item.station, item.skill, item.instructor) or item.start.tzinfo is None or len(seats) != 2:
        abort(400)
    return ProposedRow(number, item, {"municipal": seats[0], "regional": seats[1]}, keep)


def _posted_state():
    """The proposal the page posted back (400 when it was tampered with beyond reading)."""
    keep = set(request.form.getlist("keep"))
    rows = [_parse_row(name[4:], value, name[4:] in keep)
            for name, value in request.form.items(multi=True) if name.startswith("row-")]
    try:
        first, end = (date.fromisoformat(d) for d in request.form.get("horizon", "").split("|"))
        objective, bound = (int(n) for n in request.form.get("figures", "0|0").split("|"))
        uncovered = []
        for value in request.form.getlist("uncovered"):
            need_id, reason, got = value.split("|")
            if reason not in REASON_LABELS:
                raise ValueError(reason)
            uncovered.append((_row_id(need_id), reason, int(got)))
    except ValueError:
        abort(400)
    if not (1900 <= first.year and end.year <= 2999 and first < end <= first + timedelta(weeks=proposals.MAX_WEEKS)):
        abort(400)
    return ProposalState(rows, first, end, objective, bound, uncovered)


def _week_start(day):
    return day - timedelta(days=day.weekday())


def _proposal_grid(state, centre, monday, station_id=None):
    """The planner's week grid of one centre: its sessions, and the proposed ones drawn beside them.
    As on the week planner: one station (chosen, or the centre's only one) has the days across;
    otherwise each day is a grid with the stations across. Returns (grids, tz, the station or None)."""
    from zoneinfo import ZoneInfo

    tz = centre.timezone or "Europe/Stockholm"
    zone = ZoneInfo(tz)
    week_start, week_end = local_to_utc(monday, time(0), tz), local_to_utc(monday + timedelta(days=7), time(0), tz)
    existing = upcoming_sessions(start=week_start, end=week_end, centre_id=centre.id)
    proposed = [ProposedBlock(r) for r in state.rows
                if r.item.station.centre_id == centre.id and week_start <= r.item.start < week_end]
    items = existing + proposed
    stations = [s for s in centre.stations if s.active or any(x.station_id == s.id for x in items)]
    station = next((s for s in stations if s.id == station_id), stations[0] if len(stations) == 1 else None)
    if station is not None:
        items = [x for x in items if x.station_id == station.id]
    closed = {c.day: c.reason for c in centre.closed_days}
    hours = {h.weekday: h for h in centre.opening_hours}
    first, last = planner.time_range(hours, [(x.start_at.astimezone(zone), x.end_at.astimezone(zone)) for x in items])
    rows = (last - first) // planner.SLOT_MINUTES
    today, now = local_today(tz), utcnow()
    days = [monday + timedelta(days=n) for n in range(7)]
    by_day = {}
    for item in items:
        by_day.setdefault(item.start_at.astimezone(zone).date(), []).append(item)

    def column(day, at, on_day):
        return planner.build_column(planner.Column(day=day, station=at, today=day == today, closed=closed.get(day),
                                                   hours=hours.get(day.weekday())), on_day, tz, first, last, now)

    if station is not None:
        return [(None, planner.Grid(first, rows, [column(d, station, by_day.get(d, [])) for d in days]))], tz, station
    grids = []
    for day in days:
        heading = planner.Column(day=day, today=day == today, closed=closed.get(day), hours=hours.get(day.weekday()))
        grids.append((heading, planner.Grid(first, rows, [
            column(day, s, [x for x in by_day.get(day, []) if x.station_id == s.id]) for s in stations])))
    return grids, tz, None


@dataclass
class ProposedBlock:
    """A proposed session shaped like a session for the week grid (planner.build_column)."""

    row: ProposedRow
    status: str = "proposed"

    @property
    def id(self):
        # Sorted after the real sessions that start in the same grid row.
        return 2**31 + int(self.row.number)

    @property
    def start_at(self):
        return self.row.item.start

    @property
    def end_at(self):
        return self.row.item.end

    @property
    def station_id(self):
        return self.row.item.station.id


def _proposal_page(state, error=None, moved=None, status=200):
    """The proposal page: the week grid of the chosen centre and week, the list of proposed sessions
    with their move and drop controls, and the needs left uncovered."""
    centres = sorted({r.item.station.centre for r in state.rows}, key=lambda c: c.name)
    centre = None
    wanted = request.form.get("show_centre", type=object_id)
    if moved is not None:
        centre = moved.item.station.centre
    elif wanted is not None:
        centre = next((c for c in centres if c.id == wanted), None)
    if centre is None and centres:
        centre = centres[0]
    weeks = []
    monday = _week_start(state.first_day)
    while monday < state.end_day:
        weeks.append(monday)
        monday += timedelta(days=7)
    shown = None
    if moved is not None:
        shown = _week_start(to_local(moved.item.start, centre.timezone).date())
    elif request.form.get("show_week"):
        try:
            shown = date.fromisoformat(request.form["show_week"])
        except ValueError:
            shown = None
    if shown not in weeks and centre is not None:
        starts = [to_local(r.item.start, centre.timezone).date() for r in state.rows
                  if r.item.station.centre_id == centre.id]
        shown = _week_start(min(starts)) if starts else weeks[0]
    grids, tz, station = _proposal_grid(state, centre, shown, request.form.get("show_station", type=object_id)) \
        if centre is not None else ([], None, None)
    needs = {}
    if state.uncovered:
        needs = {n.id: n for n in db.session.execute(
            select(Need).where(Need.id.in_([key for key, _, _ in state.uncovered]))
            .options(joinedload(Need.unit), joinedload(Need.skill))).scalars()}
    uncovered = [(needs[key], reason, got) for key, reason, got in state.uncovered if key in needs]
    # What a session can be moved to: the stations that train its skill, the instructors who may lead it.
    skill_ids = {r.item.skill.id for r in state.rows}
    station_choices, instructor_choices = {k: [] for k in skill_ids}, {k: [] for k in skill_ids}
    if skill_ids:
        for choice, skill_id in db.session.execute(
                select(Station, Skill.id).join(Station.skills).where(Station.active.is_(True), Skill.id.in_(skill_ids))
                .order_by(Station.name, Station.id)):
            station_choices[skill_id].append(choice)
        for user, skill_id in db.session.execute(
                select(User, instructor_skills.c.skill_id)
                .join(instructor_skills, instructor_skills.c.user_id == User.id)
                .where(User.active.is_(True), instructor_skills.c.skill_id.in_(skill_ids)).order_by(User.name, User.id)):
            instructor_choices[skill_id].append(user)
    return render_template("planning/proposal.html", state=state, rows=state.rows, uncovered=uncovered,
                           reason_labels=REASON_LABELS, error=error, moved=moved, centres=centres, centre=centre,
                           weeks=weeks, shown_week=shown, grids=grids, tz=tz, station=station,
                           station_choices=station_choices,
                           instructor_choices=instructor_choices,
                           side_balance=side_balance, to_local=to_local), status


REASON_LABELS = {
    "no_station": _l("No station teaches the skill."),
    "no_instructor": _l("No qualified instructor is free."),
    "no_capacity": _l("No room in the horizon: the stations or instructors are taken."),
    "too_few_people": _l("Too few people need it for a session."),
}


def _move(state, row):
    """The row moved to the station, instructor, day and time the coordinator chose (its length kept),
    checked like a hand-made session; a DomainError says why not."""
    try:
        station = db.session.get(Station, _row_id(request.form.get(f"station-{row.number}", "")))
        instructor = db.session.get(User, _row_id(request.form.get(f"instructor-{row.number}",
                                                                   str(row.item.instructor.id))))
        day = date.fromisoformat(request.form.get(f"day-{row.number}", ""))
        clock = time.fromisoformat(request.form.get(f"time-{row.number}", ""))
    except ValueError:
        raise BadMove() from None
    if station is None or instructor is None or not 1900 <= day.year <= 2999:
        raise BadMove()
    start = local_to_utc(day, clock.replace(second=0, microsecond=0), station.centre.timezone or "Europe/Stockholm")
    item = row.item
    moved = proposals.Proposed(station, start, start + (item.end - item.start), item.skill, instructor,
                               item.min_per_side)
    proposals.check_proposed(moved, state.others(row), state.first_day, state.end_day)
    row.item = moved


class BadMove(ValidationError):
    code = "bad_move"
    message = _l("Choose a station, an instructor, a day and a time to move the session to.")


@bp.route("/plan/revise", methods=["POST"])
@login_required
def revise():
    """Move or drop a proposed session, or show another week of the proposal; nothing is written."""
    require(policy.can_plan_sessions(current_user))
    state = _posted_state()
    by_number = {r.number: r for r in state.rows}
    if "drop" in request.form:
        row = by_number.get(request.form["drop"]) or abort(400)
        state.rows.remove(row)
        flash(_("The proposed session %(when)s at %(station)s was dropped.",
                when=fmt_datetime(row.item.start, row.item.station.centre.timezone), station=row.item.station.name),
              "success")
        return _proposal_page(state)
    if "move" in request.form:
        row = by_number.get(request.form["move"]) or abort(400)
        try:
            _move(state, row)
        except DomainError as exc:
            return _proposal_page(state, error=(row, str(exc)), status=422)
        flash(_("The proposed session was moved to %(when)s at %(station)s.",
                when=fmt_datetime(row.item.start, row.item.station.centre.timezone), station=row.item.station.name),
              "success")
        return _proposal_page(state, moved=row)
    return _proposal_page(state)


@bp.route("/plan/accept", methods=["POST"])
@login_required
def accept():
    require(policy.can_plan_sessions(current_user))
    state = _posted_state()
    kept = [r for r in state.rows if r.keep]
    try:
        # The rows come back from the browser: every one is checked again, against the others too.
        known = {}
        for row in kept:
            proposals.check_proposed(row.item, state.others(row), state.first_day, state.end_day, known)
        sessions, covered = proposals.accept(current_user, [r.item for r in kept])
        db.session.flush()
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was created: %(reason)s", reason=str(exc)), "error")
        return _proposal_page(state, status=422)
    flash(_("%(sessions)s sessions created; %(needs)s needs covered and offered to their units.",
            sessions=len(sessions), needs=len(covered)), "success")
    return redirect(url_for("planning.index"))
