import os

from ktc import create_app
from ktc.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        raise  # gunicorn: its log shows the error and it stops ("Worker failed to boot")
    raise SystemExit(f"Error: {error}") from None  # the flask command: one line, not a traceback
