"""The direct DynamoDB client's rules that need no socket (its calls are driven over one in
tests/integration/test_wire.py)."""

from __future__ import annotations

import json

import pytest
from pynamodb.attributes import BinaryAttribute, BinarySetAttribute

from chalicelib.settings import Settings
from chalicelib.store import models, wire


def kinds(cls: type) -> list[type]:
    return [cls, *(kind for sub in cls.__subclasses__() for kind in kinds(sub))]


def test_no_kind_stores_binary_values():
    """The wire sends PynamoDB's body as JSON without botocore's blob encoding: a binary
    attribute would not serialise, so none may exist."""
    import chalicelib.store.limits  # noqa: F401 - kinds defined outside models

    binary = [
        f"{kind.__name__}.{name}"
        for kind in kinds(models.Item)
        for name, attribute in kind.get_attributes().items()
        if isinstance(attribute, BinaryAttribute | BinarySetAttribute)
    ]
    assert binary == []


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"Item": {"pk": {"S": "t"}}}, {"Item": {"pk": {"S": "t"}}}),
        (
            400,
            {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "failed"},
            {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}},
        ),
        (
            400,
            {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "cancelled",
                "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
            },
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
            },
        ),
        (503, None, {"Error": {"Code": "503", "Message": ""}}),
        (500, "not json", {"Error": {"Code": "500", "Message": ""}}),
    ],
)
def test_answers_parse_as_botocore_parses_them(status, body, expected):
    content = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    assert wire._parsed(status, content) == expected


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://dynamodb.eu-west-1.amazonaws.com/", "dynamodb.eu-west-1.amazonaws.com"),
        ("https://dynamodb.eu-west-1.amazonaws.com:443/", "dynamodb.eu-west-1.amazonaws.com"),
        ("http://127.0.0.1:4566/", "127.0.0.1:4566"),
    ],
)
def test_the_signed_host_is_the_one_sent(url, host):
    assert wire._host(url) == host


@pytest.mark.parametrize(("value", "chosen"), [(None, "direct"), ("botocore", "botocore"), ("direct", "direct")])
def test_the_client_is_chosen_by_the_environment(value, chosen):
    env = {} if value is None else {"DYNAMODB_CLIENT": value}
    assert Settings.from_env(env).dynamodb_client == chosen


def test_an_unknown_client_stops_the_start():
    with pytest.raises(ValueError, match="DYNAMODB_CLIENT must be one of direct, botocore"):
        Settings.from_env({"DYNAMODB_CLIENT": "fast"})


def test_a_client_built_without_credentials_is_built_again(monkeypatch, tmp_path):
    """Credentials missing at the first call (say, a role not yet readable) are looked for
    again at the next, instead of failing every call of the container from then on."""
    import botocore.session
    from botocore.exceptions import NoCredentialsError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    built = []

    def build():
        session = botocore.session.Session()
        built.append(session.create_client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"))
        return built[-1]

    direct = wire.Wire(build, attempts=1, timeouts=(0.5, 0.5))
    key = {"TableName": "oidc", "Key": {"pk": {"S": "t"}, "sk": {"S": "tenant"}}}
    with pytest.raises(NoCredentialsError):
        direct._make_api_call("GetItem", key)
    first = len(built)
    with pytest.raises(NoCredentialsError):
        direct._make_api_call("GetItem", key)
    assert first >= 1 and len(built) > first  # looked for again, not remembered as missing
