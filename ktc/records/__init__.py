"""Records: attendance, sign-off, skill records, the manager's skill matrix and the expiry digest."""
from flask import Blueprint

bp = Blueprint("records", __name__, url_prefix="/records")

