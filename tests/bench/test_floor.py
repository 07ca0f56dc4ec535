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


def test_the_floor_books_within_capacity_and_the_quota_with_an_outbox_row_each(floor_client, make):
    kommun, other = make.unit(side="municipal"), make.unit(side="municipal")
    region = make.unit(side="regional")
    manager = make.manager(kommun, region)
    municipal = [make.participant(kommun) for _ in range(4)]
    regional = make.participant(region)
    stranger = make.participant(other)
    # 4 seats, 1 held per side until the release (ten days away): the municipal side may take 3.
    session = make.session(capacity=4, min_per_side=1, release_before_hours=72)
    token = issue_api_token(manager)
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
