"""The admin API's OpenAPI document (``chalicelib/admin/openapi.json``) is valid OpenAPI 3.1
and tells the truth: every admin route with its methods and nothing else, every field each
request takes and each answer gives and no other, with the code's types, bounds and choices.
(tests/integration/test_openapi.py sends it requests and checks the answers.)"""

from __future__ import annotations

import dataclasses
import json
import re

import click
import pytest

from chalicelib.admin import api
from chalicelib.admin import client_fields as fields
from chalicelib.admin import users as user_admin
from chalicelib.keys.algorithms import ALGORITHMS
from chalicelib.oidc.authorize import RESPONSE_TYPES
from chalicelib.oidc.claims import ADDRESS_FIELDS
from chalicelib.oidc.params import MAX_LENGTH
from chalicelib.tenancy import settings as tenancy

HOST = "op.example.test"
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict:
    from chalicelib.web.admin import openapi_document

    return openapi_document()


def schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def properties(document: dict, name: str) -> set[str]:
    """The fields a schema names, its own and those of the schemas it is made of (allOf)."""
    found = schema(document, name)
    names = set(found.get("properties", {}))
    for part in found.get("allOf", ()):
        names |= properties(document, part["$ref"].rsplit("/", 1)[1])
    return names


def field(document: dict, name: str, prop: str) -> dict:
    return schema(document, name)["properties"][prop]


def test_the_served_document_is_valid_openapi_3_1_with_this_deployment_as_its_server(http, document):
    from openapi_spec_validator import validate

    response = http.get("/admin/openapi.json", headers={"host": HOST})
    served = json.loads(response.body)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert served == {**document, "servers": [{"url": f"http://{HOST}"}]}
    assert served["openapi"] == "3.1.0"
    validate(served)


def test_every_admin_route_is_described_with_its_methods_and_nothing_else(document):
    from app import app

    routes = {path: {method.lower() for method in entries} for path, entries in app.routes.items()}
    admin = {path: methods for path, methods in routes.items() if path == "/admin" or path.startswith("/admin/")}
    described = {path: set(item) & METHODS for path, item in document["paths"].items()}
    assert described == admin


def test_every_operation_needs_the_admin_key_but_the_document_itself(document):
    assert document["security"] == [{"adminKey": []}]
    assert document["components"]["securitySchemes"]["adminKey"] == {
        **document["components"]["securitySchemes"]["adminKey"], "type": "http", "scheme": "bearer",
    }  # fmt: skip
    public = [path for path, item in document["paths"].items() for op in METHODS & set(item) if "security" in item[op]]
    assert public == ["/admin/openapi.json"]


def test_a_clients_fields_are_the_clis_and_the_codes(document):
    assert properties(document, "ClientFields") == set(fields.FIELDS)
    assert properties(document, "ClientCreate") == set(fields.FIELDS) | {"name", "client_type", "client_id",
                                                                         "client_secret"}  # fmt: skip
    assert properties(document, "ClientChange") == set(fields.FIELDS) | {"name", "client_id"}
    for name, default in fields.FIELDS.items():
        types = field(document, "ClientFields", name)["type"]
        types = set(types) if isinstance(types, list) else {types}
        # None is the default only of what may be absent (derived grant types, URIs): nullable.
        kind = {bool: "boolean", tuple: "array", str: "string"}.get(type(default))
        assert ("null" in types) == (default is None) and len(types - {"null"}) == 1, name
        assert kind is None or types == {kind}, name


def test_a_clients_bounds_and_choices_are_the_codes(document):
    def allowed(prop: str) -> set:
        return set(field(document, "ClientFields", prop)["enum"]) - {None}

    assert allowed("id_token_signed_response_alg") == set(ALGORITHMS) | {"HS256"}
    assert allowed("token_endpoint_auth_method") == {m for ms in fields.AUTH_METHODS.values() for m in ms}
    assert set(field(document, "ClientFields", "grant_types")["items"]["enum"]) == set(tenancy.GRANT_TYPES)
    assert set(field(document, "ClientCreate", "client_type")["enum"]) == set(fields.CLIENT_TYPES)
    response_type = re.compile(field(document, "ClientFields", "response_types")["items"]["pattern"])
    assert all(response_type.fullmatch(" ".join(reversed(value.split()))) for value in RESPONSE_TYPES)
    for name in fields.LISTS:
        assert field(document, "ClientFields", name)["maxItems"] == fields.MAX_ITEMS
        if name != "grant_types":
            assert field(document, "ClientFields", name)["items"]["maxLength"] == fields.MAX_TEXT
    assert field(document, "ClientCreate", "name")["maxLength"] == fields.MAX_NAME
    assert field(document, "ClientCreate", "client_id")["pattern"] == f"^{fields.CLIENT_ID.pattern}$"


def test_a_clients_answer_has_exactly_the_fields_described(document, tenant, client, public_client):
    for one in (client[0], public_client):
        _, shown = api.show_client(tenant.id, one.client_id)
        assert set(shown) == properties(document, "ClientView")
        _, rotated = api.rotate_client_secret(tenant.id, client[0].client_id)
        assert set(rotated) == properties(document, "ClientWithSecret")


def test_the_tenants_settings_are_the_codes_with_their_bounds_and_choices(document, tenant):
    settings = schema(document, "Settings")["properties"]
    assert set(settings) == {f.name for f in dataclasses.fields(tenancy.TenantSettings)}
    for name, (low, high) in tenancy.BOUNDS.items():
        assert (settings[name]["type"], settings[name]["minimum"], settings[name]["maximum"]) == ("integer", low, high)
    for name, choices in tenancy.CHOICES.items():
        assert settings[name]["enum"] == list(choices)
    for f in dataclasses.fields(tenancy.TenantSettings):
        assert (f.type == "bool") == (settings[f.name].get("type") == "boolean"), f.name
    change = field(document, "TenantChange", "settings")
    assert set(change["propertyNames"]["not"]["enum"]) == api.OPERATOR_SETTINGS
    assert properties(document, "TenantChange") == api.TENANT_CHANGE
    assert properties(document, "Branding") == {f.name for f in dataclasses.fields(tenancy.Branding)}
    assert properties(document, "ExtraScope") == tenancy._SCOPE_FIELDS
    assert settings["extra_scopes"]["maxProperties"] == tenancy.MAX_EXTRA_SCOPES
    assert set(settings["extra_scopes"]["propertyNames"]["not"]["enum"]) == tenancy.RESERVED_SCOPES
    assert set(field(document, "ExtraScope", "claims")["items"]["not"]["enum"]) == tenancy.RESERVED_CLAIMS
    for name in ("outbound_allowed_hosts", "registration_redirect_hosts"):
        assert settings[name]["maxItems"] == tenancy.MAX_ALLOWED_HOSTS
    assert set(settings["registration_grant_types"]["items"]["enum"]) == set(tenancy.GRANT_TYPES)
    _, shown = api.show_tenant(tenant.id)
    assert set(shown) == properties(document, "Tenant")
    assert all(set(key) == properties(document, "Key") for key in shown["keys"])


def test_a_users_fields_are_the_codes(document, tenant, user):
    assert properties(document, "UserCreate") == api.NEW_USER
    assert properties(document, "UserChange") == api.USER_CHANGE
    assert properties(document, "Claims") == properties(document, "ClaimsChange") == user_admin.CLAIMS
    claims = schema(document, "Claims")["properties"]
    assert {name for name, spec in claims.items() if spec.get("type") == "boolean"} == user_admin.BOOLEAN_CLAIMS
    assert properties(document, "Address") == set(ADDRESS_FIELDS)
    password = schema(document, "Password")
    assert (password["minLength"], password["maxLength"]) == (user_admin.MIN_PASSWORD, MAX_LENGTH)
    _, shown = api.show_user(tenant.id, "alice")
    assert set(shown) == properties(document, "UserView")
    _, unlocked = api.unlock_user(tenant.id, "alice")
    assert set(unlocked) == properties(document, "UserUnlocked")


def test_a_registration_tokens_fields_and_bounds_are_the_codes(document, tenant):
    request = schema(document, "RegistrationTokenRequest")["properties"]
    assert set(request) == api.NEW_REGISTRATION_TOKEN and request["note"]["maxLength"] == api.MAX_NOTE
    low, high = request["days"]["minimum"], request["days"]["maximum"]
    for days, accepted in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        try:
            _, token = api.create_registration_token(tenant.id, {"days": days})
        except ValueError:
            assert not accepted, days
        else:
            assert accepted and set(token) == properties(document, "RegistrationToken"), days


def test_every_error_the_api_answers_is_described(document):
    from chalicelib.oidc import errors

    raised = (errors.InvalidRequest, errors.InvalidToken, errors.MissingToken, errors.NotFound, errors.Conflict,
              errors.PreconditionFailed, errors.UnsupportedMediaType, errors.TemporarilyUnavailable,
              errors.TenantDisabled)  # fmt: skip
    assert set(schema(document, "Error")["properties"]["error"]["enum"]) == {error.error for error in raised}
    statuses = {
        status
        for item in document["paths"].values()
        for method in METHODS & set(item)
        for status, response in item[method]["responses"].items()
        if "$ref" in response
    }
    assert statuses == {str(error.status) for error in raised}


# The CLI's commands and the admin API's bodies that do the same thing: (command, schema).
SAME = [
    (("clients", "create"), "ClientCreate"),
    (("clients", "update"), "ClientChange"),
    (("users", "create"), "UserCreate"),
    (("tenants", "registration-token"), "RegistrationTokenRequest"),
]


@pytest.mark.parametrize(("command", "body"), SAME)
def test_the_clis_options_are_named_after_the_apis_fields(document, command, body):
    """An option sets the field of its name: ``--backchannel-logout-uri`` sets
    backchannel_logout_uri, a repeated ``--redirect-uri`` sets redirect_uris."""
    from chalicelib.admin.cli import cli

    group, name = command
    options = [param for param in cli.commands[group].commands[name].params if isinstance(param, click.Option)]
    described = properties(document, body)
    for option in options:
        if option.name == "exists_ok":  # the CLI's own: idempotent seeding
            continue
        spelled = "--" + option.name.replace("_", "-")
        assert option.name in described, option.name
        assert spelled in option.opts or (option.multiple and spelled.removesuffix("s") in option.opts), option.opts
