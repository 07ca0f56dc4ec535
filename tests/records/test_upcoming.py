"""The matrix's "upcoming sessions with a seat" per skill and side: the first ones, by the seat rule."""
from datetime import timedelta

from ktc.database import utcnow
from ktc.extensions import db
from ktc.records.operations import upcoming_sessions


def test_first_sessions_per_skill_and_side_under_the_quota_and_release(make):
    skill, other = make.skill(code="INS"), make.skill(code="HLR")
    station = make.station(skills=[skill, other])
    now = utcnow()
    # Two seats held per side until 72 h before; 3 municipal seats taken of 5: the municipal side is at its quota.
    released = make.session(station, start=now + timedelta(hours=50), skills=[skill], capacity=5, min_per_side=2)
    held = make.session(station, start=now + timedelta(days=5), skills=[skill], capacity=5, min_per_side=2)
    for session in (released, held):
        for _ in range(3):
            make.booking(session, make.participant(side="municipal"))
    too_soon = make.session(station, start=now + timedelta(hours=20), skills=[skill])
    open_ = [make.session(station, start=now + timedelta(days=6 + i), skills=[skill, other]) for i in range(4)]
    db.session.commit()

    result = upcoming_sessions({(skill.id, "municipal"), (skill.id, "regional"), (other.id, "municipal")}, now)

    ids = {key: [s.id for s in sessions] for key, sessions in result.items()}
    # Released: the held seats are anyone's; not released: the municipal side must wait.
    assert ids[(skill.id, "municipal")] == [released.id, open_[0].id, open_[1].id]
    assert ids[(skill.id, "regional")] == [released.id, held.id, open_[0].id]
    assert ids[(other.id, "municipal")] == [s.id for s in open_[:3]]
    assert too_soon.id not in sum(ids.values(), [])
