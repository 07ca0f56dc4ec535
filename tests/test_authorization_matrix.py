"""Every route × every role: who gets in, and nobody reaches another unit's people.

Objects in the URLs belong to unit B (municipal) and the session S that instructor I leads.
Manager A (unit A) and participant A must never see B's participant, bookings or records.
"""
import re

import pytest

from ktc.accounts.operations import issue_api_token
from ktc.extensions import db

ROLES = ["anonymous", "admin", "manager_a", "manager_b", "instructor", "other_instructor",
         "participant_a", "participant_b", "network"]
ALL = set(ROLES) - {"anonymous"}
PUBLIC = {"accounts.login", "sso.login", "sso.callback", "scim.service_provider_config", "scim.schemas",
          "scim.resource_types", "scim.users", "scim.user", "main.healthz", "static", "calendar.feed", "feedback.respond", "api.openapi",
          "main.set_language", "meetings.feed"}

# GET endpoints: the roles that get a 200. Everyone else gets 403 or 404 (anonymous: a redirect
# to the login page, or 401 from the API). A new route must be added here to pass.
GET_ALLOWED = {
    "main.index": ALL,
    "audit.index": {"admin"},
    "accounts.account": ALL,
    "accounts.users": {"admin"},
    "accounts.create_user": {"admin"},
    "accounts.edit_user": {"admin"},
    "bookings.mine": {"participant_a", "participant_b"},
    "bookings.team": {"admin", "manager_a", "manager_b"},
    "bookings.result": {"admin", "manager_a", "manager_b"},
    "bookings.team_bookings_page": {"admin", "manager_a", "manager_b"},
    "calendar.feeds": ALL,
    "calendar.booking_download": {"admin", "manager_b", "participant_b", "instructor"},
    "calendar.session_download": ALL - {"network"},
    "feedback.mine": {"participant_b"},
    "feedback.report": {"admin", "instructor"},
    "feedback.reports": {"admin", "instructor", "other_instructor"},
    "mail.outbox": {"admin"},
    "mail.message": {"admin"},
    "meetings.index": {"admin", "network"},
    "meetings.members": {"admin", "network"},
    "meetings.new": {"admin"},
    "meetings.edit": {"admin"},
    "meetings.detail": {"admin", "network"},
    "meetings.download": {"admin", "network"},
    "meetings.minutes": {"admin", "network"},
    "meetings.print_minutes": {"admin", "network"},
    "meetings.minutes_json": {"admin", "network"},
    "meetings.changes": {"admin", "network"},
    "network.index": {"admin", "network"},
    "network.digests": {"admin", "network"},
    "network.digest": {"admin", "network"},
    "network.export_csv": {"admin", "network"},
    "network.export_json": {"admin", "network"},
    "organisations.index": {"admin"},
    "planning.index": {"admin", "manager_a", "manager_b"},
    "planning.new": {"admin", "manager_a", "manager_b"},
    "planning.edit": {"admin", "manager_b"},
    "planning.derived": {"admin", "manager_a", "manager_b"},
    "planning.board": {"admin"},
    "planning.instructors": {"admin"},
    "planning.instructor": {"admin"},
    "planning.plan": {"admin"},
    "organisations.create": {"admin"},
    "organisations.edit": {"admin"},
    "organisations.create_unit": {"admin"},
    "organisations.edit_unit": {"admin"},
    "organisations.participants": {"admin", "manager_a", "manager_b"},
    "organisations.staff_search": {"admin", "manager_a", "manager_b"},
    "organisations.create_participant": {"admin", "manager_a", "manager_b"},
    "organisations.edit_participant": {"admin", "manager_b"},
    "organisations.import_participants": {"admin", "manager_a", "manager_b"},
    "organisations.import_participants_preview": set(),
    "privacy.export": {"admin", "manager_b", "participant_b"},
    "privacy.export_mine": {"participant_a", "participant_b"},
    "records.certificate": {"admin", "manager_b", "participant_b"},
    "records.participant": {"admin", "manager_b", "participant_b"},
    "records.matrix": {"admin", "manager_a", "manager_b"},
    "records.mine": {"participant_a", "participant_b"},
    "records.roster": {"admin", "instructor"},
    "sessions.index": ALL,
    "sessions.detail": ALL,
    "sessions.mine": {"admin", "instructor", "other_instructor"},
    "sessions.week": {"admin", "manager_a", "manager_b", "instructor", "other_instructor"},
    "sessions.new": {"admin"},
    "sessions.new_series": {"admin"},
    "sessions.edit": {"admin"},
    "sessions.series": ALL,
    "sessions.print_list": {"admin", "instructor"},
    "sessions.print_day": {"admin", "instructor", "other_instructor"},
    "skills.index": {"admin"},
    "skills.professions": {"admin"},
    "skills.create": {"admin"},
    "skills.edit": {"admin"},
    "skills.create_profession": {"admin"},
    "skills.edit_profession": {"admin"},
    "skills.import_skills": {"admin"},
    "skills.import_preview": set(),
    "stations.index": {"admin"},
    "stations.centres": {"admin"},
    "stations.centre": {"admin"},
    "stations.create_centre": {"admin"},
    "stations.edit_centre": {"admin"},
    "stations.create_station": {"admin"},
    "stations.edit_station": {"admin"},
    "stations.closed_days_csv": {"admin"},
    "sso.providers": {"admin"},
    "sso.create_provider": {"admin"},
    "sso.edit_provider": {"admin"},
    "paths.index": {"admin"},
    "paths.create": {"admin"},
    "paths.edit": {"admin"},
    "paths.detail": {"admin"},
    "paths.create_step": {"admin"},
    "paths.edit_step": {"admin"},
    "paths.assign": {"admin", "manager_a", "manager_b"},
    "paths.import_assignments": {"admin", "manager_a", "manager_b"},
    "paths.import_assignments_preview": set(),
    "paths.mine": {"participant_a", "participant_b"},
    "paths.person": {"admin", "manager_b", "participant_b"},
    "paths.team": {"admin", "manager_a", "manager_b"},
    "paths.overview": {"admin"},
    "paths.certificate": {"admin", "manager_b", "participant_b"},
    "paths.export_json": {"admin"},
    "paths.import_path": {"admin"},
    "paths.import_path_preview": set(),
    "paths.circles": {"admin", "instructor", "other_instructor", "manager_a", "manager_b"},
    "paths.create_circle": {"admin"},
    "paths.edit_circle": {"admin"},
    "paths.circle": {"admin", "instructor", "manager_b"},
    "paths.create_meeting": {"admin", "instructor"},
    "paths.edit_meeting": {"admin", "instructor"},
    "paths.meeting_roster": {"admin", "instructor"},
    "paths.meeting_ics": {"admin", "instructor", "manager_b", "participant_b"},
}


@pytest.fixture
def world(make):
    kommun = make.organisation("municipal", name="Gislaveds kommun")
    region = make.organisation("regional", name="Region Jönköpings län")
    unit_a = make.unit(kommun, name="Hemtjänst A")
    unit_b = make.unit(kommun, name="Hemtjänst B")
    unit_r = make.unit(region, name="Vårdcentralen R")
    p_a = make.participant(unit_a, name="Anna A")
    p_b = make.participant(unit_b, name="Bodil B")
    skill = make.skill(code="HLR")
    centre = make.centre()
    station = make.station(centre, skills=[skill])
    users = {
        "admin": make.user("admin"),
        "manager_a": make.manager(unit_a),
        "manager_b": make.manager(unit_b),
        "instructor": make.user("instructor"),
        "other_instructor": make.user("instructor"),
        "participant_a": make.participant_user(p_a),
        "participant_b": make.participant_user(p_b),
        "network": make.user("network"),
    }
    session = make.session(station, instructors=[users["instructor"]], skills=[skill])
    series_session = make.session(station, start=make.future(20))
    from ktc.sessions.models import Series

    series = Series(station=station, first_date=series_session.start_at.date(), occurrences=1,
                    start_time=series_session.start_at.time(), end_time=series_session.end_at.time())
    db.session.add(series)
    series_session.series = series
    booking_b = make.booking(session, p_b)
    make.booking(session, p_a)
    from ktc.mail.models import OutboxMessage
    from ktc.stations.models import ClosedDay

    profession = make.profession("Undersköterska", skills=[skill])
    from ktc.paths import operations as path_ops

    learning_path = path_ops.create_path("Lärväg", profession=profession)
    path_step = path_ops.add_step(learning_path, "module", title="Film", url="https://example.org/f", due_days=30)
    path_ops.assign(None, learning_path, [p_b], make.future(-10).date())
    from ktc.paths.models import PathAssignment

    assignment = db.session.query(PathAssignment).one()
    path_ops.complete_step(None, assignment, path_step)
    from ktc.paths import circles

    study_circle = circles.create_circle("Cirkel", learning_path, users["instructor"], [p_b])
    circle_meeting = circles.plan_meeting(users["admin"], study_circle, make.future(3), make.future(3, hour=11), "Här")
    import json

    from ktc.network.models import NetworkDigest
    from ktc.network.operations import Filters, summary

    start, end = make.future(-60), make.future(-30)
    digest = NetworkDigest(period_start=start, period_end=end,
                           content_json=json.dumps(summary(Filters(start=start, end=end)), default=str))
    db.session.add(digest)
    from ktc.meetings.models import Meeting, NetworkMember

    member = NetworkMember(name="Vårdförbundet", status="member")
    meeting = Meeting(title="Nätverksträff", start_at=make.future(30), end_at=make.future(30, hour=11))
    db.session.add_all([member, meeting])
    from ktc.meetings.models import MeetingAction

    action = MeetingAction(meeting=meeting, text="Se över stationen", owner_kind="station", station=station)
    db.session.add(action)
    message = OutboxMessage(dedupe_key="m", kind="booking_confirmed", recipient=p_b.email, subject="Bokad",
                            body_text="Hej Bodil")
    closed = ClosedDay(centre=centre, day=make.future(40).date(), reason="Stängt")
    from ktc.sso.models import IdentityProvider

    provider = IdentityProvider(name="Gislaved – Entra ID", issuer="https://idp.example.org", client_id="ktc",
                                secret_env="KTC_OIDC_GISLAVED", organisations=[kommun])
    db.session.add_all([message, closed, provider])
    db.session.flush()
    feedback_b = make.feedback(session, booking_b)
    from ktc.planning.models import Need

    need_b = Need(unit=unit_b, skill=skill, month=make.future(40).date().replace(day=1), people=2)
    db.session.add(need_b)
    db.session.flush()
    token = issue_api_token(users["participant_b"])
    from ktc.accounts.models import ApiToken

    token_row = db.session.query(ApiToken).one()
    ids = {
        "participant_id": p_b.id, "booking_id": booking_b.id, "session_id": session.id, "unit_id": unit_b.id,
        "organisation_id": kommun.id, "org_id": kommun.id, "centre_id": centre.id, "station_id": station.id, "skill_id": skill.id,
        "series_id": series.id, "user_id": users["participant_b"].id, "profession_id": profession.id,
        "day": session.start_at.date().isoformat(), "digest_id": digest.id, "message_id": message.id, "feedback_id": feedback_b.id, "closed_day_id": closed.id, "token_id": token_row.id, "provider_id": provider.id,
        "member_id": member.id, "meeting_id": meeting.id, "action_id": action.id,
        "path_id": learning_path.id, "step_id": path_step.id, "assignment_id": assignment.id,
        "circle_id": study_circle.id, "circle_meeting_id": circle_meeting.id,
        "need_id": need_b.id, "instructor_id": users["instructor"].id,
    }
    users["_token_b"] = token
    db.session.commit()
    return users, ids


# GET endpoints whose page shows what the same sign-in just did: without it, the roles allowed are sent
# on (a team booking's result page sends to the booking form); the others still get 403 or 404.
SENT_ON_WITHOUT_STATE = {"bookings.result"}


def fill(rule, ids):
    def repl(match):
        name = match.group(2)
        return str(ids.get(name, 999999))

    return re.sub(r"<(?:int:)?(\w+:)?(\w+)>", repl, rule)


def login(client, user):
    with client.session_transaction() as sess:
        sess.clear()
        if user is not None:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True


def html_rules(app, method):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.rule.startswith("/api/") or method not in rule.methods:
            continue
        yield rule


def test_every_get_route_for_every_role(app, client, world):
    users, ids = world
    problems = []
    rules = list(html_rules(app, "GET"))
    missing = sorted({r.endpoint for r in rules} - set(GET_ALLOWED))
    assert not missing, f"add these endpoints to GET_ALLOWED: {missing}"
    for rule in rules:
        url = fill(rule.rule, ids)
        for role in ROLES:
            login(client, users.get(role))
            status = client.get(url).status_code
            if role == "anonymous":
                ok = status == 302
            elif role in GET_ALLOWED[rule.endpoint]:
                ok = status == (302 if rule.endpoint in SENT_ON_WITHOUT_STATE else 200)
            else:
                ok = status in (403, 404)
            if not ok:
                problems.append(f"{role:17} GET {url} -> {status}")
    assert not problems, "\n".join(problems)


POST_ALLOWED = {
    "accounts.logout": ALL,
    "accounts.activate_user": {"admin"},
    "accounts.deactivate_user": {"admin"},
    "accounts.set_user_password": {"admin"},
    "stations.add_closed_day": {"admin"},
    "stations.remove_closed_day": {"admin"},
    "accounts.revoke_token": {"participant_b"},
    "bookings.cancel": {"admin", "manager_b", "participant_b"},
    "calendar.renew": set(),
    "calendar.create": ALL,
    "calendar.settings": {"participant_a", "participant_b"},
    "mail.retry_failed": {"admin"},
    "mail.retry_message": {"admin"},
    "notices.mark_read": {"manager_a", "manager_b"},
    "meetings.join": {"network"},
    "meetings.approve": {"admin"},
    "meetings.add_contact": {"admin"},
    "meetings.leave": {"admin"},
    "meetings.set_coordinator": {"admin"},
    "meetings.cancel": {"admin"},
    "meetings.attendance": {"admin"},
    "meetings.answer": set(),
    "meetings.make_feed": {"admin", "network"},
    "meetings.add_action": {"admin"},
    "meetings.minutes": {"admin"},
    "meetings.close_action": {"admin"},
    "paths.move_step": {"admin"},
    "paths.delete_step": {"admin"},
    "paths.remove_assignment": {"admin", "manager_b"},
    "paths.complete_step": {"admin", "manager_b", "participant_b"},
    "paths.undo_step": {"admin", "manager_b"},
    "paths.cancel_meeting": {"admin", "instructor"},
    "planning.withdraw": {"admin", "manager_b"},
    "planning.decide": {"admin", "manager_a", "manager_b"},
    "planning.accept": {"admin"},
    "planning.revise": {"admin"},
    "privacy.erase": {"admin"},
    "records.complete": {"admin", "instructor"},
    "records.roster_all": {"admin", "instructor"},
    "sessions.cancel": {"admin"},
    "sessions.reinstate": {"admin"},
    "sso.local_passwords": {"admin"},
    "sso.scim_token": {"admin"},
}


def _counts():
    from sqlalchemy import func, select

    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables if t.name not in ("audit_log", "login_failures")}


def test_refused_posts_change_nothing(app, client, world):
    """Every POST route, for every role that may not use it: refused, and not one row changes."""
    users, ids = world
    problems = []
    for rule in html_rules(app, "POST"):
        allowed = POST_ALLOWED.get(rule.endpoint, GET_ALLOWED.get(rule.endpoint))
        assert allowed is not None, f"add {rule.endpoint} to POST_ALLOWED"
        url = fill(rule.rule, ids)
        for role in ROLES:
            if role in allowed:
                continue
            login(client, users.get(role))
            before = _counts()
            status = client.post(url, data={"reason": "x", "name": "X", "email": "x@example.org"}).status_code
            expected = (302,) if role == "anonymous" else (403, 404)
            if status not in expected or _counts() != before:
                problems.append(f"{role:17} POST {url} -> {status}")
    assert not problems, "\n".join(problems)
