"""`flask ktc backup` writes a copy that restores with every row."""
import sqlite3
import stat

import psycopg
from sqlalchemy import create_engine, text

from ktc.extensions import db
from ktc.organisations.models import Organisation


def test_backup_restores_with_all_rows(runner, make, tmp_path):
    make.organisation("municipal", name="Nässjö kommun")
    make.organisation("regional", name="Region Jönköpings län")
    db.session.commit()
    target = tmp_path / "ktc.backup"
    result = runner.invoke(args=["ktc", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    if db.engine.dialect.name == "sqlite":
        copy = sqlite3.connect(str(target))
        names = sorted(row[0] for row in copy.execute("SELECT name FROM organisations"))
        copy.close()
    else:
        from ktc.main.operations import restore_postgres

        base = db.engine.url.set(database="postgres").render_as_string(hide_password=False)
        restored = f"{db.engine.url.database}_restored"
        with psycopg.connect(base.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{restored}"')
        url = db.engine.url.set(database=restored).render_as_string(hide_password=False)
        restore_postgres(target, url)
        engine = create_engine(url)
        with engine.connect() as conn:
            names = sorted(r[0] for r in conn.execute(text("SELECT name FROM organisations")))
        engine.dispose()
    assert names == ["Nässjö kommun", "Region Jönköpings län"]
    assert db.session.query(Organisation).count() == 2


def test_backup_file_is_readable_by_its_owner_only(runner, make, tmp_path):
    """The copy holds password hashes and personal data: mode 0600, even over an older 0644 backup."""
    make.organisation("municipal", name="Nässjö kommun")
    db.session.commit()
    fresh, older = tmp_path / "new.backup", tmp_path / "old.backup"
    older.write_bytes(b"yesterday's backup")
    older.chmod(0o644)
    for target in (fresh, older):
        result = runner.invoke(args=["ktc", "backup", str(target)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(target.stat().st_mode) == 0o600, target
        assert target.stat().st_size > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.backup", "old.backup"]  # no part files left
