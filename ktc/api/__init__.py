"""The JSON API under /api/v1, authenticated with personal tokens (Authorization: Bearer …).

Every module in this package is imported, so each feature adds its endpoints in a module of
its own here (`ktc/api/<feature>.py`) with a `PATHS` dict for the OpenAPI description.
"""
import pkgutil
from importlib import import_module

from flask import Blueprint
from flask_login import current_user

from ktc.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated, never cookie-authenticated: CSRF does not apply.
csrf.exempt(bp)


@bp.before_request
def _require_token():
    from flask import request
    from flask_babel import gettext as _

    from ktc.web import api_error

    if request.endpoint == "api.openapi":
        return None
    # ktc.web's loaders authenticate /api/ by the Authorization token alone (never a session cookie,
    # or the CSRF exemption above would let other sites act for a signed-in user), so a signed-in
    # user here is the token's owner: the token is not looked up a second time.
    if not current_user.is_authenticated:
        return api_error("unauthorized", _("A valid API token is required."), 401)
    return None


@bp.url_value_preprocessor
def _ids_in_range(endpoint, values):
    from ktc.api.util import ids_in_range

    ids_in_range(endpoint, values)


for _module in pkgutil.iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")
