"""The README's `flask` commands work in the checkout as written (`.flaskenv`), while a production
process (gunicorn, or `flask` outside the checkout) still refuses to start without SECRET_KEY."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KTC_", "FLASK_")) and k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'ktc.sqlite'}", **extra)
    return env


def _run(args, cwd, env, stdin=None):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_flask_in_the_checkout_finds_the_app_and_runs_for_local_work(tmp_path):
    # No FLASK_APP, no --app, no KTC_ENV: `.flaskenv` supplies them.
    result = _run(["flask", "shell"], ROOT, _env(tmp_path, SECRET_KEY="command-line-test"),
                  stdin='print("env:", app.import_name, app.config["ENV_NAME"])\n')
    assert result.returncode == 0, result.stderr
    assert "env: ktc development" in result.stdout


def test_flask_outside_the_checkout_refuses_without_secret_key_in_one_line(tmp_path):
    result = _run(["flask", "--app", str(ROOT / "wsgi.py"), "db", "heads"], tmp_path, _env(tmp_path))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: SECRET_KEY must be set in the environment (refusing to start without it); "
        "for local work set KTC_ENV=development instead"
    ]


def test_gunicorn_in_the_checkout_ignores_flaskenv_and_refuses_without_secret_key(tmp_path):
    result = _run(["gunicorn", "--check-config", "wsgi:app"], ROOT, _env(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stdout + result.stderr
