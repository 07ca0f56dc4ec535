"""The busiest pages run the same number of SQL statements whatever the amount of data.

The benchmark's own generator fills the database at two sizes, ten times apart (30 and 300
participants, with sessions, bookings, records and feedback in proportion), and every page is
requested at both sizes with a statement counter on the engine.
"""
from dataclasses import replace

import pytest

from bench import measure
from bench.generate import Plan, generate
from ktc.calendar import operations
from ktc.extensions import db

# 30 and 300 participants; the manager's own unit grows ten times too (3 and 30 staff).
SMALL = replace(Plan.scaled(0.0015), big_unit_staff=3)
LARGE = replace(Plan.scaled(0.015), big_unit_staff=30)


def _counts(app, plan):
    generated = generate(plan, seed=11)
    assert generated.counts["participants"] == plan.participants
    targets = measure.find_targets(generated.__dict__)
    engine = db.engine
    pages = {
        "week": (targets.admin, f"/sessions/week?centre={targets.centre_id}&week={targets.week}"),
        "week one station": (targets.admin,
                             f"/sessions/week?centre={targets.centre_id}&station={targets.station_id}&week={targets.week}"),
        "dashboard": (targets.admin, "/"),
        "team": (targets.manager, f"/bookings/team?session={targets.team_session_id}"),
        "matrix": (targets.manager, f"/records/matrix?unit={targets.unit_id}"),
        "team bookings": (targets.manager, "/bookings/team/bookings?view=all"),
        "staff search": (targets.admin, "/organisations/staff/search?q=a"),
        "staff search (manager)": (targets.manager, "/organisations/staff/search?q=a"),
        "network": (targets.network, f"/network/?date_from={targets.date_from}&date_to={targets.date_to}"),
        "participant feed": (None, f"/calendar/feed/{targets.participant_feed_token}.ics"),
        "unit feed": (None, f"/calendar/feed/{targets.unit_feed_token}.ics"),
    }
    counts, sizes = {}, {}
    operations.clear_caches()  # the feeds are built here, not answered from an earlier build
    for name, (user, url) in pages.items():
        client = app.test_client()  # a cookie jar of its own per user
        if user is not None:
            measure.login(client, user)
        _ms, counts[name], response = measure.timed(client, engine, "GET", url)
        assert response.status_code == 200, (name, response.status_code)
        sizes[name] = len(response.get_data())
        if name == "team":
            # The manager's own staff, not everyone (each login is the user it says).
            ticks = response.get_data(as_text=True).count('name="participant_ids"')
            assert 0 < ticks <= plan.big_unit_staff
    _ms, counts["feed 304"], response = measure.timed(
        client, engine, "GET", pages["unit feed"][1], headers={"If-None-Match": response.headers["ETag"]})
    assert response.status_code == 304

    (session_id, participant_id), = measure.booking_slots(targets.manager, targets.unit_id, 1)
    client = app.test_client()
    measure.login(client, targets.manager)
    _ms, counts["booking"], response = measure.timed(
        client, engine, "POST", "/bookings/team", data={"session": session_id, "participant_ids": [participant_id]})
    assert response.status_code == 303
    _ms, counts["booking result"], response = measure.timed(client, engine, "GET", response.location)
    assert response.status_code == 200 and "1 bekräftade" in response.get_data(as_text=True)
    db.session.expire_all()
    return counts, sizes, generated.counts


@pytest.fixture
def two_sizes(app):
    """Page statement counts at the small size, then (database emptied) at ten times the size."""
    from tests.conftest import _empty_all_tables

    small = _counts(app, SMALL)
    db.session.remove()
    _empty_all_tables()
    large = _counts(app, LARGE)
    return small, large


def test_statements_per_page_do_not_grow_with_the_data(two_sizes):
    (small, small_sizes, small_rows), (large, large_sizes, large_rows) = two_sizes
    # The data really is ten times larger, and the pages show more of it.
    assert large_rows["participants"] == 10 * small_rows["participants"]
    assert large_rows["bookings"] >= 8 * small_rows["bookings"]
    assert large_rows["skill_records"] >= 8 * small_rows["skill_records"]
    assert large_sizes["unit feed"] > small_sizes["unit feed"]
    assert large_sizes["matrix"] > small_sizes["matrix"]
    assert large_sizes["team bookings"] > small_sizes["team bookings"]
    assert large_sizes["dashboard"] > small_sizes["dashboard"]
    assert large == small, {name: (small[name], large[name]) for name in small if small[name] != large[name]}
    # And the counts are small: a handful per page; the booking is a few per person booked.
    assert max(count for name, count in large.items() if name != "booking") <= 25
    assert large["booking"] <= 40
