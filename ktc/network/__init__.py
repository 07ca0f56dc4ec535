"""Network."""
from flask import Blueprint

bp = Blueprint("network", __name__, url_prefix="/network")

from ktc.network import views  # noqa: E402,F401
