"""Figures nobody had count zero, in every row of the network view (mutation testing, docs/MUTATION.md).

The scenario in tests/network/scenario.py has both sides in every station's month and feedback
everywhere; a month where one side stayed away and nobody was asked for feedback must show 0 for
them, not a person or a request that never was.
"""
from datetime import date

from ktc.network.operations import make_filters, summary
from ktc.network.stats import rebuild_session_stats
from tests.network.scenario import attended, demonstrated


def test_a_side_that_stayed_away_and_unasked_feedback_count_zero(db, make):
    centre = make.centre(name="KTC Västra")
    skill = make.skill(code="INJ", name="Injektioner")
    station = make.station(centre, skills=[skill], name="Injektion")
    session = make.completed_session(station, start=make.local(2024, 4, 9, 9))
    first = attended(session, "municipal")
    attended(session, "municipal")
    demonstrated(first, skill)
    rebuild_session_stats()

    data = summary(make_filters(date(2024, 4, 1), date(2024, 4, 30)))

    rows = [data["totals"], *data["by_station"], *data["by_centre"], *data["by_period"], *data["by_skill"]]
    assert len(rows) == 5
    for row in rows:
        assert (row["participants_municipal"], row["participants_regional"]) == (2, 0), row
        assert row["feedback_requests"] == 0, row
        assert row["sessions"] == 1 and row["sessions_both_sides"] == 0 and row["share_both_sides"] == 0.0, row
    # Only the side that came is listed.
    assert [row["key"] for row in data["by_side"]] == ["municipal"]
    assert data["by_side"][0]["participants_regional"] == 0
    assert data["by_side"][0]["feedback_requests"] == 0
    assert data["totals"]["skills_demonstrated"] == 1


def test_a_session_nobody_attended_counts_for_neither_side(db, make):
    station = make.station(make.centre(name="KTC Norra"), skills=[make.skill(code="HLR", name="HLR")], name="HLR")
    make.completed_session(station, start=make.local(2024, 5, 7, 9))
    rebuild_session_stats()

    data = summary(make_filters(date(2024, 5, 1), date(2024, 5, 31)))

    for row in (data["totals"], *data["by_station"], *data["by_skill"]):
        assert (row["sessions"], row["sessions_both_sides"], row["share_both_sides"]) == (1, 0, 0.0), row
        assert (row["participants_municipal"], row["participants_regional"]) == (0, 0), row
    assert data["by_side"] == []


def test_per_skill_a_gain_of_zero_is_zero_and_an_unasked_question_has_no_average(db, make):
    skill = make.skill(code="PVK", name="Perifer venkateter")
    station = make.station(make.centre(name="KTC Södra"), skills=[skill], name="PVK")
    session = make.completed_session(station, start=make.local(2024, 6, 4, 9))
    for _ in range(5):
        # Confident before and after (a gain of 0); the relevance question left unanswered.
        make.feedback(session, attended(session, "regional"), overall=4, relevance=None,
                      confidence_before=3, confidence_after=3)
    rebuild_session_stats()

    data = summary(make_filters(date(2024, 6, 1), date(2024, 6, 30)))

    for row in (data["totals"], *data["by_skill"], *data["by_station"]):
        assert row["suppressed"] is False and row["responses"] == 5, row
        assert (row["overall"], row["confidence_before"], row["confidence_after"]) == (4, 3, 3), row
        assert row["confidence_gain"] == 0, row
        assert row["relevance"] is None, row


def _one_sided_session(make, month):
    skill = make.skill(code=f"S{month}", name=f"Färdighet {month}")
    station = make.station(make.centre(name=f"KTC {month}"), skills=[skill], name=f"Station {month}")
    session = make.completed_session(station, start=make.local(2024, month, 10, 9))
    attended(session, "municipal")
    # Booked from the region, marked absent afterwards.
    absent = make.booking(session, make.participant(side="regional"), status="no_show")
    return skill, session, absent


def _sides(month):
    data = summary(make_filters(date(2024, month, 1), date(2024, month, 28)))
    return {row["key"]: row for row in data["by_side"]}


def test_a_side_is_listed_for_a_skill_demonstrated_without_attendance(db, make):
    skill, _session, absent = _one_sided_session(make, 7)
    demonstrated(absent, skill)  # signed off, then the attendance was corrected to absent
    rebuild_session_stats()

    regional = _sides(7)["regional"]

    assert (regional["sessions"], regional["sessions_both_sides"], regional["participants_regional"]) == (0, 0, 0)
    assert regional["skills_demonstrated"] == 1 and regional["feedback_requests"] == 0


def test_a_side_is_listed_for_a_feedback_request_without_attendance(db, make):
    _skill, session, absent = _one_sided_session(make, 8)
    make.feedback(session, absent)  # asked for feedback, then the attendance was corrected to absent
    rebuild_session_stats()

    regional = _sides(8)["regional"]

    assert (regional["sessions"], regional["participants_regional"], regional["skills_demonstrated"]) == (0, 0, 0)
    assert regional["feedback_requests"] == 1


def test_a_side_with_nothing_counted_is_not_listed(db, make):
    _one_sided_session(make, 9)
    rebuild_session_stats()

    assert list(_sides(9)) == ["municipal"]


def test_every_row_is_labelled_with_what_it_stands_for(db, make):
    centre = make.centre(name="KTC Västra")
    skill = make.skill(code="INJ", name="Injektioner")
    station = make.station(centre, skills=[skill], name="Injektion")
    attended(make.completed_session(station, start=make.local(2024, 4, 9, 9)), "regional")
    rebuild_session_stats()

    data = summary(make_filters(date(2024, 4, 1), date(2024, 4, 30)))

    labels = {dim: [(row["key"], row["label"]) for row in data[f"by_{dim}"]]
              for dim in ("period", "centre", "station", "skill", "side")}
    assert labels == {
        "period": [("2024-04", "2024-04")],
        "centre": [(centre.id, "KTC Västra")],
        "station": [(station.id, "Injektion (KTC Västra)")],
        "skill": [(skill.id, "INJ Injektioner")],
        "side": [("regional", "regional")],
    }
