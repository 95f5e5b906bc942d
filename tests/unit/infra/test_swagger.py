"""api/swagger.yaml: valid Swagger 2.0, routes wired to their functions, CORS, coded JSON errors."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft4Validator
from openapi_spec_validator import OpenAPIV2SpecValidator, validate

from tests.unit.infra.support import ADMIN_ROUTES, ROUTES, load_swagger, load_template

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head"}
CORS_HEADERS = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
}
# The AllowedOrigin parameter, or when it is empty the stack's own page (CloudFront's origin).
ALLOWED_ORIGIN = {
    "Fn::If": [
        "UseStackWebOrigin",
        {"Fn::Sub": "'https://${WebDistribution.DomainName}'"},
        {"Fn::Sub": "'${AllowedOrigin}'"},
    ]
}
# JSON Schema draft 4 keywords API Gateway accepts in models (it refuses e.g. example, x-nullable).
MODEL_KEYWORDS = {
    "type", "properties", "required", "items", "additionalProperties", "minLength", "maxLength",
    "pattern", "minimum", "maximum", "minItems", "maxItems", "enum", "format", "description",
    "$ref", "title", "uniqueItems",
}  # fmt: skip
FUNCTION_IN_URI = re.compile(
    r"^arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}:lambda:path/2015-03-31/functions/"
    r"\$\{(\w+)\.Arn\}/invocations$"
)
FILE_ID = "0123456789abcdef0123456789abcdef"


def _operations(swagger: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in swagger["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _model(name: str) -> Draft4Validator:
    definitions = load_swagger()["definitions"]
    return Draft4Validator({**definitions[name], "definitions": definitions})


def test_swagger_is_valid_swagger_2() -> None:
    validate(load_swagger(), cls=OpenAPIV2SpecValidator)


def test_swagger_has_exactly_the_documented_routes() -> None:
    assert set(_operations(load_swagger())) == set(ROUTES)


@pytest.mark.parametrize(("route", "function"), sorted(ROUTES.items()))
def test_route_is_a_lambda_proxy_to_its_function(route: tuple[str, str], function: str) -> None:
    operation = _operations(load_swagger())[route]
    integration = operation["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    assert integration["httpMethod"] == "POST"
    match = FUNCTION_IN_URI.match(integration["uri"]["Fn::Sub"])
    assert match is not None, integration["uri"]
    assert match.group(1) == function
    template = load_template()["Resources"]
    assert template[function]["Type"] == "AWS::Serverless::Function"


@pytest.mark.parametrize(("route", "function"), sorted(ROUTES.items()))
def test_api_gateway_may_invoke_each_function_for_its_route_only(
    route: tuple[str, str], function: str
) -> None:
    method, path = route
    permissions = [
        resource["Properties"]
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Permission"
        and resource["Properties"]["FunctionName"] == {"Ref": function}
    ]
    # One permission per route the function serves, each for exactly that route.
    assert len(permissions) == sum(1 for served in ROUTES.values() if served == function)
    route_arn = f"${{FilestoreApi}}/*/{method.upper()}{path.replace('{id}', '*')}"
    matching = [p for p in permissions if p["SourceArn"]["Fn::Sub"].endswith(route_arn)]
    assert len(matching) == 1
    assert matching[0]["Principal"] == "apigateway.amazonaws.com"


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_only_admin_routes_require_the_api_key(route: tuple[str, str]) -> None:
    swagger = load_swagger()
    assert "security" not in swagger
    assert swagger["securityDefinitions"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }
    security = _operations(swagger)[route].get("security")
    assert security == ([{"api_key": []}] if route in ADMIN_ROUTES else None)


@pytest.mark.parametrize(
    "path", ["/config", "/file", "/file/{id}", "/file/{id}/parts", "/file/{id}/complete", "/files"]
)
def test_every_path_answers_preflight_with_a_mock(path: str) -> None:
    item = load_swagger()["paths"][path]
    options = item["options"]
    assert "security" not in options
    integration = options["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock"
    assert json.loads(integration["requestTemplates"]["application/json"]) == {"statusCode": 200}
    response = integration["responses"]["default"]
    assert response["statusCode"] == "200"
    parameters = response["responseParameters"]
    assert {name.rsplit(".", 1)[1] for name in parameters} == CORS_HEADERS
    assert set(options["responses"]["200"]["headers"]) == CORS_HEADERS
    assert parameters["method.response.header.Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    methods = parameters["method.response.header.Access-Control-Allow-Methods"].strip("'")
    expected = {method.upper() for method in item if method in HTTP_METHODS} | {"OPTIONS"}
    assert set(methods.split(",")) == expected
    headers = parameters["method.response.header.Access-Control-Allow-Headers"].strip("'")
    assert set(headers.split(",")) == {"Content-Type", "X-Api-Key", "X-Revert-Token"}


# Every gateway response a client can meet: the catch-alls, the API key, the validators, the
# throttles and quota, a body over API Gateway's 10 MB and an integration timeout.
GATEWAY_RESPONSE_TYPES = [
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "MISSING_AUTHENTICATION_TOKEN",
    "INVALID_API_KEY",
    "BAD_REQUEST_BODY",
    "BAD_REQUEST_PARAMETERS",
    "THROTTLED",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "INTEGRATION_TIMEOUT",
]


# The one exception to the rule, as the contract (issue 8) names it: a missing or wrong API key
# answers API Gateway's own message, "Forbidden", and clients match that name.
NAMED_CODES = {"INVALID_API_KEY": "Forbidden"}


def gateway_error_code(response_type: str) -> str:
    """A gateway response's ``code``: its type in PascalCase (DEFAULT_4XX gives Default4XX)."""
    if response_type in NAMED_CODES:
        return NAMED_CODES[response_type]
    words = response_type.split("_")
    return "".join(word if word[0].isdigit() else word.capitalize() for word in words)


def test_the_swagger_customises_exactly_the_gateway_responses_clients_meet() -> None:
    assert set(load_swagger()["x-amazon-apigateway-gateway-responses"]) == set(
        GATEWAY_RESPONSE_TYPES
    )


@pytest.mark.parametrize("response_type", GATEWAY_RESPONSE_TYPES)
def test_gateway_errors_carry_cors_a_json_message_and_a_code_named_after_their_type(
    response_type: str,
) -> None:
    response = load_swagger()["x-amazon-apigateway-gateway-responses"][response_type]
    origin = response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
    assert origin == ALLOWED_ORIGIN
    template = response["responseTemplates"]["application/json"]
    # Simple substitution as API Gateway does it: messageString comes quoted, the validation
    # error JSON-escaped.
    body = template.replace("$context.error.messageString", '"Forbidden"').replace(
        "$context.error.validationErrorString", 'array is too long (allowed: [\\"100\\"])'
    )
    document = json.loads(body)
    assert set(document) == {"message", "code"}
    assert isinstance(document["message"], str)
    assert document["code"] == gateway_error_code(response_type)
    assert list(_model("Error").iter_errors(document)) == []


def test_api_key_errors_are_403() -> None:
    responses = load_swagger()["x-amazon-apigateway-gateway-responses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "403"
    assert responses["INVALID_API_KEY"]["statusCode"] == "403"
    assert responses["THROTTLED"]["statusCode"] == "429"


def test_every_body_is_validated_by_a_declared_validator() -> None:
    swagger = load_swagger()
    validators = swagger["x-amazon-apigateway-request-validators"]
    assert validators["body-only"] == {
        "validateRequestBody": True,
        "validateRequestParameters": False,
    }
    assert validators["params-only"] == {
        "validateRequestBody": False,
        "validateRequestParameters": True,
    }
    for route, operation in _operations(swagger).items():
        name = operation.get("x-amazon-apigateway-request-validator")
        assert name is None or name in validators, route
        parameters = [
            swagger["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            for p in operation.get("parameters", [])
        ]
        if any(parameter["in"] == "body" for parameter in parameters):
            assert name is not None and validators[name]["validateRequestBody"], route


def test_path_id_and_query_flags_are_constrained() -> None:
    parameters = load_swagger()["parameters"]
    assert parameters["FileId"]["pattern"] == "^[0-9a-f]{32}$"
    assert parameters["IncludeDeleted"]["enum"] == ["yes", "no"]
    assert parameters["IncludeNonStored"]["enum"] == ["yes", "no"]
    # A missing revert token is the handler's 403, not a validation 400.
    assert parameters["RevertToken"]["required"] is False


def test_models_use_only_keywords_api_gateway_accepts() -> None:
    def walk(schema: Any, where: str) -> None:
        if isinstance(schema, dict):
            unknown = set(schema) - MODEL_KEYWORDS
            assert not unknown, f"{where}: {unknown}"
            for key, value in schema.items():
                if key == "properties":
                    for name, child in value.items():
                        walk(child, f"{where}.{name}")
                elif key in ("items", "additionalProperties"):
                    walk(value, f"{where}.{key}")

    for name, schema in load_swagger()["definitions"].items():
        walk(schema, name)


@pytest.mark.parametrize(
    "body",
    [
        {"name": 'résumé "final".pdf', "size": 1},
        {"name": "photo.jpg", "size": 104857600, "type": "image/jpeg"},
        {"name": "x" * 255, "size": 5368709120, "type": ""},
    ],
)
def test_create_file_model_accepts_good_requests(body: dict[str, Any]) -> None:
    assert list(_model("CreateFileRequest").iter_errors(body)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"size": 1},
        {"name": "", "size": 1},
        {"name": "x" * 256, "size": 1},
        {"name": "a\r\nb.txt", "size": 1},
        {"name": "tab\there", "size": 1},
        {"name": "del\x7f", "size": 1},
        {"name": "c1\x85", "size": 1},
        {"name": "../etc/passwd", "size": 1},
        {"name": "dir\\file.txt", "size": 1},
        {"name": "a.txt"},
        {"name": "a.txt", "size": 0},
        {"name": "a.txt", "size": "12"},
        {"name": "a.txt", "size": 1.5},
        {"name": "a.txt", "size": 5497558138881},
        {"name": "a.txt", "size": 1, "type": "t" * 256},
        {"name": "a.txt", "size": 1, "checksum_sha256": "not base64"},
        {"name": "a.txt", "size": 1, "checksum_sha256": "A" * 43 + "B"},
        {"name": "a.txt", "size": 1, "checksum_sha256": None},
        ["a.txt"],
    ],
)
def test_create_file_model_refuses_bad_requests(body: Any) -> None:
    assert list(_model("CreateFileRequest").iter_errors(body)) != []


def test_id_list_model_takes_1_to_100_lowercase_hex_ids() -> None:
    ids = _model("IdList")
    assert list(ids.iter_errors([FILE_ID] * 100)) == []
    assert list(ids.iter_errors([FILE_ID])) == []
    for bad in ([], [FILE_ID] * 101, [FILE_ID.upper()], [FILE_ID[:-1]], [1], {"ids": [FILE_ID]}):
        assert list(ids.iter_errors(bad)) != [], bad


def test_response_models_describe_what_the_handlers_return() -> None:
    file_info = _model("FileInfoList")
    described = {
        "id": FILE_ID,
        "name": "a.pdf",
        "type": "application/pdf",
        "size": 3,
        "status": "pending",
        "created_at": "2026-01-31T12:00:00Z",
        "uploaded_at": None,
        "stored_at": None,
        "deleted_at": None,
        "expired": False,
        "url": None,
    }
    assert list(file_info.iter_errors([described])) == []
    assert list(file_info.iter_errors([{**described, "status": "lost"}])) != []
    config = {
        "max_file_size": 1,
        "allowed_types": ["*"],
        "store_on_upload": False,
        "url_expiration": 900,
        "max_name_length": 255,
        "max_batch_size": 100,
    }
    assert list(_model("Config").iter_errors(config)) == []
    for field in ("max_name_length", "max_batch_size"):
        without = {key: value for key, value in config.items() if key != field}
        assert list(_model("Config").iter_errors(without)) != [], field
    assert list(_model("Error").iter_errors({"message": "no", "code": "FileNotFound"})) == []
    assert list(_model("Error").iter_errors({"message": "no"})) != []
    assert list(_model("BatchResult").iter_errors({"result": [], "problems": {}})) == []
