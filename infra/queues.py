"""Create the back-channel logout queue and its dead-letter queue from ``resources.json``, the
definition the deployment uses, for dev mode, the tests and a ``chalice deploy`` stage."""

from __future__ import annotations

import json
from typing import Any

from infra.tables import RESOURCES


def queue_properties(resource: str = "BackchannelQueue") -> dict[str, Any]:
    return json.loads(RESOURCES.read_text())["Resources"][resource]["Properties"]


def create_queues(sqs: Any, queue_name: str) -> str:
    """Create the queue ``queue_name`` and ``<queue_name>-dlq`` with a botocore SQS client (as
    the stack would: visibility timeout, retention, redrive after the same number of receives);
    idempotent. Returns the queue's URL."""
    spec, dead = queue_properties("BackchannelQueue"), queue_properties("BackchannelDeadLetterQueue")
    dlq_url = sqs.create_queue(QueueName=f"{queue_name}-dlq", Attributes=_attributes(dead))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec["RedrivePolicy"]["maxReceiveCount"]}
    attributes = {**_attributes(spec), "RedrivePolicy": json.dumps(redrive)}
    return sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]


def _attributes(spec: dict[str, Any]) -> dict[str, str]:
    """SQS's string attributes from the CloudFormation properties (booleans as true/false)."""
    names = [name for name in ("VisibilityTimeout", "MessageRetentionPeriod", "SqsManagedSseEnabled") if name in spec]
    return {name: json.dumps(spec[name]) if isinstance(spec[name], bool) else str(spec[name]) for name in names}
