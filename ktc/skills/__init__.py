"""Skills."""
from flask import Blueprint

bp = Blueprint("skills", __name__, url_prefix="/skills")
from ktc.skills import views  # noqa: E402,F401
