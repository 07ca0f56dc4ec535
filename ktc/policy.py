"""Who may do what to which object. Every view and API handler asks here, nowhere else."""
from flask import g, has_request_context
from sqlalchemy import bindparam, select

from ktc.accounts.models import unit_managers
from ktc.extensions import db

# Built once: asked on every request of a manager.
_MANAGED_UNITS = select(unit_managers.c.unit_id).where(unit_managers.c.user_id == bindparam("user_id"))


def is_admin(user):
    return bool(user and user.is_authenticated and user.role == "admin")


def has_role(user, *roles):
    return bool(user and user.is_authenticated and user.role in roles)


def managed_unit_ids(user):
    """The ids of the units this user manages (every unit for admins is not implied here).

    Asked once per request and user: a booking asks for every person ticked, the API and the
    operation both ask, and the answer cannot change within a request unless the request itself
    changes the user's units (which calls forget_managed_units).
    """
    if not has_role(user, "manager"):
        return set()
    known = g.setdefault("_managed_unit_ids", {}) if has_request_context() else {}
    if user.id not in known:
        rows = db.session.execute(_MANAGED_UNITS, {"user_id": user.id})
        known[user.id] = frozenset(row[0] for row in rows)
    return set(known[user.id])


def note_managed_units(user, unit_ids):
    """Keep the units a request's signed-in user manages, read with the user (the loaders ask for them
    in the same query): managed_unit_ids then asks the database nothing."""
    if user is not None and has_request_context():
        g.setdefault("_managed_unit_ids", {})[user.id] = frozenset(unit_ids)
    return user


def forget_managed_units():
    """Forget this request's answers of managed_unit_ids (after a change of someone's units)."""
    if has_request_context():
        g.pop("_managed_unit_ids", None)


def can_manage_unit(user, unit):
    return is_admin(user) or (unit is not None and unit.id in managed_unit_ids(user))


def can_follow_team(user):
    """Managers follow what happens to their units' people (their own team events only)."""
    return has_role(user, "manager")


def can_manage_participant(user, participant):
    """Admins, and managers of the participant's unit, may edit and book the participant."""
    return is_admin(user) or (participant is not None and participant.unit_id in managed_unit_ids(user))


def is_instructor_of(user, session):
    return has_role(user, "instructor") and any(i.id == user.id for i in session.instructors)


def can_view_participant(user, participant):
    if participant is None or not user.is_authenticated:
        return False
    if can_manage_participant(user, participant):
        return True
    return user.participant_id == participant.id


def can_view_booking(user, booking):
    if can_view_participant(user, booking.participant):
        return True
    return is_instructor_of(user, booking.session)


def can_cancel_booking(user, booking):
    """Managers cancel their people's bookings; participants their own; admins any."""
    if can_manage_participant(user, booking.participant):
        return True
    return user.is_authenticated and user.participant_id == booking.participant_id


def can_plan_sessions(user):
    return is_admin(user)


def can_record_session(user, session):
    """Attendance and sign-off: the session's own instructors, and admins for any session."""
    return is_admin(user) or is_instructor_of(user, session)


def can_print_participants(user, session):
    """A session's printed participant list: its own instructors, and admins for any session."""
    return can_record_session(user, session)


def can_print_day(user):
    """A day's printed lists: admins (every session) and instructors (the sessions they lead)."""
    return has_role(user, "admin", "instructor")


def can_book(user):
    return has_role(user, "admin", "manager")


def can_view_network(user):
    return has_role(user, "admin", "network")


# --- feedback and the learning network ---------------------------------------------------
def can_write_session_report(user, session):
    """The session report is written by the session's instructors (admins for any session)."""
    return bool(user and user.is_authenticated) and can_record_session(user, session)


def can_list_session_reports(user):
    return has_role(user, "admin", "instructor")


# --- records (skills): skill records, the skill matrix -------------------------------------

def can_view_skill_record(user, participant):
    """The participant themselves, their unit's managers and admins see a skill record."""
    return can_view_participant(user, participant)


def can_view_matrix(user):
    """Managers see their units' matrix; admins any unit's."""
    return has_role(user, "admin", "manager")


# --- calendar -------------------------------------------------------------------------------

def can_download_session_ics(user, session):
    """Staff roles see the session plan; a participant only sessions they are booked into."""
    if not user.is_authenticated:
        return False
    if has_role(user, "admin", "manager", "instructor"):
        return True
    if user.participant_id is None:
        return False
    return any(b.participant_id == user.participant_id and b.status != "cancelled" for b in session.bookings)


# --- mail -----------------------------------------------------------------------------------

def can_manage_outbox(user):
    return is_admin(user)


# --- organisations, skills, stations and user administration (admin screens) ---

def can_manage_organisations(user):
    """Organisations and units, with their managers: KTC staff only."""
    return is_admin(user)


def can_list_staff(user):
    """Staff lists: admins see everyone, managers the people in the units they manage."""
    return has_role(user, "admin", "manager")


def can_manage_catalogue(user):
    """The skills catalogue and the professions' required skills."""
    return is_admin(user)


def can_manage_centres(user):
    """Centres, opening hours, closed days and stations."""
    return is_admin(user)


def can_manage_users(user):
    return is_admin(user)


# --- staff lists (the API's, and the operation behind both the API and the staff screens) -----


def can_list_participants(user):
    """Who may ask for a list of staff at all (each then sees only what participants_visible_to allows)."""
    return has_role(user, "admin", "manager", "participant")


def participants_visible_to(user):
    """A WHERE clause for the participants this user may see: all (admin), their units' (manager), self."""
    from sqlalchemy import false, true

    from ktc.organisations.models import Participant

    if is_admin(user):
        return true()
    if has_role(user, "manager"):
        return Participant.unit_id.in_(managed_unit_ids(user) or {0})
    if user is not None and user.is_authenticated and user.participant_id:
        return Participant.id == user.participant_id
    return false()


# --- the learning network's meetings (ktc/meetings) ------------------------------------------

def is_network_coordinator(user):
    """Admins, and network users flagged as the network's coordinator."""
    return is_admin(user) or (has_role(user, "network") and bool(user.network_coordinator))


def can_view_meetings(user):
    """The network's members, meetings and minutes: the network role and admins (no participant data)."""
    return has_role(user, "admin", "network")


def can_ask_to_join_network(user):
    return has_role(user, "network")


def can_set_network_coordinator(user):
    return is_admin(user)


def is_contact_of(user, member):
    return bool(user and user.is_authenticated) and any(c.user_id == user.id for c in member.contacts)


def can_leave_network(user, member):
    """A member's own contacts take it out of the network; the coordinator may remove any member."""
    return is_network_coordinator(user) or (has_role(user, "network") and is_contact_of(user, member))

# --- learning paths -------------------------------------------------------------------------

def can_manage_paths(user):
    """Defining paths and their steps: KTC staff (admins)."""
    return is_admin(user)


def can_follow_team_paths(user):
    """The team's path progress and assigning paths: admins (any unit) and managers (their units)."""
    return has_role(user, "admin", "manager")


def can_view_paths_overview(user):
    """Path progress per organisation: KTC staff."""
    return is_admin(user)


def can_complete_path_step(user, assignment, step):
    """Managers and admins mark any step of their people done; a participant only their own modules."""
    if can_manage_participant(user, assignment.participant):
        return True
    return bool(user and user.is_authenticated and user.participant_id == assignment.participant_id
                and step.kind == "module")


def can_plan_circles(user):
    """Creating study circles and choosing their members: KTC staff (admins)."""
    return is_admin(user)


def can_run_circle(user, circle):
    """Meetings, attendance and completed steps: the circle's facilitator, and admins for any circle."""
    return is_admin(user) or (has_role(user, "instructor") and circle.facilitator_id == user.id)


def can_view_circle(user, circle):
    """Those who run it, and managers with people in it."""
    if can_run_circle(user, circle):
        return True
    units = managed_unit_ids(user)
    return bool(units) and any(m.unit_id in units for m in circle.members)


def can_download_meeting_ics(user, meeting):
    if can_view_circle(user, meeting.circle):
        return True
    return bool(user and user.is_authenticated and user.participant_id
                and any(m.id == user.participant_id for m in meeting.circle.members))

# --- needs and planning ---------------------------------------------------------------------

def can_state_needs(user):
    """Managers state their units' training needs; admins (KTC staff) see and edit every unit's."""
    return has_role(user, "admin", "manager")


def can_view_demand(user):
    """The demand board and the planner's proposals: KTC staff."""
    return is_admin(user)
