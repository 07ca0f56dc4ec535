"""Personal data: export per participant, erasure (anonymisation) and the retention purge."""
from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
