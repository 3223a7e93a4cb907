"""Tenants' signing keys carry their tenant and their deployment's stage (issue 7, item 12):
each stage's functions may sign only with KMS keys tagged for that stage (their IAM policy's
``aws:ResourceTag/oidc-stage`` condition, checked in tests/integration/test_package.py)."""

from __future__ import annotations

import dataclasses
import os

import boto3
import pytest

from chalicelib.admin import AdminError
from chalicelib.admin import keys as key_admin
from chalicelib.admin import tenants as tenant_admin


def kms_tags(key_id: str) -> dict[str, str]:
    tags = boto3.client("kms").list_resource_tags(KeyId=key_id)["Tags"]
    return {tag["TagKey"]: tag["TagValue"] for tag in tags}


def test_kms_keys_are_tagged_with_their_tenant_and_stage(aws):
    tenant = tenant_admin.create_tenant("kmsco", "KMS Co", key_backend="kms")
    rotated = key_admin.rotate_key("kmsco", "ES256")
    stored = {key["kid"]: key for key in tenant_admin.get_tenant("kmsco").keys}
    for kid in (tenant.keys[0]["kid"], rotated["kid"]):
        assert stored[kid]["backend"] == "kms"
        assert kms_tags(stored[kid]["ref"]) == {"oidc-tenant": "kmsco", "oidc-stage": "unit"}


def test_key_secrets_are_named_under_the_stages_prefix_and_tagged(aws):
    tenant = tenant_admin.create_tenant("acme", "Acme", key_backend="secretsmanager")
    secret = boto3.client("secretsmanager").describe_secret(SecretId=tenant.keys[0]["ref"])
    assert secret["Name"].startswith(os.environ["KEY_SECRET_PREFIX"] + "acme/")  # what the policy scopes
    assert {tag["Key"]: tag["Value"] for tag in secret["Tags"]} == {"oidc-tenant": "acme", "oidc-stage": "unit"}


def test_without_a_stage_no_kms_key_is_made(aws, table_items, monkeypatch):
    """A key no stage may sign with is refused before it exists."""
    monkeypatch.setattr(key_admin, "deployment", dataclasses.replace(key_admin.deployment, stage=None))
    kms = boto3.client("kms")
    keys, items = kms.list_keys()["Keys"], table_items()
    for backend in ("kms", "envelope"):
        with pytest.raises(AdminError, match="DEPLOYMENT_STAGE"):
            tenant_admin.create_tenant("kmsco", "KMS Co", key_backend=backend)
    assert kms.list_keys()["Keys"] == keys and table_items() == items
