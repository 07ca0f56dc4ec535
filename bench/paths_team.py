"""The team's learning-path page for a 300-person unit: p50/p95 and statements per request.

    python bench/paths_team.py [--reps 50] [--db-url URL]

Builds its own data in a fresh database (SQLite in a temporary directory unless --db-url): one unit
of 300 staff on a six-step path (three station skills, two modules, one circle meeting), a third of
them with skill records and completed modules, and times `/paths/team?unit_id=` for their manager.
The issue's target: p95 under 150 ms.
"""
import argparse
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import measure  # noqa: E402


def build(reps, db_url):
    from ktc import create_app
    from ktc.runtime import settle_worker
    from ktc.accounts.models import User
    from ktc.extensions import db
    from ktc.organisations.models import Organisation, Participant, Unit
    from ktc.paths import operations as ops
    from ktc.paths.models import PathAssignment, StepCompletion
    from ktc.records.models import SkillRecord
    from ktc.sessions.models import Session
    from ktc.skills.models import Skill
    from ktc.stations.models import Centre, Station
    from datetime import datetime, timezone

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        org = Organisation(name="Bench kommun", side="municipal")
        unit = Unit(name="Hemtjänst Centrum", organisation=org)
        skills = [Skill(code=f"SK{i}", name=f"Färdighet {i}", category="Omvårdnad", refresh_months=24)
                  for i in range(3)]
        centre = Centre(name="KTC Bench")
        station = Station(name="Station", centre=centre, skills=skills)
        manager = User(email="chef@bench.example", name="Chef", role="manager", units=[unit])
        db.session.add_all([org, unit, *skills, centre, station, manager])
        people = [Participant(name=f"Person {i:03d}", email=f"p{i}@bench.example", unit=unit) for i in range(300)]
        db.session.add_all(people)
        db.session.flush()
        path = ops.create_path("Bench: första året")
        steps = [ops.add_step(path, "skill", skill=s, due_days=60 + 30 * i) for i, s in enumerate(skills)]
        steps.append(ops.add_step(path, "module", title="Film 1", url="https://example.org/1", due_days=30))
        steps.append(ops.add_step(path, "module", title="Film 2", url="https://example.org/2", due_days=90))
        steps.append(ops.add_step(path, "circle", title="Träff 1", due_days=120, prerequisite_ids=[steps[3].id]))
        ops.assign(None, path, people, date.today() - timedelta(days=100))
        start = datetime.now(timezone.utc) - timedelta(days=50)
        session = Session(station=station, start_at=start, end_at=start + timedelta(hours=2), capacity=300,
                          skills=skills)
        db.session.add(session)
        db.session.flush()
        assignments = {a.participant_id: a for a in db.session.query(PathAssignment)}
        for person in people[::3]:
            for skill in skills[:2]:
                db.session.add(SkillRecord(participant=person, skill=skill, session=session, outcome="demonstrated",
                                           valid_until=date.today() + timedelta(days=600)))
            db.session.add(StepCompletion(assignment=assignments[person.id], step=steps[3],
                                          completed_on=date.today() - timedelta(days=40)))
        db.session.commit()
        client = measure.client_for(app)
        measure.login(client, manager)
        settle_worker()  # as in the gunicorn workers and bench/run.py: the loaded app out of full collections
        figure = measure.measure(client, db.engine, "paths team (300 staff)", "GET",
                                 f"/paths/team?unit_id={unit.id}", reps)
    return figure


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--db-url")
    args = parser.parse_args()
    os.environ.setdefault("KTC_ENV", "development")
    with tempfile.TemporaryDirectory() as tmp:
        figure = build(args.reps, args.db_url or f"sqlite:///{tmp}/bench.db")
    print(f"{figure.name}: median {figure.median:.1f} ms, p95 {figure.p95:.1f} ms, "
          f"{figure.query_count} statements, statuses {sorted(figure.statuses)}")


if __name__ == "__main__":
    main()
