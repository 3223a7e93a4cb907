"""The container's one botocore session builds every AWS client of the app."""

from __future__ import annotations

from chalicelib import aws_session
from chalicelib.store import models


def test_pynamodb_builds_its_client_from_the_shared_session():
    assert models.connection().session is aws_session.session()
    assert models.connection().client.meta.service_model.service_name == "dynamodb"
