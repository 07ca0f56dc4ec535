"""Export, erasure and retention of personal data."""
import json
from datetime import date, timedelta

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.database import utcnow
from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.mail.models import OutboxMessage
from ktc.organisations.models import Participant
from ktc.privacy.jobs import purge_personal_data
from ktc.records.models import SkillRecord


def _history(make, person):
    session = make.session(start=make.future(-20), status="completed")
    booking = make.booking(session, person, status="attended")
    record = SkillRecord(participant=person, skill=session.skills[0], session=session, outcome="demonstrated",
                         comment="Säker på KAD-skötsel, Anna Andersson", valid_until=date.today() + timedelta(days=300))
    feedback = Feedback(booking=booking, session=session, side=booking.side, token_hash="x" * 64,
                        responded_at=utcnow(), overall=5, confidence_before=2, confidence_after=4,
                        take_back="Ring mig på 070-1234567")
    db.session.add_all([record, feedback])
    db.session.flush()
    return session, booking, record, feedback


def test_participant_exports_own_data_only(client, make, login_as):
    me = make.participant(name="Anna Andersson", email="anna@example.org")
    other = make.participant(name="Bertil Berg")
    _history(make, me)
    user = make.participant_user(me)
    login_as(user)
    response = client.get("/privacy/me/export")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["participant"]["name"] == "Anna Andersson"
    assert data["bookings"][0]["status"] == "attended"
    assert data["skill_records"][0]["outcome"] == "demonstrated"
    assert data["feedback"][0]["overall"] == 5
    assert client.get(f"/privacy/participants/{other.id}/export").status_code == 404


def test_manager_exports_only_own_units_staff(client, make, login_as):
    unit_a, unit_b = make.unit(), make.unit()
    mine, theirs = make.participant(unit_a), make.participant(unit_b)
    login_as(make.manager(unit_a))
    assert client.get(f"/privacy/participants/{mine.id}/export").status_code == 200
    assert client.get(f"/privacy/participants/{theirs.id}/export").status_code == 404


def test_erase_anonymises_and_keeps_statistics(client, make, login_as):
    person = make.participant(name="Anna Andersson", email="anna@example.org")
    session, booking, record, feedback = _history(make, person)
    make.participant_user(person)
    db.session.add(OutboxMessage(dedupe_key="k", kind="x", recipient="anna@example.org", subject="s", body_text="b"))
    admin = make.user("admin")
    login_as(make.manager(person.unit))
    assert client.post(f"/privacy/participants/{person.id}/erase").status_code == 403
    login_as(admin)
    assert client.post(f"/privacy/participants/{person.id}/erase").status_code == 302
    db.session.expire_all()
    person = db.session.get(Participant, person.id)
    assert person.name == "Anonymiserad" and person.email is None and person.anonymised_at
    assert db.session.get(Booking, booking.id).status == "attended"  # statistics stay
    assert db.session.get(SkillRecord, record.id).outcome == "demonstrated"
    assert db.session.get(SkillRecord, record.id).comment == ""
    fb = db.session.get(Feedback, feedback.id)
    assert (fb.overall, fb.confidence_after, fb.take_back, fb.booking_id) == (5, 4, "", None)
    account = db.session.query(User).filter_by(role="participant").one()
    assert not account.active and "anna" not in account.email
    assert db.session.query(OutboxMessage).filter_by(recipient="anna@example.org").count() == 0
    dump = json.dumps([r.details for r in db.session.execute(db.text("SELECT details FROM audit_log"))])
    assert "Anna" not in dump


def test_retention_purge(app, make):
    old = make.participant(name="Gammal Person", active=False)
    recent = make.participant(name="Ny Person", active=False)
    active = make.participant(name="Aktiv Person")
    long_ago = utcnow() - timedelta(days=app.config["KTC_RETENTION_DAYS"] + 10)
    old.updated_at = long_ago
    active.updated_at = long_ago
    db.session.commit()
    db.session.execute(db.update(Participant).where(Participant.id.in_([old.id, active.id])).values(updated_at=long_ago))
    db.session.commit()
    assert purge_personal_data() == 1
    db.session.expire_all()
    assert db.session.get(Participant, old.id).name == "Anonymiserad"
    assert db.session.get(Participant, recent.id).name == "Ny Person"
    assert db.session.get(Participant, active.id).name == "Aktiv Person"
    assert purge_personal_data() == 0


def test_the_export_holds_the_persons_paths_certificate_and_study_circles(client, make, login_as):
    from ktc.paths import circles
    from ktc.paths import operations as paths

    me = make.participant(name="Anna Andersson", email="anna@example.org")
    other = make.participant(name="Bertil Berg")
    path = paths.create_path("Psyk E-bas")
    film = paths.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    second = paths.create_path("Första året")
    paths.add_step(second, "module", title="Introduktion", url="https://example.org/intro", due_days=10)
    start = date.today() - timedelta(days=40)
    paths.assign(None, path, [me, other], start)
    paths.assign(None, second, [me], start)
    facilitator = make.user("instructor", name="Frida Handledare")
    circle = circles.create_circle("Psyk E-bas Gislaved", path, facilitator, [me, other])
    meeting = circles.plan_meeting(facilitator, circle, make.future(-3, hour=13), make.future(-3, hour=15),
                                   "Vårdcentralen, konferensrummet", "Föreläsning 1", [film.id])
    circles.record_meeting(facilitator, meeting, {me.id}, {(me.id, film.id)})
    login_as(make.participant_user(me))
    data = json.loads(client.get("/privacy/me/export").data)
    by_path = {p["path"]: p for p in data["learning_paths"]}
    assert set(by_path) == {"Psyk E-bas", "Första året"}
    done = by_path["Psyk E-bas"]
    assert done["start_date"] == start.isoformat() and done["source"] == "manual"
    assert [(s["title"], s["status"]) for s in done["steps"]] == [("Föreläsning 1", "done")]
    assert done["certificate"] == {"completed_on": done["steps"][0]["done_on"]}
    late = by_path["Första året"]
    assert late["steps"][0]["status"] == "late" and late["certificate"] is None
    assert data["study_circles"] == [{"name": "Psyk E-bas Gislaved", "path": "Psyk E-bas",
                                      "facilitator": "Frida Handledare"}]
    (attended,) = data["circle_meetings"]
    assert attended["attended"] is True and attended["location"] == "Vårdcentralen, konferensrummet"
    assert "Bertil Berg" not in json.dumps(data)
