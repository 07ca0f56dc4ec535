"""Accounts: login, logout, the user's own settings and API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

