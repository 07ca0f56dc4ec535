"""Free-text anonymisation pinned down after mutation testing (issue 18, docs/MUTATION.md).

`name_patterns` is called directly here as well as through `scrub`: scrub keeps the patterns in
an lru_cache, which would otherwise hide a changed `name_patterns` behind patterns built earlier.
"""
from sqlalchemy import select

from ktc.extensions import db
from ktc.feedback.anonymise import name_patterns, scrub
from ktc.feedback.models import Feedback
from ktc.feedback.operations import feedback_by_token, submit_feedback


def test_phone_numbers_of_seven_digits_or_more_go_and_shorter_numbers_stay():
    """Mutants: every 0-number redacted, the limit moved to 8 digits, the kept number replaced."""
    assert scrub("Ring 0701234 i kväll") == "Ring […] i kväll"
    assert scrub("Rum 0 12 34 på plan 2") == "Rum 0 12 34 på plan 2"


def test_international_numbers_without_a_zero_are_removed():
    """Mutant: the cheap pre-check looked for a zero only (a +46 number without any 0 leaked)."""
    assert scrub("Ring +46 8 123 456 78 efteråt") == "Ring […] efteråt"


def test_adjacent_redactions_collapse_into_one():
    """Mutant: the runs of "[…]" left uncollapsed when there is something to collapse."""
    assert scrub("Hälsa Berg, Anna och Lind", ["Anna Berg"]) == "Hälsa […] och Lind"


def test_every_part_of_a_name_is_found_in_any_case():
    """Mutants: parts of hyphenated names not split, two-letter parts skipped, case-sensitive
    matching, the first empty name ending the loop, an empty name read as "XXXX"."""
    pattern = name_patterns(["", "Örjan Ek-Lund", "Bo Al"])
    for word in ("Örjan", "Ek", "Lund", "Ek-Lund", "Bo", "Al", "örjan", "EK", "lund"):
        assert pattern.fullmatch(word), word
    assert not pattern.search("XXXX")
    assert scrub("Ek visade och bo lyssnade", ["Örjan Ek-Lund", "Bo Al"]) == "[…] visade och […] lyssnade"


def test_empty_free_text_is_stored_empty(make):
    """Mutant: an unanswered free-text question stored as "XXXX"."""
    session = make.completed_session()
    booking = make.booking(session, make.participant(), status="attended")
    make.feedback(session, booking, token="tyst-svar")
    db.session.commit()
    submit_feedback(feedback_by_token("tyst-svar"), {
        "overall": 4, "relevance": 4, "confidence_before": 3, "confidence_after": 4, "learned_other_side": 2})
    db.session.commit()
    row = db.session.execute(select(Feedback)).scalar_one()
    assert (row.take_back, row.improve) == ("", "")
