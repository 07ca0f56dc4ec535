"""Home page, language choice and the health endpoint."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from ktc.main import views  # noqa: E402,F401
