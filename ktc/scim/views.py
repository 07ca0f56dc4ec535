"""SCIM 2.0 endpoints (RFC 7644): discovery and /Users, JSON in and out, bearer token per organisation."""
import json

from flask import Response, g, request, url_for

from ktc.errors import DomainError
from ktc.extensions import db
from ktc.scim import bp
from ktc.scim import operations as ops

MEDIA_TYPE = "application/scim+json"


def scim_response(body, status=200, headers=None):
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE, headers=headers)


def error_response(exc):
    return scim_response(exc.body(), exc.status)


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    organisation = ops.organisation_for_token(header[7:].strip()) if header.startswith("Bearer ") else None
    if organisation is None:
        return scim_response(ops.ScimError(401, "A valid bearer token is required").body(), 401,
                             {"WWW-Authenticate": 'Bearer realm="KTC SCIM"'})
    g.scim_scope = ops.Scope(organisation)
    return None


@bp.errorhandler(ops.ScimError)
def _scim_error(exc):
    db.session.rollback()
    return error_response(exc)


@bp.errorhandler(DomainError)
def _domain_error(exc):
    """A rule of KTC's said no (the booking operations that deactivation calls raise these): a SCIM
    error all the same, not the app's HTML page."""
    db.session.rollback()
    return error_response(ops.ScimError(exc.status, str(exc)))


@bp.errorhandler(404)
def _not_found(exc):
    return error_response(ops.ScimError(404, "Not found"))


@bp.errorhandler(405)
def _not_allowed(exc):
    return error_response(ops.ScimError(405, "Method not allowed"))


def _body():
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ops.ScimError(400, "The body must be JSON", "invalidSyntax")
    return body


def _location(participant):
    from flask import current_app

    base = current_app.config.get("KTC_BASE_URL") or request.host_url
    return base.rstrip("/") + url_for("scim.user", user_id=participant.id)


def _resource(participant, status=200):
    resource = ops.to_resource(participant, _location(participant))
    return scim_response(resource, status, {"Location": resource["meta"]["location"]} if status == 201 else None)


@bp.route("/ServiceProviderConfig")
def service_provider_config():
    return scim_response({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/ktc/ktc#provisioning-scim",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 200},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token",
            "description": "One token per organisation, made by a KTC admin (flask ktc scim-token).",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": url_for("scim.service_provider_config")},
    })


USER_SCHEMA = {
    "id": ops.USER, "name": "User", "description": "A member of staff on the organisation's staff list",
    "attributes": [
        {"name": "userName", "type": "string", "multiValued": False, "required": True, "caseExact": False,
         "mutability": "readWrite", "returned": "default", "uniqueness": "server",
         "description": "The person's work e-mail address"},
        {"name": "name", "type": "complex", "multiValued": False, "required": False, "mutability": "readWrite",
         "returned": "default", "uniqueness": "none", "subAttributes": [
             {"name": n, "type": "string", "multiValued": False, "required": False, "caseExact": False,
              "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
             for n in ("formatted", "givenName", "familyName")]},
        {"name": "displayName", "type": "string", "multiValued": False, "required": False, "caseExact": False,
         "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
        {"name": "active", "type": "boolean", "multiValued": False, "required": False,
         "mutability": "readWrite", "returned": "default"},
        {"name": "emails", "type": "complex", "multiValued": True, "required": False, "mutability": "readOnly",
         "returned": "default", "description": "The userName, as the work address"},
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{ops.USER}"},
}
ENTERPRISE_SCHEMA = {
    "id": ops.ENTERPRISE, "name": "EnterpriseUser", "description": "The unit the person works in",
    "attributes": [
        {"name": "department", "type": "string", "multiValued": False, "required": False, "caseExact": False,
         "mutability": "readWrite", "returned": "default", "uniqueness": "none",
         "description": "The name of the person's unit in the organisation (made when missing)"},
        {"name": "organization", "type": "string", "multiValued": False, "required": False,
         "mutability": "readOnly", "returned": "default", "description": "The token's organisation"},
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{ops.ENTERPRISE}"},
}


def _list(resources, total=None, start_index=1):
    return {"schemas": [ops.LIST], "totalResults": len(resources) if total is None else total,
            "startIndex": start_index, "itemsPerPage": len(resources), "Resources": resources}


@bp.route("/Schemas")
def schemas():
    return scim_response(_list([USER_SCHEMA, ENTERPRISE_SCHEMA]))


@bp.route("/ResourceTypes")
def resource_types():
    return scim_response(_list([{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users", "schema": ops.USER,
        "schemaExtensions": [{"schema": ops.ENTERPRISE, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"},
    }]))


def _int_arg(name, default):
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ops.invalid(f"{name} must be a number") from None


@bp.route("/Users", methods=["GET", "POST"])
def users():
    scope = g.scim_scope
    if request.method == "POST":
        participant = ops.create_user(scope, _body())
        return _resource(participant, 201)
    total, start, rows = scope.search(request.args.get("filter"), _int_arg("startIndex", 1), _int_arg("count", 100))
    return scim_response(_list([ops.to_resource(p, _location(p), scim) for p, scim in rows], total, start))


@bp.route("/Users/<user_id>", methods=["GET", "PUT", "PATCH", "DELETE"])
def user(user_id):
    scope = g.scim_scope
    participant = scope.participant(user_id)
    if request.method == "GET":
        return _resource(participant)
    if request.method == "DELETE":
        ops.delete_user(scope, participant)
        return Response(status=204)
    if request.method == "PUT":
        ops.replace_user(scope, participant, _body())
    else:
        ops.patch_user(scope, participant, _body())
    return _resource(participant)
