"""The bench reuses a generated dataset for a week: a migration added since must be applied to it,
or the figures would be those of an older schema (an index since dropped or changed)."""
import json
from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from bench import run


def _revision(app):
    from ktc.extensions import db

    with app.app_context():
        try:
            with db.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        finally:
            db.engine.dispose()


def test_a_reused_dataset_is_migrated_to_the_codes_head(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "DATA", tmp_path)
    url = f"sqlite:///{tmp_path / 'ktc-small.sqlite'}"
    app = run.app_for(url)
    from ktc.extensions import db

    with app.app_context():
        upgrade()
        head = _revision(app)
        downgrade(revision="-1")  # a dataset generated before the newest migration
        db.engine.dispose()
    older = _revision(app)
    assert older != head
    (tmp_path / "sqlite-small.json").write_text(json.dumps({"url": url, "generated_on": date.today().isoformat()}))

    reused_url, meta = run.prepare("sqlite", "small", None, regenerate=False)

    assert reused_url == url and meta["generated_on"] == date.today().isoformat()  # reused, not generated again
    assert _revision(app) == head
    with app.app_context():
        indexes = {i["name"] for table in ("bookings", "outbox") for i in inspect(db.engine).get_indexes(table)}
        db.engine.dispose()
    assert {"ix_bookings_status_session_side", "ix_outbox_status_next_attempt"} <= indexes
