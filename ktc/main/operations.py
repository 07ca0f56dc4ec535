"""Installation-wide operations: consistent backups."""
import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from ktc.extensions import db


def _pg_tool(name):
    """The newest PostgreSQL client tool (pg_dump must not be older than the server)."""
    explicit = os.environ.get("KTC_PG_BIN")
    candidates = [os.path.join(explicit, name)] if explicit else []
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]), reverse=True)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found; install the PostgreSQL client or set KTC_PG_BIN")
    return found


def pg_env_and_args(url):
    """libpq connection settings for a SQLAlchemy URL, passed through the environment (no password on argv)."""
    url = make_url(url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432), "--username", url.username or "postgres"]
    return env, args, url.database


def backup(path):
    """Write a consistent copy of the database to `path`; returns the path.

    SQLite: the online backup API (a consistent snapshot even while the app writes).
    PostgreSQL: `pg_dump --format=custom` (one transaction snapshot), restorable with pg_restore.
    The copy holds every password hash and all personal data, so it is written to a file that
    only its owner can read from its creation on (never a moment at the umask's 0644), and
    moved onto `path` when complete: an existing backup is replaced whole, never half-written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with O_EXCL and mode 0600, whatever the umask.
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_backup(out, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _write_backup(out, temporary):
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        # SQLite opens the empty 0600 file as a new database (its journal gets the same mode).
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(temporary)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return
    env, args, database = pg_env_and_args(url.render_as_string(hide_password=False))
    # To our 0600 file through stdout: `--file` would create the file itself at the umask's mode.
    subprocess.run(
        [_pg_tool("pg_dump"), *args, "--format=custom", "--no-owner", database],
        env=env, check=True, stdout=out, stderr=subprocess.PIPE,
    )


def restore_postgres(path, url):
    """Restore a pg_dump archive into the (empty) database at `url`."""
    env, args, database = pg_env_and_args(url)
    subprocess.run(
        [_pg_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", "--dbname", database, str(path)],
        env=env, check=True, capture_output=True,
    )
