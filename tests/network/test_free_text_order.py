"""Free-text groups come in station-name order, whatever order the stations were made in (issue 18).

Mutation testing (docs/MUTATION.md): sorting the groups by station id instead passed every test
but the slow reference comparison, which ran out of time.
"""
from datetime import date

from ktc.network.operations import make_filters, summary
from ktc.network.stats import rebuild_session_stats


def test_free_text_groups_are_in_station_name_order(make):
    for name in ("Övre station", "akutrummet", "Bäddrummet"):
        station = make.plain_station(name=name)
        session = make.completed_session(station, start=make.local(2024, 3, 5, 9))
        for i in range(5):
            booking = make.booking(session, make.participant(name=f"Deltagare {i}"), status="attended")
            make.feedback(session, booking, take_back=f"Lärde mig {name}")
    rebuild_session_stats()
    groups = summary(make_filters(date(2024, 3, 1), date(2024, 3, 31)))["free_text"]
    assert [g["station"].split(" (")[0] for g in groups] == ["akutrummet", "Bäddrummet", "Övre station"]
