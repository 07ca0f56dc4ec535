"""Sessions: planning single sessions and series, the week view, session pages."""
from flask import Blueprint

bp = Blueprint("sessions", __name__, url_prefix="/sessions")

