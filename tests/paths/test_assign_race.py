"""The same person put on the same path by two managers at the same moment: one assignment, no server error.

Both requests find the person not yet on the path; the unique constraint on (path, participant) makes
the second INSERT wait for the first and then fail, which `assign` turns into a Conflict the page shows.
Staged on PostgreSQL (SQLite's BEGIN IMMEDIATE serialises whole requests).
"""
from datetime import date

from sqlalchemy import func, select

from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.paths import operations as ops
from ktc.paths.models import LearningPath, PathAssignment
from tests.paths.staged import skip_unless_postgres, staged


def test_two_assignments_at_once_make_one_and_refuse_the_other(app, make):
    skip_unless_postgres()
    path = ops.create_path("Första året")
    ops.add_step(path, "module", title="Film", url="https://example.org/1")
    person = make.participant()
    db.session.commit()
    path_id, person_id = path.id, person.id

    def load():
        return db.session.get(LearningPath, path_id), db.session.get(Participant, person_id)

    def put_on(start):
        return load, lambda loaded: ops.assign(None, loaded[0], [loaded[1]], start)

    outcomes = staged(app, put_on(date(2026, 9, 1)), put_on(date(2026, 10, 1)))
    assert outcomes["first"] == "done"
    assert outcomes["second"].startswith("refused: ")  # a Conflict, shown on the page, not a 500
    rows = db.session.execute(select(func.count(), func.min(PathAssignment.start_date))
                              .where(PathAssignment.path_id == path_id)).one()
    assert tuple(rows) == (1, date(2026, 9, 1))
