"""Free text read in two parts, from the recent cutoff and then below it, is every newest text once
(issue 18, mutation testing of `_answers` and `_recent_cutoff` in `ktc/network/operations.py`)."""
from datetime import date, timedelta

from ktc.network import operations
from ktc.network.operations import make_filters, summary
from ktc.network.stats import rebuild_session_stats


def test_the_answer_at_the_cutoff_is_read_once_and_the_texts_come_newest_answer_first(make, monkeypatch):
    station = make.plain_station(name="Akut")
    session = make.completed_session(station, start=make.local(2024, 3, 5, 9))
    # Written in another order than answered: the newest answer is not the highest id.
    answered = {3: "tredje", 1: "första", 5: "femte", 4: "fjärde", 2: "andra"}
    for hour, text in answered.items():
        booking = make.booking(session, make.participant(), status="attended")
        make.feedback(session, booking, take_back=f"Svar {text}",
                      responded_at=session.end_at + timedelta(hours=hour))
    rebuild_session_stats()
    # The cutoff is the second newest answer; three texts wanted, so the station is read on below it.
    monkeypatch.setattr(operations, "RECENT_ANSWERS_PER_STATION", 2)
    monkeypatch.setattr(operations, "FREE_TEXT_PER_GROUP", 3)

    (group,) = summary(make_filters(date(2024, 3, 1), date(2024, 3, 31)))["free_text"]

    assert group["responses"] == 5
    assert group["take_back"] == ["Svar femte", "Svar fjärde", "Svar tredje"]
    assert group["improve"] == []


def test_an_answer_with_only_the_second_question_answered_is_shown(make):
    station = make.plain_station(name="Akut")
    session = make.completed_session(station, start=make.local(2024, 3, 5, 9))
    for take_back, improve in (("", "Mer tid"), ("Rutiner", ""), ("", ""), ("", ""), ("", "")):
        booking = make.booking(session, make.participant(), status="attended")
        make.feedback(session, booking, take_back=take_back, improve=improve)
    rebuild_session_stats()

    (group,) = summary(make_filters(date(2024, 3, 1), date(2024, 3, 31)))["free_text"]

    assert (group["take_back"], group["improve"]) == (["Rutiner"], ["Mer tid"])
