"""The container's one botocore session builds every AWS client of the app, from the pruned
copy of botocore's data when there is one (``make package``), to the same effect as from
botocore's own."""

from __future__ import annotations

import json

import botocore
import botocore.exceptions
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.regions import EndpointResolver

from chalicelib import aws_session
from chalicelib.store import models
from infra.package import SERVICES, prune_botocore_data


@pytest.fixture(scope="module")
def pruned(tmp_path_factory):
    data = tmp_path_factory.mktemp("botocore-data")
    prune_botocore_data(data)
    return data


@pytest.fixture
def sessions(pruned, monkeypatch):
    """A session as the app builds it from the pruned copy, and one on botocore's data."""
    monkeypatch.setattr(aws_session, "PRUNED_DATA", (pruned,))
    return aws_session._new_session(), botocore.session.Session()


def test_pynamodb_builds_its_client_from_the_shared_session():
    assert models.connection().session is aws_session.session()
    assert models.connection().client.meta.service_model.service_name == "dynamodb"


def test_the_pruned_copy_holds_botocores_models_of_the_services(sessions):
    pruned, full = sessions
    assert isinstance(pruned.get_component("data_loader"), aws_session.PrunedLoader)
    assert pruned.get_available_services() == sorted(SERVICES)
    for service in SERVICES:
        assert pruned.get_service_data(service) == full.get_service_data(service)


def test_endpoints_resolve_as_with_botocores_data_in_every_region(pruned):
    """Every partition and region keeps its endpoint, signing region and credential scope;
    and the copy counts as built-in data, or botocore would override the endpoint rules
    with legacy endpoints (losing, for one, DynamoDB's account-based endpoints)."""
    full = botocore.loaders.Loader().load_data("endpoints")
    resolver = EndpointResolver(full, uses_builtin_data=True)
    loader = aws_session.PrunedLoader(pruned)
    data, path = loader.load_data_with_path("endpoints")
    pruned_resolver = EndpointResolver(data, uses_builtin_data=loader.is_builtin_path(path))
    assert pruned_resolver.uses_builtin_data
    for partition in resolver.get_available_partitions():
        regions = {r for p in full["partitions"] if p["partition"] == partition for r in p["regions"]}
        for service in SERVICES:
            for region in sorted(regions):
                for variant in ({}, {"use_fips_endpoint": True}, {"use_dualstack_endpoint": True}):
                    expected = _outcome(resolver, service, region, variant)
                    assert _outcome(pruned_resolver, service, region, variant) == expected


def _outcome(resolver: EndpointResolver, service: str, region: str, variant: dict) -> object:
    try:
        return resolver.construct_endpoint(service, region, **variant)
    except botocore.exceptions.BotoCoreError as error:
        return repr(error)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])
def test_clients_reach_the_same_endpoints(sessions, region):
    pruned, full = sessions
    for service in ("dynamodb", "kms", "secretsmanager"):
        ours, theirs = pruned.create_client(service, region), full.create_client(service, region)
        assert ours.meta.endpoint_url == theirs.meta.endpoint_url
        assert ours.meta.config.signature_version == theirs.meta.config.signature_version


def test_dynamodb_requests_keep_their_account_based_endpoint(sessions, monkeypatch):
    """Why the copy stands as built-in data: were it taken for custom data, botocore would
    send DynamoDB requests to the legacy regional endpoint instead of the account's."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    urls = []

    def answer(request, **_) -> AWSResponse:
        urls.append(request.url)
        return AWSResponse(request.url, 200, {}, _Body(b"{}"))

    for session in sessions:
        session.set_credentials("AKIDEXAMPLE", "secret", account_id="123456789012")
        client = session.create_client("dynamodb", "us-east-1")
        client.meta.events.register_first("before-send.*.*", answer)
        client.list_tables()
    assert urls == ["https://123456789012.ddb.us-east-1.amazonaws.com/"] * 2


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_):
        yield self.content


def test_botocores_own_data_without_a_matching_copy(pruned, tmp_path, monkeypatch):
    other = tmp_path / "botocore-data"
    other.mkdir()
    (other / aws_session.VERSION_FILE).write_text("0.0.1")
    monkeypatch.setattr(aws_session, "PRUNED_DATA", (other,))
    assert type(aws_session._new_session().get_component("data_loader")) is botocore.loaders.Loader
    monkeypatch.setattr(aws_session, "PRUNED_DATA", (tmp_path / "absent",))
    assert type(aws_session._new_session().get_component("data_loader")) is botocore.loaders.Loader


def test_botocores_own_data_when_aws_data_path_asks_for_other_models(pruned, tmp_path, monkeypatch):
    monkeypatch.setattr(aws_session, "PRUNED_DATA", (pruned,))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert not isinstance(aws_session._new_session().get_component("data_loader"), aws_session.PrunedLoader)


def test_the_copy_records_the_botocore_it_was_made_from(pruned):
    assert (pruned / aws_session.VERSION_FILE).read_text() == botocore.__version__
    endpoints = json.loads((pruned / "endpoints.json").read_text())
    assert {name for p in endpoints["partitions"] for name in p["services"]} <= set(SERVICES)
