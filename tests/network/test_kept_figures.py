"""The network's kept per-session figures: always equal to the rows behind them, and the same figures.

The network view sums `session_stats` rows instead of every booking, record and answer of the
period. These tests prove that (1) the operations that change attendance, sign-offs and feedback
keep those rows equal to a fresh count of the raw rows, and (2) the network's summary over the
kept figures is exactly what the previous raw-row computation (tests/network/reference.py)
gives, on a generated dataset, for every kind of filter.
"""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from bench.generate import Plan, generate
from ktc.feedback.models import Feedback
from ktc.feedback.operations import request_feedback, submit_feedback
from ktc.network.models import session_skill_stats, session_stats
from ktc.network.operations import make_filters, summary
from ktc.network.stats import fresh_figures, kept_figures
from ktc.records.operations import complete_session, mark_all_attended_demonstrated, record_attendance
from ktc.sessions.models import Session, session_skills
from ktc.skills.models import Skill
from tests.network import scenario
from tests.network.reference import reference_summary
from tests.staging import wait_for_a_lock_wait


def _answers(overall, before=2, after=4, take_back="", improve=""):
    return {"overall": overall, "relevance": 4, "confidence_before": before, "confidence_after": after,
            "learned_other_side": 3, "take_back": take_back, "improve": improve}


def _assert_kept_equals_fresh():
    kept, fresh = kept_figures(), fresh_figures()
    assert kept == fresh
    return kept


def test_operations_keep_the_figures_equal_to_the_rows(db, make):
    admin = make.user("admin")
    skills = [make.skill(code="KAT"), make.skill(code="SÅR")]
    station = make.station(skills=skills)
    first = make.session(station, start=make.local(2024, 3, 5, 9), skills=skills)
    second = make.session(station, start=make.local(2024, 3, 6, 9), skills=skills)
    municipal = [make.booking(first, make.participant(side="municipal")) for _ in range(3)]
    regional = [make.booking(first, make.participant(side="regional")) for _ in range(2)]
    other = [make.booking(second, make.participant(side="regional")) for _ in range(2)]
    db.session.commit()
    assert _assert_kept_equals_fresh() == ({}, {})

    # The roster's one action: everyone attended and demonstrated everything.
    mark_all_attended_demonstrated(admin, first)
    kept, per_skill = _assert_kept_equals_fresh()
    assert kept[first.id]["attended_municipal"] == 3 and kept[first.id]["attended_regional"] == 2
    assert kept[first.id]["demonstrated_municipal"] == 6 and kept[first.id]["demonstrated_regional"] == 4
    assert per_skill[(first.id, skills[0].id)] == {"demonstrated_municipal": 3, "demonstrated_regional": 2}

    # One person did not come after all (their sign-offs go), another only practised one skill.
    record_attendance(admin, first, [
        {"participant_id": municipal[0].participant_id, "attended": False, "outcomes": {}},
        {"participant_id": regional[0].participant_id, "attended": True,
         "outcomes": {skills[1].id: "practised"}},
    ])
    kept, per_skill = _assert_kept_equals_fresh()
    assert kept[first.id]["attended_municipal"] == 2
    assert kept[first.id]["demonstrated_municipal"] == 4 and kept[first.id]["demonstrated_regional"] == 3
    assert per_skill[(first.id, skills[1].id)] == {"demonstrated_municipal": 2, "demonstrated_regional": 1}

    # The second session: one attends with one sign-off removed again, the other never comes.
    record_attendance(admin, second, [
        {"participant_id": other[0].participant_id, "attended": True, "outcomes": {skills[0].id: "demonstrated"}},
    ])
    record_attendance(admin, second, [
        {"participant_id": other[0].participant_id, "attended": True, "outcomes": {skills[0].id: None}},
        {"participant_id": other[1].participant_id, "attended": False, "outcomes": {}},
    ])
    kept, per_skill = _assert_kept_equals_fresh()
    assert kept[second.id] == {"attended_regional": 1}
    assert (second.id, skills[0].id) not in per_skill

    # Completion, feedback requests (one per attendee), then answers one at a time.
    complete_session(admin, first)
    complete_session(admin, second)
    requests = request_feedback()
    kept, _per_skill = _assert_kept_equals_fresh()
    assert len(requests) == 5
    assert (kept[first.id]["requests_municipal"], kept[first.id]["requests_regional"]) == (2, 2)
    assert kept[second.id]["requests_regional"] == 1
    for feedback, overall in zip(requests, (5, 4, 3, 2)):
        submit_feedback(feedback, _answers(overall, take_back="Bra"))
        _assert_kept_equals_fresh()
    kept, _per_skill = _assert_kept_equals_fresh()
    answered_first = [f for f in requests[:4] if f.session_id == first.id]
    assert sum(kept[first.id].get(f"responses_{side}", 0) for side in ("municipal", "regional")) == len(answered_first)
    assert sum(kept[first.id].get(f"confidence_gain_sum_{side}", 0) for side in ("municipal", "regional")) \
        == 2 * len(answered_first)

    # And the network reads the same figures from the kept rows as from the raw rows.
    db.session.commit()
    march = make_filters(date(2024, 3, 1), date(2024, 3, 31))
    assert summary(march) == reference_summary(march)
    assert summary(march)["totals"]["participants_regional"] == 3


def test_rebuild_restores_lost_or_wrong_figures(db, make, runner):
    scenario.build()
    db.session.commit()
    fresh = fresh_figures()
    assert fresh[0] and fresh[1]
    # Figures lost (an old install) and one made wrong by hand.
    db.session.execute(delete(session_skill_stats))
    db.session.execute(session_stats.update().values(attended_municipal=99))
    db.session.commit()
    assert kept_figures() != fresh

    result = runner.invoke(args=["ktc", "network-rebuild-stats"])
    assert result.exit_code == 0, result.output
    assert "3 sessions" in result.output
    db.session.expire_all()
    assert kept_figures() == fresh


# About 200 participants and 150 sessions over two years around today: every dimension has several
# keys, some groups are under five responses and some are not.
PLAN = replace(Plan.scaled(0.01), big_unit_staff=8)


def test_generated_data_gives_the_same_figures_as_the_raw_rows(db):
    generated = generate(PLAN, seed=5)
    assert generated.counts["feedback responses"] > 500
    _assert_kept_equals_fresh()
    today = date.today()
    year = (today - timedelta(days=364), today)
    skill_id = db.session.execute(select(func.min(Skill.id))).scalar_one()
    busiest_skill = db.session.execute(
        select(session_skills.c.skill_id).group_by(session_skills.c.skill_id)
        .order_by(func.count().desc(), session_skills.c.skill_id).limit(1)
    ).scalar_one()
    station_id = db.session.execute(select(func.min(Session.station_id))).scalar_one()
    filters = [
        make_filters(*year),
        make_filters(today - timedelta(days=800), today + timedelta(days=400)),  # over 36 months: per year
        make_filters(today - timedelta(days=40), today - timedelta(days=10)),
        make_filters(*year, side="regional"),
        make_filters(*year, side="municipal"),
        make_filters(*year, centre_id=generated.centre_ids[-1]),
        make_filters(*year, station_id=station_id),
        make_filters(*year, skill_id=skill_id),
        make_filters(*year, skill_id=busiest_skill, side="regional"),
        make_filters(*year, centre_id=generated.centre_ids[0], side="municipal", skill_id=busiest_skill),
    ]
    seen_suppressed = seen_shown = False
    for f in filters:
        expected = reference_summary(f)
        assert summary(f) == expected, f
        rows = [r for dim in ("station", "skill", "period") for r in expected[f"by_{dim}"]]
        seen_suppressed |= any(r["suppressed"] for r in rows)
        seen_shown |= any(not r["suppressed"] for r in rows)
    # The comparison covered real figures: both shown and suppressed groups, free text, sides.
    year_summary = summary(filters[0])
    assert seen_suppressed and seen_shown
    assert year_summary["totals"]["sessions"] > 20 and year_summary["free_text"]
    assert {r["key"] for r in year_summary["by_side"]} == {"municipal", "regional"}


def test_free_text_read_from_a_cutoff_is_the_newest_texts(db, monkeypatch):
    """Small groups, a cutoff that leaves some stations short, and texts that scrub to nothing."""
    from ktc.network import operations

    generate(PLAN, seed=9)
    # Whitespace is a text in the database but nothing once scrubbed: it must leave room.
    db.session.execute(
        Feedback.__table__.update().where(Feedback.id % 4 == 0, Feedback.responded_at.is_not(None))
        .values(take_back="   ")
    )
    db.session.commit()
    monkeypatch.setattr(operations, "FREE_TEXT_PER_GROUP", 4)
    monkeypatch.setattr(operations, "RECENT_ANSWERS_PER_STATION", 3)
    below_cutoff = []
    answers = operations._answers

    def spy(f, sel, stations, since=None, before=None):
        if before is not None:
            below_cutoff.append(stations)
        return answers(f, sel, stations, since=since, before=before)

    monkeypatch.setattr(operations, "_answers", spy)
    today = date.today()
    for f in (make_filters(today - timedelta(days=364), today),
              make_filters(today - timedelta(days=364), today, side="regional")):
        expected = reference_summary(f)
        assert summary(f) == expected
        assert expected["free_text"] and all(
            len(group["take_back"]) == 4 for group in expected["free_text"]
        )
    assert below_cutoff  # some stations were short above the cutoff and were read on below it


def test_two_answers_to_one_session_at_once_are_both_counted(app, db, make):
    """PostgreSQL: the second refresher waits for the first one's commit, then counts both answers.

    Without the session row lock the second transaction would count without the first answer
    (not yet committed) and then collide with the first one's new figures row.
    """
    import threading


    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    admin = make.user("admin")
    skill = make.skill()
    session = make.session(make.station(skills=[skill]), start=make.local(2024, 3, 5, 9), skills=[skill])
    for side in ("municipal", "regional"):
        make.booking(session, make.participant(side=side))
    db.session.commit()
    mark_all_attended_demonstrated(admin, session)
    complete_session(admin, session)
    first, second = request_feedback()
    db.session.commit()

    submit_feedback(first, _answers(5))  # holds the lock until the commit below
    errors = []

    def answer_second():
        with app.app_context():
            try:
                submit_feedback(db.session.get(Feedback, second.id), _answers(3))
                db.session.commit()
            except Exception as exc:  # reported to the test below
                errors.append(exc)
                db.session.rollback()

    thread = threading.Thread(target=answer_second)
    thread.start()
    wait_for_a_lock_wait("the second answer never waited for the first")  # the second transaction waits
    db.session.commit()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    db.session.expire_all()
    kept, _per_skill = _assert_kept_equals_fresh()
    assert kept[session.id]["responses_municipal"] + kept[session.id]["responses_regional"] == 2
    assert kept[session.id]["overall_sum_municipal"] + kept[session.id]["overall_sum_regional"] == 8
