"""The sessions offered for a gap, a person's coming bookings per skill, the expiry digest's items and
the session link, at their edges (answers to mutants of ktc/records/operations.py)."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from ktc.extensions import db
from ktc.records import operations as ops
from ktc.records.operations import Cell, Matrix, MatrixRow

# A fixed clock far from the machine's: an operation that used the machine's clock would find
# every one of these sessions in the past.
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)


def test_sessions_offered_for_a_gap_at_the_cut_off_the_release_and_the_quota(app, make):
    assert app.config["KTC_BOOKING_CUTOFF_HOURS"] == 24
    skill = make.skill(code="INS")
    station = make.station(skills=[skill])

    def session(start, **kw):
        return make.session(station, start=start, skills=[skill], capacity=5, min_per_side=2,
                            release_before_hours=72, **kw)

    def municipal_at_quota(s):
        for _ in range(3):
            make.booking(s, make.participant(side="municipal"))
        return s

    # Created latest first: the offer is by start, not by creation.
    later = [session(NOW + timedelta(days=12 - i)) for i in range(4)][::-1]           # days 9–12
    held = [municipal_at_quota(session(NOW + timedelta(days=5 + i))) for i in range(3)]  # days 5–7
    released = municipal_at_quota(session(NOW + timedelta(hours=72)))   # its seats open this very moment
    # Sooner, but its seats are held until 24 hours before: not yet open to the municipal side.
    not_yet = municipal_at_quota(make.session(station, start=NOW + timedelta(hours=48), skills=[skill], capacity=5,
                                              min_per_side=2, release_before_hours=24))
    session(NOW + timedelta(hours=24))                                  # starts at the cut-off: too late
    session(NOW + timedelta(hours=50), status="cancelled")
    db.session.commit()

    result = ops.upcoming_sessions({(skill.id, "municipal"), (skill.id, "regional")}, now=NOW)
    ids = {side: [s.id for s in result[(skill.id, side)]] for side in ("municipal", "regional")}
    # The municipal side is at its quota in the held sessions until they are released.
    assert ids["municipal"] == [released.id, later[0].id, later[1].id]
    assert ids["regional"] == [not_yet.id, released.id, held[0].id]


def test_coming_bookings_per_skill_by_start_from_the_clock_given(make):
    skill = make.skill(code="HLR")
    station = make.station(skills=[skill])
    person = make.participant()
    late = make.booking(make.session(station, start=NOW + timedelta(days=20)), person)
    soon = make.booking(make.session(station, start=NOW + timedelta(days=2)), person, status="waitlisted")
    make.booking(make.session(station, start=NOW), person)          # starts now: not coming any more
    make.booking(make.session(station, start=NOW + timedelta(days=3)), person, status="cancelled")
    db.session.commit()
    assert ops.upcoming_by_skill(person, now=NOW) == {skill.id: [soon, late]}


def test_the_expiry_items_by_date_then_person_then_skill():
    def skill(id_, code, name):
        return SimpleNamespace(id=id_, code=code, name=name)

    cpr, lift = skill(1, "HLR", "Zebra"), skill(2, "LYFT", "Alfa")
    anna, bo = SimpleNamespace(name="Anna"), SimpleNamespace(name="Bo")
    day = date(2025, 4, 1)
    rows = [
        MatrixRow(bo, {1: Cell("expiring", day), 2: Cell("valid", date(2026, 1, 1))}),
        MatrixRow(anna, {2: Cell("expired", day), 1: Cell("expiring", day)}),
        MatrixRow(SimpleNamespace(name="Cia"), {1: Cell("expired", date(2025, 2, 1)), 2: Cell("missing")}),
    ]
    items = ops.expiry_items(Matrix([cpr, lift], rows, {}, date(2025, 3, 1), 60))
    assert [(p.name, s.code, c.status) for p, s, c in items] == [
        ("Cia", "HLR", "expired"), ("Anna", "HLR", "expiring"), ("Anna", "LYFT", "expired"),
        ("Bo", "HLR", "expiring")]


def test_the_session_link_relative_in_a_page_absolute_in_mail_and_jobs(app):
    with app.test_request_context("/"):
        assert ops.session_url(7) == "/sessions/7"
        assert ops.session_url(7, external=True) == "https://ktc.example.org/sessions/7"
    with app.app_context():
        assert ops.session_url(7) == "https://ktc.example.org/sessions/7"


def test_a_sign_off_is_dated_by_its_centres_time_zone(make):
    """22:30 UTC on 28 February is already 1 March in Helsinki (not yet in Stockholm)."""
    instructor = make.user("instructor")
    cpr = make.skill(code="HLR", refresh_months=12)
    station = make.station(make.centre(timezone="Europe/Helsinki"), skills=[cpr])
    session = make.session(station, start=datetime(2025, 2, 28, 22, 30, tzinfo=timezone.utc),
                           instructors=[instructor])
    anna = make.participant()
    make.booking(session, anna)
    db.session.commit()
    assert ops.session_local_date(session) == date(2025, 3, 1)
    ops.mark_all_attended_demonstrated(instructor, session, now=datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc))
    assert ops.session_records(session)[anna.id][cpr.id].valid_until == date(2026, 3, 1)
