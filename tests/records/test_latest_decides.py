"""The latest demonstration decides a matrix cell, through the queries and not only the pure rule (issue 18).

Two demonstrations of one skill: one that never expires (signed while the skill had no refresh
interval) and one with a valid-until date. Whichever session is the more recent decides, on the
manager's matrix, in the participant's skill record and on the matrix page.
"""
from datetime import date

import pytest

from ktc.extensions import db
from ktc.records.operations import build_matrix, skill_overview

TODAY = date(2025, 1, 15)


@pytest.fixture
def person(make):
    skill = make.skill(code="KAT", name="Kateterisering", refresh_months=24)
    profession = make.profession("Sjuksköterska", skills=[skill])
    unit = make.unit(name="Vårdcentralen Öxnehaga")
    participant = make.participant(unit, name="Sara Sjö", profession=profession)
    return type("P", (), {"skill": skill, "unit": unit, "participant": participant})


def _records(make, person, older, newer):
    # The older session's record is written first, so neither id nor insertion order gives the answer.
    for start, valid_until in ((make.local(2020, 5, 4), older), (make.local(2022, 9, 6), newer)):
        make.skill_record(person.participant, person.skill, "demonstrated", valid_until=valid_until, start=start)


def _cell(person):
    matrix = build_matrix([person.unit.id], today=TODAY, window_days=60, with_upcoming=False)
    (row,) = matrix.rows
    cell = row.cells[person.skill.id]
    (summary,) = [s for s in skill_overview(person.participant, today=TODAY, window_days=60)
                  if s.skill.id == person.skill.id]
    assert (summary.status, summary.valid_until) == (cell.status, cell.valid_until)
    return cell.status, cell.valid_until


def test_a_newer_expired_demonstration_beats_an_old_one_that_never_expires(make, person):
    _records(make, person, older=None, newer=date(2024, 9, 6))
    assert _cell(person) == ("expired", date(2024, 9, 6))


def test_a_newer_demonstration_that_never_expires_beats_an_old_expired_one(make, person):
    _records(make, person, older=date(2022, 5, 4), newer=None)
    assert _cell(person) == ("valid", None)


def test_a_newer_valid_demonstration_beats_an_old_expired_one(make, person):
    _records(make, person, older=date(2022, 5, 4), newer=date(2025, 2, 1))
    assert _cell(person) == ("expiring", date(2025, 2, 1))


def test_the_matrix_page_shows_the_latest_demonstration(client, make, person):
    _records(make, person, older=None, newer=date(2024, 9, 6))
    manager = make.manager(person.unit)
    db.session.commit()
    make.set_login(client, manager.get_id())
    page = client.get("/records/matrix", query_string={"unit": person.unit.id}).get_data(as_text=True)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "cell--expired" in body and "cell--valid" not in body
