"""Notices to managers: what happened to the people of their units (e-mail and a list on the home page)."""
from flask import Blueprint

bp = Blueprint("notices", __name__, url_prefix="/team-events")
