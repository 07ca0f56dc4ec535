"""The team bookings list (ktc/bookings/team.py) pinned down after mutation testing (issue 18,
docs/MUTATION.md): whose bookings a manager sees in every view and in the CSV, and the edges of
"coming" and of a day."""
from datetime import date, timedelta

import pytest

from ktc.bookings.team import TeamFilters, count_team_bookings, team_bookings
from ktc.extensions import db

PAGE = "/bookings/team/bookings"


@pytest.fixture
def team(make):
    org = make.organisation("municipal", name="Gislaveds kommun")
    unit = make.unit(org, name="Hemsjukvården Gislaved")
    other = make.unit(org, name="Korttidsboendet Anderstorp")
    make.unit(org, name="Hemtjänsten Reftele")  # a unit without bookings: joins must not repeat rows
    manager = make.manager(unit, name="Maja Chef")
    admin = make.user("admin")
    anna = make.participant(unit, name="Anna Andersson")
    outsider = make.participant(other, name="Olle Utanför")
    station = make.plain_station()
    coming = make.session(station, start=make.future(10))
    make.booking(coming, anna)
    make.booking(coming, outsider)
    make.booking(coming, make.participant(unit, name="Bo Berg"), status="waitlisted")
    make.booking(coming, make.participant(other, name="Olga Utanför"), status="waitlisted")
    past = make.completed_session(station, start=make.future(-20))
    make.booking(past, anna, status="attended")
    make.booking(past, outsider, status="attended")
    make.booking(past, make.participant(unit, name="Cilla Avbokad"), status="cancelled", cancel_reason="Sjuk")
    db.session.commit()
    return type("T", (), locals())


@pytest.mark.parametrize("view, mine", [
    ("upcoming", ["Anna Andersson", "Bo Berg"]), ("waitlisted", ["Bo Berg"]), ("past", ["Anna Andersson"]),
])
def test_a_managers_list_count_and_csv_hold_their_units_people_only(client, login_as, team, view, mine):
    """Mutants: the view's conditions replacing the visibility condition instead of adding to it; a
    cancelled booking counted as one that took place."""
    assert sorted(b.participant.name for b in team_bookings(team.manager, TeamFilters(view=view))) == mine
    assert count_team_bookings(team.manager, TeamFilters(view=view)) == len(mine)
    login_as(team.manager)
    csv = client.get(PAGE, query_string={"view": view, "format": "csv"}).get_data(as_text=True)
    assert "Utanför" not in csv and all(name in csv for name in mine)


def test_an_admin_sees_every_units_bookings(team):
    """Mutant: `is_admin(None)` (an admin treated as a manager of no unit saw nothing)."""
    names = sorted(b.participant.name for b in team_bookings(team.admin, TeamFilters()))
    assert names == ["Anna Andersson", "Bo Berg", "Olga Utanför", "Olle Utanför"]


def test_a_manager_of_no_unit_sees_no_bookings_not_unit_ones(make):
    """Mutant: `managed_unit_ids(actor) or {1}` (a manager without units saw unit 1's bookings)."""
    first = make.unit(id=1, name="Enhet ett")
    make.booking(make.session(make.plain_station(), start=make.future(5)), make.participant(first, name="Ingrid Ett"))
    manager = make.manager(name="Maja Utan Enhet")
    db.session.commit()
    assert team_bookings(manager, TeamFilters()) == []
    assert count_team_bookings(manager, TeamFilters(view="all")) == 0


def test_a_session_ending_this_moment_is_still_coming_and_not_yet_past(team):
    """Mutants: `end_at > now` instead of `>=` in the coming and waiting views, `<=` in the past view."""
    def names(view, now):
        return sorted(b.participant.name for b in team_bookings(team.manager, TeamFilters(view=view), now=now))

    end = team.coming.end_at
    assert names("upcoming", end) == ["Anna Andersson", "Bo Berg"]
    assert names("waitlisted", end) == ["Bo Berg"]
    assert names("past", end) == ["Anna Andersson"]  # the session of 20 days ago only
    just_after = end + timedelta(microseconds=1)
    assert names("upcoming", just_after) == [] and names("waitlisted", just_after) == []
    assert names("past", just_after) == ["Anna Andersson", "Anna Andersson", "Bo Berg"]


def test_the_unit_filter_keeps_that_units_people(team):
    """Mutants: the unit filter dropped or inverted."""
    found = team_bookings(team.admin, TeamFilters(view="all", unit_id=team.other.id))
    assert sorted(b.participant.name for b in found) == ["Olga Utanför", "Olle Utanför", "Olle Utanför"]


def test_a_day_starts_at_local_midnight(make, team):
    """Mutants: the period's first day starting at 01:00 (a session at half past midnight left out),
    and its last day ending a day late."""
    late = make.session(team.station, start=make.local(2031, 3, 4, 0, 30))
    make.booking(late, team.anna)
    db.session.commit()
    found = team_bookings(team.manager, TeamFilters(view="all", start=date(2031, 3, 4), end=date(2031, 3, 4)))
    assert [b.session_id for b in found] == [late.id]
    # The days before it end at its midnight (mutant: the last day's end a day later).
    assert team_bookings(team.manager, TeamFilters(view="all", start=date(2031, 3, 2), end=date(2031, 3, 3))) == []


def test_coming_bookings_in_start_order_others_newest_first_and_pages_of_them(make, team):
    """Mutants: the order of the views swapped or lost, the page's limit or offset dropped, paging
    turned off (`limit is None`)."""
    later = make.session(team.station, start=make.future(40))
    older = make.completed_session(team.station, start=make.future(-40))
    make.booking(later, team.anna)
    make.booking(older, team.anna, status="attended")
    db.session.commit()

    def sessions(view, **page):
        return [b.session_id for b in team_bookings(team.manager, TeamFilters(view=view), **page)]

    assert sessions("upcoming") == [team.coming.id, team.coming.id, later.id]
    assert sessions("waitlisted") == [team.coming.id]
    assert sessions("past") == [team.past.id, older.id]
    assert sessions("all") == [later.id, team.coming.id, team.coming.id, team.past.id, team.past.id, older.id]
    assert sessions("upcoming", limit=2) == [team.coming.id, team.coming.id]
    assert sessions("upcoming", limit=2, offset=2) == [later.id]
    assert sessions("past", limit=1, offset=1) == [older.id]


def test_cancel_is_offered_for_coming_and_waiting_bookings_until_the_cut_off_admins_until_the_start(make, team):
    """Mutants: a waiting booking not offered; the start and the cut-off themselves still offered; an
    admin refused after the cut-off."""
    from ktc.bookings.operations import cutoff_at
    from ktc.bookings.team import may_cancel

    confirmed, waiting = (b for b in team_bookings(team.manager, TeamFilters()) if b.participant.name in (
        "Anna Andersson", "Bo Berg"))
    assert may_cancel(team.manager, waiting) and may_cancel(team.manager, confirmed)
    cutoff = cutoff_at(team.coming)
    assert may_cancel(team.manager, confirmed, now=cutoff - timedelta(microseconds=1))
    assert not may_cancel(team.manager, confirmed, now=cutoff)
    assert may_cancel(team.admin, confirmed, now=cutoff)
    assert not may_cancel(team.admin, confirmed, now=team.coming.start_at)


def test_the_person_filter_does_not_offer_an_anonymised_person(make, team):
    """Mutant: the person filter without `anonymised_at IS NULL`."""
    from ktc.bookings.team import filter_person
    from ktc.database import utcnow

    assert filter_person(team.manager, team.anna.id) == team.anna
    team.anna.anonymised_at = utcnow()
    db.session.commit()
    assert filter_person(team.manager, team.anna.id) is None


def test_waiting_bookings_in_start_order(make, team):
    """Mutants: "waitlisted" missing from the coming views' order (the waiting view newest first)."""
    later = make.session(team.station, start=make.future(40))
    sooner = make.session(team.station, start=make.future(3))
    make.booking(later, make.participant(team.unit, name="Disa Dal"), status="waitlisted")
    make.booking(sooner, make.participant(team.unit, name="Erik Ek"), status="waitlisted")
    db.session.commit()
    names = [b.participant.name for b in team_bookings(team.manager, TeamFilters(view="waitlisted"))]
    assert names == ["Erik Ek", "Bo Berg", "Disa Dal"]


def test_a_page_past_the_end_is_empty(make):
    """Mutant: `page or [1]` (a page past the last booking showed booking 1)."""
    unit = make.unit(name="Hemsjukvården Gislaved")
    manager = make.manager(unit, name="Maja Chef")
    make.booking(make.session(make.plain_station(), start=make.future(5)),
                 make.participant(unit, name="Anna Andersson"), id=1)
    db.session.commit()
    assert [b.id for b in team_bookings(manager, TeamFilters(), limit=10)] == [1]
    assert team_bookings(manager, TeamFilters(), limit=10, offset=1) == []
    assert count_team_bookings(manager, TeamFilters()) == 1


@pytest.mark.parametrize("person_id", [1, 63, 2**31 - 1])
def test_the_person_filter_takes_any_id_the_column_holds(make, person_id):
    """Mutants of the id bounds: `1 < id` (person 1 ignored), `id < 2 * 31` (people above 62 ignored)."""
    from ktc.bookings.team import filter_person

    unit = make.unit(name="Hemsjukvården Gislaved")
    manager = make.manager(unit, name="Maja Chef")
    person = make.participant(unit, name="Anna Andersson", id=person_id)
    db.session.commit()
    assert filter_person(manager, person_id) == person


@pytest.mark.parametrize("person_id", [0, -1, 2**31, 3**31, 10**20])
def test_the_person_filter_answers_no_person_outside_the_column(client, login_as, make, person_id):
    """An id the column cannot hold is no person (never a database error); the page answers as for a
    person this manager may not see (0 is the picker's "nobody chosen")."""
    from ktc.bookings.team import filter_person

    unit = make.unit(name="Hemsjukvården Gislaved")
    manager = make.manager(unit, name="Maja Chef")
    db.session.commit()
    assert filter_person(manager, person_id) is None
    login_as(manager)
    assert client.get(PAGE, query_string={"person": person_id}).status_code == (200 if person_id == 0 else 404)
