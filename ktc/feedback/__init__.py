"""Feedback."""
from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

from ktc.feedback import views  # noqa: E402,F401
