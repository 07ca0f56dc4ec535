"""The skill matrix is built with a number of queries that does not grow with the staff."""
from datetime import timedelta

from sqlalchemy import event, insert, select

from ktc.extensions import db
from ktc.i18n import local_today
from ktc.organisations.models import Participant
from ktc.records.models import SkillRecord
from ktc.skills.models import profession_skills

SKILLS = 30


def _staff(unit, profession, count, sessions, skills, today):
    """Bulk-insert `count` staff, each with a mix of records (every status occurs)."""
    db.session.execute(insert(Participant), [
        {"name": f"{unit.name} {i:03d}", "email": f"u{unit.id}-{i}@example.org", "unit_id": unit.id,
         "profession_id": profession.id, "active": True}
        for i in range(count)
    ])
    ids = db.session.execute(select(Participant.id).where(Participant.unit_id == unit.id)).scalars().all()
    rows = []
    for n, pid in enumerate(ids):
        for k, skill in enumerate(skills):
            kind = (n + k) % 5
            if kind == 4:
                continue  # missing
            outcome = "practised" if kind == 3 else "demonstrated"
            valid_until = {0: today + timedelta(days=400), 1: today + timedelta(days=20),
                           2: today - timedelta(days=3), 3: None}[kind]
            rows.append({"participant_id": pid, "skill_id": skill.id, "session_id": sessions[k % len(sessions)].id,
                         "outcome": outcome, "valid_until": valid_until, "comment": ""})
    db.session.execute(insert(SkillRecord), rows)


def _count_statements(client, url):
    statements = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_matrix_query_count_does_not_grow_with_staff(client, login_as, make):
    skills = [make.skill(code=f"K{i:02d}") for i in range(SKILLS)]
    profession = make.profession("Undersköterska", skills=skills)
    station = make.station(skills=skills)
    past = [make.session(station, start=make.local(2025, 1, 10 + i), skills=skills) for i in range(3)]
    for i in range(4):
        make.session(station, start=make.future(5 + i), skills=skills[i::4])
    small, large = make.unit(name="Liten"), make.unit(name="Stor")
    today = local_today()
    _staff(small, profession, 30, past, skills, today)
    _staff(large, profession, 300, past, skills, today)
    manager = make.manager(small, large)
    assert db.session.execute(select(profession_skills)).all()
    db.session.commit()
    login_as(manager)

    small_count, small_page = _count_statements(client, f"/records/matrix?unit={small.id}")
    large_count, large_page = _count_statements(client, f"/records/matrix?unit={large.id}")
    assert small_page.count('<tr>') == 31 and large_page.count('<tr>') == 301  # header + staff
    for status in ("valid", "expiring", "expired", "practised", "missing"):
        assert f"cell--{status}" in large_page
    assert large_count == small_count
    assert large_count <= 15
    csv_small, _ = _count_statements(client, f"/records/matrix?unit={small.id}&format=csv")
    csv_large, _ = _count_statements(client, f"/records/matrix?unit={large.id}&format=csv")
    assert csv_small == csv_large
