"""Booking one person asks the database only what the booking needs: the token and its user in one
query, the manager's units once, the seat counters from the claim itself (UPDATE … RETURNING), the
person's own and overlapping bookings in one query, and nothing reloaded for the answer."""
import re

import pytest
from sqlalchemy import select

from bench import measure
from ktc.accounts.models import User
from ktc.accounts.operations import issue_api_token
from ktc.bookings.models import Booking
from ktc.extensions import db


@pytest.fixture
def team(make):
    _kommun, manager, people = make.team(2)
    session = make.session(capacity=4)
    token = issue_api_token(manager)
    db.session.commit()
    ids = (session.id, people[0].id, people[1].id)
    manager_id = manager.id
    db.session.remove()  # what the test reads below is not counted as the request's
    return manager_id, ids, token


def _tables(statements, verb, table):
    return [s for s in statements if re.match(rf"\s*{verb}\b", s) and re.search(rf"\b{table}\b", s)]


def test_booking_through_the_api_asks_for_token_user_units_and_seats_once(client, team):
    _manager, (session_id, first, _second), token = team
    with measure.counting_statements(db.engine) as seen:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [first]},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert response.get_json()["seats"]["municipal"] == 1
    selects = [s for s in seen if s.lstrip().startswith("SELECT")]
    # One SELECT reads the token (joined to its user); the user is not read again.
    assert len(_tables(selects, "SELECT", "api_tokens")) == 1
    assert not [s for s in selects if re.search(r"FROM users\b", s) and "api_tokens" not in s
                and "participant_id" not in s]
    # The manager's units come with the user, in the same query, not in one of their own.
    assert len(_tables(selects, "SELECT", "unit_managers")) == 1
    assert not [s for s in selects if re.match(r"SELECT unit_managers\.", s)]
    # The counters come back with the claim: the sessions table is read once (the session itself),
    # and the claim is one UPDATE (on PostgreSQL inside a WITH that also reads the counters when it
    # takes nothing).
    assert len([s for s in selects if re.search(r"FROM sessions\b", s)]) == 1
    assert len([s for s in seen if re.search(r"\bUPDATE sessions\b", s)]) == 1
    # How many wait comes with the session: the answer does not count the waiting list again.
    assert not [s for s in selects if re.search(r"count\(bookings\.id\)", s) and "FROM sessions" not in s]


def test_a_refused_claim_reads_the_counters_in_the_same_statement_on_postgresql(client, team):
    _manager, (session_id, first, second), token = team
    from ktc.sessions.models import Session

    db.session.get(Session, session_id).capacity = 1
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [first]}, headers=headers)
    db.session.remove()
    with measure.counting_statements(db.engine) as seen:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [second]},
                               headers=headers)
    assert response.status_code == 201
    assert [r["code"] for r in response.get_json()["results"]] == ["session_full"]
    assert response.get_json()["seats"] == {"municipal": 1, "regional": 0, "free": 0, "waitlisted": 1}
    counters = [s for s in seen if re.match(r"\s*SELECT sessions\.seats_municipal, sessions\.seats_regional\s", s)]
    # SQLite has no UPDATE inside a WITH: there the counters are read after the refused claim.
    assert len(counters) == (0 if db.engine.dialect.name == "postgresql" else 1)


def test_booking_through_the_form_reads_the_units_and_the_seats_once(client, login_as, team):
    manager_id, (session_id, _first, second), _token = team
    login_as(db.session.get(User, manager_id))
    db.session.remove()
    with measure.counting_statements(db.engine) as seen:
        response = client.post("/bookings/team", data={"session": session_id, "participant_ids": [second]})
    assert response.status_code == 303
    selects = [s for s in seen if s.lstrip().startswith("SELECT")]
    assert len(_tables(selects, "SELECT", "unit_managers")) == 1
    assert not [s for s in selects if re.match(r"SELECT unit_managers\.", s)]
    assert len([s for s in selects if re.search(r"FROM sessions\b", s)]) == 1
    # Person, unit and organisation come with the lock, not one lazy load each afterwards.
    assert not [s for s in selects if re.match(r"SELECT units\.", s) or re.match(r"SELECT organisations\.id, "
                                                                                  r"organisations\.name, "
                                                                                  r"organisations\.side, "
                                                                                  r"organisations\.org_number, "
                                                                                  r"organisations\.local_passwords, "
                                                                                  r"organisations\.created_at \nFROM "
                                                                                  r"organisations \nWHERE", s)]


def test_the_forms_result_page_reads_the_user_the_session_and_the_names_once_each(client, login_as, team):
    """The page a form booking sends to (Post/Redirect/Get) reads again only what it shows: the user
    (with the units they book for), the session with its place and seats, the people's names; the
    outcomes come with the cookie. Nothing is written, nothing locked."""
    manager_id, (session_id, first, second), _token = team
    login_as(db.session.get(User, manager_id))
    db.session.remove()
    location = client.post("/bookings/team", data={"session": session_id, "participant_ids": [first, second]}).location
    db.session.remove()
    with measure.counting_statements(db.engine) as seen:
        response = client.get(location)
    assert response.status_code == 200
    # Transaction control aside: on PostgreSQL the page ends with the check whether it wrote, then a
    # COMMIT (ktc.database.end_if_unwritten).
    statements = [s.lstrip() for s in seen
                  if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SELECT txid_current_if_assigned\(\))", s)]
    assert all(s.startswith("SELECT") and "FOR SHARE" not in s and "FOR UPDATE" not in s for s in statements)
    assert [len(_tables(statements, "SELECT", t)) for t in ("users", "unit_managers", "sessions", "participants")] \
        == [1, 1, 1, 1]
    assert len(statements) == 3  # the user comes with their units


@pytest.mark.parametrize("kind", ["api", "form"])
def test_a_booking_request_builds_no_orm_object_but_its_user(client, login_as, team, kind):
    """The session, the people and the new booking are read and kept as rows (SessionToBook, PersonToBook,
    NewBooking): building them as ORM objects cost a booking more than their statements. The only object
    the ORM loads or takes in is the signed-in user."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    manager_id, (session_id, first, second), token = team
    if kind == "form":
        login_as(db.session.get(User, manager_id))
        db.session.remove()
    built = []

    def loaded(target, _context):
        built.append(type(target).__name__)

    def taken_in(_session, instance):
        built.append(type(instance).__name__)

    event.listen(db.Model, "load", loaded, propagate=True)
    event.listen(OrmSession, "detached_to_persistent", taken_in)
    try:
        if kind == "api":
            response = client.post(f"/api/v1/sessions/{session_id}/bookings",
                                   json={"participant_ids": [first, second]}, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201
        else:
            response = client.post("/bookings/team", data={"session": session_id, "participant_ids": [first, second]})
            assert response.status_code == 303
    finally:
        event.remove(db.Model, "load", loaded)
        event.remove(OrmSession, "detached_to_persistent", taken_in)
    assert built == ["User"]
    assert db.session.execute(select(Booking.status).where(Booking.session_id == session_id)).scalars().all() == [
        "confirmed", "confirmed"]


@pytest.mark.parametrize("session_sequence", [0, 3])
def test_a_confirmed_booking_row_is_written_once_with_its_invitations_sequence(client, team, session_sequence):
    """The invitation's SEQUENCE goes into the booking's INSERT: no UPDATE of the row follows it.
    It is the one the queued invitation carries: above anything sent before for the session."""
    _manager, (session_id, first, _second), token = team
    from ktc.bookings.models import Booking
    from ktc.mail.models import OutboxMessage
    from ktc.sessions.models import Session

    db.session.get(Session, session_id).sequence = session_sequence
    db.session.commit()
    db.session.remove()
    with measure.counting_statements(db.engine) as seen:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [first]},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["results"][0]["status"] == "confirmed"
    assert len(_tables(seen, "INSERT", "bookings")) == 1
    assert not _tables(seen, "UPDATE", "bookings")
    booking = db.session.get(Booking, response.get_json()["results"][0]["booking_id"])
    (sent,) = db.session.query(OutboxMessage).filter_by(booking_id=booking.id, kind="booking_confirmed").all()
    assert booking.ical_sequence == sent.ics_sequence == max(session_sequence, 1)
    assert sent.ics_method == "REQUEST"


def _book_a_newcomer(client, make, session, taken):
    """`taken` municipal seats booked and, if any, one more municipal person waiting; then a manager
    books one more of the unit through the API. The answer and the statements it made."""
    kommun = make.unit(side="municipal")
    manager = make.manager(kommun)
    for person in (make.participant(kommun) for _ in range(taken)):
        make.booking(session, person)
    if taken:
        make.booking(session, make.participant(kommun), status="waitlisted")
    newcomer = make.participant(kommun)
    token = issue_api_token(manager)
    db.session.commit()
    session_id, newcomer_id = session.id, newcomer.id
    db.session.remove()
    with measure.counting_statements(db.engine) as seen:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [newcomer_id]},
                               headers={"Authorization": f"Bearer {token}"})
    return response, seen


def test_a_waiting_list_behind_seats_held_for_the_other_side_is_neither_read_nor_locked(client, make):
    """Two of three seats taken by the municipality, the third held for the region until the release,
    a municipal person already waiting: the next municipal booking goes onto the waiting list without
    reading that list, locking the session's row (which made every such booking wait for the one
    before it to commit), or asking whether anyone of the region waits: the session's query counted
    who waits per side, and nobody of the region did."""
    response, seen = _book_a_newcomer(client, make, make.session(
        capacity=3, min_per_side=1, start=make.future(days=30), release_before_hours=24), taken=2)
    assert [r["code"] for r in response.get_json()["results"]] == ["quota_reached"]
    assert response.get_json()["seats"] == {"municipal": 2, "regional": 0, "free": 1, "waitlisted": 2}
    # The people are locked (FOR UPDATE OF participants); the session's row is not, nor its queue read.
    assert not [s for s in seen if re.search(r"FROM sessions\b", s) and re.search(r"FOR UPDATE\s*$", s)]
    queue = r"\s*SELECT bookings\.id, bookings\.session_id, bookings\.participant_id"
    assert not [s for s in seen if re.match(queue, s)]
    assert not _asks_whether_anyone_waits(seen)
    # User, session (with who waits per side), people, own and overlapping bookings; SQLite reads the
    # counters after the refused claim (PostgreSQL reads them in the claim).
    assert len([s for s in seen if re.match(r"\s*SELECT", s)]) == (4 if db.engine.dialect.name == "postgresql" else 5)


def test_someone_of_the_side_with_room_who_waits_moves_up_when_the_next_booking_comes(client, make):
    """The same session, but a person of the region waits (their seat came free: an admin raised the
    capacity): the next booking, of the municipality, finds them and gives them the region's seat
    before it queues behind a full session. The per-side count is what tells the two cases apart."""
    session = make.session(capacity=3, min_per_side=1, start=make.future(days=30), release_before_hours=24)
    regional_person = make.participant(make.unit(side="regional"))
    make.booking(session, regional_person, status="waitlisted")
    db.session.flush()
    regional_id = regional_person.id
    response, seen = _book_a_newcomer(client, make, session, taken=2)
    assert [r["code"] for r in response.get_json()["results"]] == ["session_full"]
    assert response.get_json()["seats"] == {"municipal": 2, "regional": 1, "free": 0, "waitlisted": 2}
    assert _asks_whether_anyone_waits(seen)
    (status,) = db.session.execute(select(Booking.status).where(Booking.participant_id == regional_id)).one()
    assert status == "confirmed"


def _asks_whether_anyone_waits(statements):
    """Promotion's probe (seats._ANYONE_WAITING): one waiting booking's id, of the sides with a seat."""
    return [s for s in statements if re.match(r"\s*SELECT bookings\.id\s+FROM bookings\s+WHERE bookings\.session_id", s)]


@pytest.mark.parametrize("full", [False, True], ids=["nobody-waits", "full-session"])
def test_a_booking_asks_whether_anyone_waits_only_when_someone_could_move_up(client, make, full):
    """Nobody is looked for on the waiting list when the request began with it empty (a seat taken
    where nobody waits), nor when no side has a seat left (a full session: the newcomer joins the
    queue behind someone already waiting). Either way nobody could move up."""
    response, seen = _book_a_newcomer(client, make, make.session(capacity=2), taken=2 if full else 0)
    assert [r["status"] for r in response.get_json()["results"]] == ["waitlisted" if full else "confirmed"]
    assert not _asks_whether_anyone_waits(seen)


def test_the_booking_requests_argument_schema_is_not_made_anew_for_each_request(client, team, monkeypatch):
    """The API's argument schemas are instances made once (ApiBlueprint.arguments): given a schema
    class, webargs made a new instance, copying every field, on every request it parsed."""
    from ktc.api.bookings import TeamBookingInput

    _manager, (session_id, first, second), token = team
    made = []
    original = TeamBookingInput.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(TeamBookingInput, "__init__", counted)
    for person in (first, second):
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [person]},
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201
    assert made == []


def test_the_bookings_audit_entry_is_written_without_reading_anything_back(client, team):
    """The audit entry is an inline INSERT (ktc.audit._INSERT): without `.inline()` PostgreSQL's INSERT
    returned each new entry's id, which nobody reads (one in every booking request). On PostgreSQL
    it is a part (a WITH) of the transaction's last statement."""
    _manager, (session_id, first, _second), token = team
    with measure.counting_statements(db.engine) as seen:
        response = client.post(f"/api/v1/sessions/{session_id}/bookings", json={"participant_ids": [first]},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    (entry,) = [s for s in seen if "INSERT INTO audit_log" in s]
    assert "RETURNING audit_log" not in entry


def test_the_overlap_check_reads_only_what_the_persons_index_on_bookings_holds():
    """The person's own row and overlapping bookings are found from the index on (participant,
    session, status) alone: PostgreSQL can then answer the bookings' side without visiting a heap
    page per booking the person ever had (a column outside the index, such as the booking's id,
    sends it to every one of them)."""
    from sqlalchemy.sql import visitors

    from ktc.bookings.operations import _OWN_AND_OVERLAPPING

    (index,) = [i for i in Booking.__table__.indexes if i.name == "ix_bookings_participant_session_status"]
    read = {c.name for c in visitors.iterate(_OWN_AND_OVERLAPPING)
            if getattr(c, "table", None) is Booking.__table__ and hasattr(c, "name")}
    assert read and read <= {c.name for c in index.columns}


def test_the_people_to_book_are_read_with_one_statement_text_whatever_their_number(app, make):
    """The ticked people and the manager's units are lists bound when the statement runs. On
    PostgreSQL each is one array parameter, so a team of two and a team of four are the same
    statement (an expanding IN was rewritten at every execution, a parameter per person and unit);
    one person, the usual booking, has a statement of its own (`= :ids`, see the next test);
    either way exactly the manager's own people are read, with their side."""
    from ktc.bookings.operations import bookable_participants

    kommun, other_kommun, elsewhere = make.unit(side="municipal"), make.unit(side="municipal"), make.unit()
    manager = make.manager(kommun, other_kommun)
    ours = [make.participant(kommun), make.participant(other_kommun), make.participant(kommun)]
    stranger = make.participant(elsewhere)
    db.session.commit()
    ours, stranger = [p.id for p in ours], stranger.id
    texts = []
    with app.test_request_context():
        for team in (ours[:2], [*ours, stranger], [ours[0]], [ours[0], ours[0]]):
            with measure.counting_statements(db.engine) as seen:
                people = bookable_participants(manager, ids=team, to_book=True)
                assert {p.side for p in people} == {"municipal"}
            texts.append([s for s in seen if "FROM participants" in s])  # not the manager's reload
            assert sorted(p.id for p in people) == sorted(set(team) - {stranger})
            db.session.rollback()
    assert [len(t) for t in texts] == [1, 1, 1, 1]
    if db.engine.dialect.name == "postgresql":
        assert texts[0] == texts[1] and texts[2] == texts[3]
        assert "participants.id = ANY (" in texts[0][0]
        assert "participants.id = %(ids)s" in texts[2][0]


def test_postgresql_keeps_one_plan_for_locking_one_person_to_book(app, make):
    """On a table of realistic size PostgreSQL plans `id = ANY(:ids)` anew at every execution (its
    generic plan for a list of unknown length looks dearer than one made for the list at hand):
    about 0.5 ms of the server's CPU per booking. The statement for one person is planned once per connection and its
    plan kept; the one for a team still takes the list it is given."""
    from sqlalchemy import text

    from ktc.api.bookings import _people
    from ktc.bookings.operations import _bookable_to_book
    from ktc.database import one_of_bind

    from ktc.organisations.models import Participant

    if db.engine.dialect.name != "postgresql":
        pytest.skip("plans kept per connection are PostgreSQL's (pg_prepared_statements)")
    kommun = make.unit(side="municipal")
    people = [make.participant(kommun) for _ in range(3)]
    # A centre's staff, not a handful: with a few rows any plan is as cheap as any other.
    db.session.execute(Participant.__table__.insert(), [
        {"name": f"Staff {i}", "unit_id": kommun.id, "active": True, "calendar_delivery": "invitations"}
        for i in range(3000)])
    db.session.commit()
    db.session.execute(text("ANALYZE participants, units, organisations"))
    db.session.commit()
    ids, units = [p.id for p in people], [kommun.id]
    _single, one = one_of_bind(ids[:1], "postgresql")

    def plans(stmt, params, times=25):
        """(generic, custom) plans PostgreSQL made for the statement over `times` executions, prepared
        by the driver as it is after a few (psycopg's prepare_threshold)."""
        connection = db.session.connection()
        for _ in range(times):
            connection.execute(stmt, params).all()
        # The statement as the driver prepared it, its parameters ($1, $2 …) matched by LIKE's wildcard.
        sql = re.sub(r"%\(\w+\)s", "%", str(stmt.compile(dialect=db.engine.dialect)))
        row = connection.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE :sql"
        ), {"sql": sql}).all()
        db.session.rollback()
        return row

    single = plans(_people("postgresql", True), {"ids": one})
    team = plans(_people("postgresql", False), {"ids": ids})
    assert len(single) == len(team) == 1
    (generic, custom), = single
    assert generic > custom, "one person: the generic plan is kept"
    (generic, custom), = team
    assert custom > generic, "a team: planned for its list each time"
    form = plans(_bookable_to_book(False, "postgresql", True), {"ids": one, "units": units})
    (generic, custom), = form
    assert generic > custom, "the form's one person, in the manager's units: the generic plan is kept"
