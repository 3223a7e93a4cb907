"""The store's SigV4 signer agrees with botocore's, byte for byte."""

from __future__ import annotations

import calendar
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from chalicelib.store.sigv4 import signed_headers

BODY = b'{"TableName":"oidc","Key":{"pk":{"S":"t"},"sk":{"S":"tenant"}}}'


@pytest.mark.parametrize("token", ["session-token", None])
@pytest.mark.parametrize("host", ["dynamodb.eu-west-1.amazonaws.com", "127.0.0.1:4566"])
def test_same_signature_as_botocore(token, host):
    credentials = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    request = AWSRequest(
        method="POST",
        url=f"https://{host}/",
        data=BODY,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"},
    )
    SigV4Auth(credentials, "dynamodb", "eu-west-1").add_auth(request)
    # Sign at the second botocore signed at.
    when = calendar.timegm(time.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    ours = signed_headers(
        credentials, "eu-west-1", host, "DynamoDB_20120810.GetItem", "application/x-amz-json-1.0", BODY, now=when
    )
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
    assert ours.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")
