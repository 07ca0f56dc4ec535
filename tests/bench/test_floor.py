"""The floor (bench/floor.py) keeps the booking guarantees it is the floor of: the quota per side,
capacity, one outbox row per booking, a manager books only their own people, a bad token is refused."""
import pytest
from sqlalchemy import func, select, text

from bench import floor
from ktc.accounts.operations import issue_api_token
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.sessions.models import Session


@pytest.fixture
def floor_client(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the floor is PostgreSQL's (INSERT … ON CONFLICT, make_interval), as the rush it is measured in")
    app = floor.create_app(database_url)
    floor.create_outbox(db.engine)
    yield app.test_client()
    app.extensions["floor_engine"].dispose()
    db.session.execute(text("DROP TABLE bench_floor_outbox"))
    db.session.commit()


def _setting(make):
    """A manager of a municipal and a regional unit, four of the first's people, one of the second's,
    one of another unit; a session of 4 seats, 1 held per side until the release (ten days away), so
    the municipal side may take 3; the manager's API token."""
    kommun, other = make.unit(side="municipal"), make.unit(side="municipal")
    region = make.unit(side="regional")
    manager = make.manager(kommun, region)
    municipal = [make.participant(kommun) for _ in range(4)]
    regional = make.participant(region)
    stranger = make.participant(other)
    session = make.session(capacity=4, min_per_side=1, release_before_hours=72)
    return kommun, municipal, regional, stranger, session, issue_api_token(manager)


def test_the_floor_books_within_capacity_and_the_quota_with_an_outbox_row_each(floor_client, make):
    _unit, municipal, regional, stranger, session, token = _setting(make)
    db.session.commit()

    def book(person, bearer=token):
        return floor_client.post(f"/api/v1/sessions/{session.id}/bookings", json={"participant_ids": [person.id]},
                                 headers={"Authorization": f"Bearer {bearer}"})

    answers = [book(p).get_json()["results"][0]["status"] for p in municipal]
    assert answers == ["confirmed"] * 3 + ["waitlisted"]
    assert book(regional).get_json()["results"][0]["status"] == "confirmed"
    assert book(stranger).status_code == 403
    assert book(regional).status_code == 409
    assert book(municipal[0], bearer="ktc_not-a-token").status_code == 401

    db.session.expire_all()
    seats = db.session.get(Session, session.id)
    held = db.session.execute(
        select(Booking.side, func.count()).where(Booking.session_id == session.id, Booking.status == "confirmed")
        .group_by(Booking.side)
    ).all()
    assert dict(held) == {"municipal": 3, "regional": 1}
    assert (seats.seats_municipal, seats.seats_regional) == (3, 1)
    assert db.session.execute(text("SELECT count(*) FROM bench_floor_outbox")).scalar() == 5


def test_the_guarded_floor_keeps_ktcs_guarantees(floor_client, make):
    """The guarded floor is what KTC's booking costs with every guarantee and no framework: it must
    really keep them, or the bench would credit the framework with work the guarded floor skips."""
    from ktc.audit.models import AuditEntry
    from ktc.calendar.models import CalendarStamp
    from ktc.mail.models import OutboxMessage

    kommun, municipal, regional, stranger, session, token = _setting(make)
    # The same hour at another station: booking a person there too is an overlap.
    clash = make.session(start=session.start_at, capacity=4)
    cancelled = make.session(start=session.end_at, capacity=4, status="cancelled")
    db.session.commit()
    session_id, clash_id, cancelled_id, unit_id = session.id, clash.id, cancelled.id, kommun.id

    def book(person, into=session_id):
        return floor_client.post(f"/guarded/sessions/{into}/bookings", json={"participant_ids": [person.id]},
                                 headers={"Authorization": f"Bearer {token}"})

    assert [book(p).get_json()["results"][0]["status"] for p in municipal] == ["confirmed"] * 3 + ["waitlisted"]
    assert book(regional).get_json()["results"][0]["status"] == "confirmed"
    assert book(stranger).status_code == 403
    assert book(regional).get_json()["results"][0]["code"] == "already_booked"
    assert book(regional, into=clash_id).get_json()["results"][0]["code"] == "overlap"
    other_person = make.participant(kommun)
    db.session.commit()
    assert book(other_person, into=cancelled_id).status_code == 409

    db.session.expire_all()
    rows = db.session.execute(
        select(Booking.side, Booking.status, func.count()).where(Booking.session_id.in_([session_id, clash_id,
                                                                                         cancelled_id]))
        .group_by(Booking.side, Booking.status)
    ).all()
    assert sorted(rows) == [("municipal", "confirmed", 3), ("municipal", "waitlisted", 1), ("regional", "confirmed", 1)]
    seats = db.session.get(Session, session_id)
    assert (seats.seats_municipal, seats.seats_regional) == (3, 1)
    booked = db.session.execute(select(Booking.id).where(Booking.session_id == session_id)).scalars().all()
    events = db.session.execute(select(OutboxMessage.kind).where(OutboxMessage.booking_id.in_(booked))).scalars()
    assert sorted(events) == ["booking_confirmed"] * 4 + ["booking_waitlisted"]
    audited = db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "booking.created", AuditEntry.object_id.in_(booked))).scalar()
    assert audited == 5
    # Four bookings of the unit's people: its feeds' stamp rose with each.
    assert db.session.get(CalendarStamp, f"unit:{unit_id}").version >= 4
    assert db.session.get(CalendarStamp, f"participant:{municipal[0].id}") is not None


def test_the_shell_books_through_ktcs_own_request_handling(floor_client, database_url, make, monkeypatch):
    """bench/shell.py is KTC's app with one route more: under KTC's production settings (CSRF on, as
    under gunicorn in the rush) a token books through it, or the rush would time refusals."""
    from bench.shell import SHELL_PATH, add_shell
    from ktc import create_app
    from ktc.extensions import csrf
    from tests.conftest import TEST_CONFIG, FreshContextClient

    # The shell's route is exempt from CSRF in the one CSRFProtect of every app: only for this test
    # (tests/security checks that no view of KTC's own is exempt, in whatever worker runs it next).
    monkeypatch.setattr(csrf, "_exempt_views", set(csrf._exempt_views))

    kommun, municipal, regional, stranger, session, token = _setting(make)
    db.session.commit()
    shell = add_shell(create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True}))
    shell.test_client_class = FreshContextClient
    url = SHELL_PATH.replace("<int:session_id>", str(session.id))
    client = shell.test_client()

    def book(person, bearer=token):
        return client.post(url, json={"participant_ids": [person.id]}, headers={"Authorization": f"Bearer {bearer}"})

    answers = [book(p) for p in municipal]
    assert [a.status_code for a in answers] == [201] * 4
    assert [a.get_json()["results"][0]["status"] for a in answers] == ["confirmed"] * 3 + ["waitlisted"]
    assert answers[-1].get_json()["results"][0]["code"] == "session_full"
    assert answers[-1].get_json()["seats"] == {"municipal": 3, "regional": 0, "free": 1, "waitlisted": 1}
    assert book(stranger).status_code == 403
    assert book(regional, bearer="ktc_not-a-token").status_code == 401
    with shell.app_context():
        db.engine.dispose()
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Booking)
                              .where(Booking.session_id == session.id)).scalar() == 4
