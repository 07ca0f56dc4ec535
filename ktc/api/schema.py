"""Small builders for the OpenAPI fragments (`PATHS`, `SCHEMAS`) each API module declares."""

ERROR_TEXT = {
    "400": "Malformed JSON or a body that is not a JSON object.",
    "401": "No valid API token.",
    "403": "The token's owner may not do this.",
    "404": "No such object (or not visible to the token's owner).",
    "409": "A rule of the domain refused the change (see error.code).",
    "422": "A field is missing, of the wrong type or breaks a rule (see error.field).",
}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(name):
    return {"type": "array", "items": ref(name)}


def error(status):
    return {"description": ERROR_TEXT[status], "content": {"application/json": {"schema": ref("Error")}}}


def body(schema, required=True):
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def path_id(name="id", description="Object id"):
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "integer"}}


def query(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def operation(summary, tag, *, response, status="200", description="", request=None, params=(), errors=()):
    """One OpenAPI operation; every operation can answer 401 and the errors listed."""
    responses = {status: {"description": description or summary,
                          "content": {"application/json": {"schema": response}}}}
    for code in sorted({"401", *errors}):
        responses[code] = error(code)
    op = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        op["parameters"] = list(params)
    if request is not None:
        op["requestBody"] = body(request)
    return op


def obj(properties, required=()):
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with an offset"}
NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
IDS = {"type": "array", "items": {"type": "integer"}}
