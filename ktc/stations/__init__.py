"""Stations."""
from flask import Blueprint

bp = Blueprint("stations", __name__, url_prefix="/stations")
from ktc.stations import views  # noqa: E402,F401
