"""SCIM 2.0 provisioning (RFC 7643/7644) of staff lists, as Entra ID's provisioning service sends it."""
from flask import Blueprint

from ktc.extensions import csrf

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
# Bearer tokens, never cookies: a cross-site form cannot act with a browser's session here.
csrf.exempt(bp)
