"""Mail."""
from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/mail")

from ktc.mail import views  # noqa: E402,F401
