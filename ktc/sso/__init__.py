"""Single sign-on with the organisations' OpenID Connect providers (and, later, SCIM provisioning)."""
from flask import Blueprint

bp = Blueprint("sso", __name__, url_prefix="/sso")
