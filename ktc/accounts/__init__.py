"""Accounts: login, logout, the user's own settings and API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from ktc.accounts import views  # noqa: E402,F401
from ktc.accounts import admin_views  # noqa: E402,F401
