"""Calendar."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from ktc.calendar import views  # noqa: E402,F401
