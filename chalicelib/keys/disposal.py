"""Scheduling a deleted tenant's key material for deletion.

Nothing is destroyed at once: KMS keys wait out a pending window and Secrets Manager secrets
a recovery window (7 to 30 days), in which an operator who deleted the wrong tenant can
still cancel (``kms cancel-key-deletion``, ``secretsmanager restore-secret``). Keys whose
private part is wrapped and stored in DynamoDB with the tenant (the ``envelope`` backend)
go with the tenant's items and need nothing here. Each call is safe to repeat: a key already
scheduled, or already gone, counts as done, so an interrupted deletion can be run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.keys import aws

MIN_DAYS, MAX_DAYS = 7, 30  # what both services accept
ALREADY = {
    "kms": {"NotFoundException", "KMSInvalidStateException"},  # gone, or pending deletion already
    "secretsmanager": {"ResourceNotFoundException", "InvalidRequestException"},  # gone, or scheduled
}


def schedule_deletion(key: Mapping[str, Any], days: int) -> str:
    """Schedule one key's material for deletion in ``days``; what became of it."""
    backend, ref = key.get("backend"), key.get("ref")
    if backend not in ALREADY:
        return "nothing to do"  # stored with the tenant's items (envelope), deleted with them
    try:
        if backend == "kms":
            kms = aws.client("kms")
            # By its key id (the ARN names it too, but moto finds keys by id only).
            key_id = kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"]
            _delete_aliases(key_id)
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
        else:
            aws.client("secretsmanager").delete_secret(SecretId=ref, RecoveryWindowInDays=days)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ALREADY[backend]:
            raise
        return "already scheduled or gone"
    return f"scheduled in {days} days"


def _delete_aliases(key_id: str) -> None:
    """Free the key's aliases now (they name the tenant), rather than when KMS deletes it."""
    kms = aws.client("kms")
    for alias in kms.list_aliases(KeyId=key_id).get("Aliases", ()):
        kms.delete_alias(AliasName=alias["AliasName"])
