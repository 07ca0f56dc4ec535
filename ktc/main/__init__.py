"""Home page, language choice and the health endpoint."""
from flask import Blueprint

bp = Blueprint("main", __name__)

