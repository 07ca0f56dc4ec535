"""The JSON API under /api/v1, authenticated with personal tokens (Authorization: Bearer …).

Every module in this package is imported, so each feature adds its endpoints in a module of
its own here (`ktc/api/<feature>.py`). Endpoints describe their query parameters, bodies and
answers with marshmallow schemas (`ktc/api/schemas.py`) through flask-smorest, which reads and
checks the input with them and generates the OpenAPI document from the very same schemas.
"""
import pkgutil
from importlib import import_module

from flask_smorest import Api, Blueprint

from ktc.api.schemas import ErrorSchema, Parser
from ktc.extensions import csrf

VERSION = "1.0.0"


class ApiBlueprint(Blueprint):
    """flask-smorest's blueprint with the API's parser (400 for a body that is not an object, the
    API's 422 body for a refused field)."""

    ARGUMENTS_PARSER = Parser()

    ERROR_TEXT = {
        400: "Malformed JSON or a body that is not a JSON object.",
        403: "The token's owner may not do this.",
        404: "No such object (or not visible to the token's owner).",
        409: "A rule of the domain refused the change (see error.code).",
        422: "A field is missing, of the wrong type, unknown or breaks a rule (see error.field).",
    }

    def arguments(self, schema, *args, **kwargs):
        """flask-smorest's `arguments`, with a schema class made an instance once, here: webargs makes a
        new instance of a class on every request it parses (copying every field), an instance it uses
        as it is. Marshmallow keeps nothing of one load in the instance, and the document names the
        schema by its class either way."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def errors(self, *statuses):
        """Document the error answers an endpoint can give (401 and 503 are added to every one)."""

        def decorator(func):
            for status in sorted(statuses, reverse=True):
                func = self.alt_response(status, schema=ErrorSchema, description=self.ERROR_TEXT[status])(func)
            return func

        return decorator


class KtcApi(Api):
    """flask-smorest's Api with KTC's error body; the API's own handlers (ktc/api/errors.py) answer errors."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Leave the app's error handlers alone (HTML pages answer errors outside /api/v1)."""


def _schema_name(schema):
    """Schemas marked `inline` are written out where they are used; the rest get a component."""
    from apispec.ext.marshmallow import resolver
    from apispec.ext.marshmallow.common import resolve_schema_cls

    cls = resolve_schema_cls(schema)
    if getattr(cls, "inline", False):
        return None
    return resolver(schema)


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")
# Token-authenticated, never cookie-authenticated: CSRF does not apply.
csrf.exempt(bp)


def init_app(app):
    """Register the blueprint through an Api of this app, which builds the app's OpenAPI document."""
    from apispec.ext.marshmallow import MarshmallowPlugin

    api = KtcApi(spec_kwargs={
        "title": "KTC API", "version": VERSION, "openapi_version": "3.1.0",
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_name),
    })
    api.init_app(app)
    api.register_blueprint(bp)
    app.extensions["ktc-api"] = api


@bp.before_request
def _require_token():
    from flask import request
    from flask_babel import gettext as _

    from ktc.web import api_error, sign_in_from_token

    if request.endpoint == "api.openapi":
        return None
    # /api/ is authenticated by the Authorization token alone (never a session cookie, or the CSRF
    # exemption above would let other sites act for a signed-in user).
    if sign_in_from_token() is None:
        return api_error("unauthorized", _("A valid API token is required."), 401)
    return None


for _module in pkgutil.iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")
