"""The demo shows learning paths and a mixed study circle with people at different points."""
from sqlalchemy import select

from ktc.demo.operations import load_demo
from ktc.extensions import db
from ktc.paths import operations as ops
from ktc.paths.models import LearningPath, StudyCircle


def test_demo_has_paths_a_mixed_circle_and_someone_behind():
    load_demo("demo-password-for-tests")
    db.session.commit()
    paths = {p.name: p for p in db.session.execute(select(LearningPath)).scalars()}
    home_care = paths["Undersköterska, hemtjänst – första året"]
    assert {s.kind for s in home_care.steps} == {"skill", "module"} and home_care.auto_assign
    assert {s.kind for s in paths["Psyk E-bas – psykisk ohälsa för baspersonal"].steps} == {"module", "circle"}
    circle = db.session.execute(select(StudyCircle)).scalar_one()
    assert {m.unit.organisation.side for m in circle.members} == {"municipal", "regional"}
    assert [m.status for m in circle.meetings] == ["scheduled"] * 3
    overview = ops.organisation_overview()
    assert sum(f.behind for f in overview) >= 1 and sum(f.people for f in overview) >= 10
