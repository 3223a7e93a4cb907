"""Create the DynamoDB table from ``resources.json``, the one definition that the deployment,
dev mode and the tests share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).with_name("resources.json")


def table_properties() -> dict[str, Any]:
    """The CloudFormation properties of the table resource."""
    resources = json.loads(RESOURCES.read_text())["Resources"]
    return resources["OidcTable"]["Properties"]


def create_table(dynamodb: Any, table_name: str) -> bool:
    """Create the table (and enable TTL) with a boto3 DynamoDB client; False if it existed."""
    spec = table_properties()
    try:
        dynamodb.create_table(
            TableName=table_name,
            BillingMode=spec["BillingMode"],
            AttributeDefinitions=spec["AttributeDefinitions"],
            KeySchema=spec["KeySchema"],
            SSESpecification={"Enabled": spec["SSESpecification"]["SSEEnabled"]},
        )
    except dynamodb.exceptions.ResourceInUseException:
        return False
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)
    ttl = spec["TimeToLiveSpecification"]
    dynamodb.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]},
    )
    return True
