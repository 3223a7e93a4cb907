"""Sending through Amazon SES (the v2 API's SendEmail, simple content: text only).

The client is the container's botocore client for ``sesv2`` (``chalicelib.keys.aws``: one
botocore session, 2 s to connect, 3 s per read, three attempts), so its endpoint comes from
the environment like every other AWS client's (``AWS_ENDPOINT_URL``, or
``AWS_ENDPOINT_URL_SESV2``): real SES, or moto's in local development, where the messages
stay in the emulator for the local mail page to show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.keys import aws

log = logging.getLogger("oidc")
# SES's answers that sending again will not change: the sender is not a verified identity,
# the account is in the sandbox and the recipient is not verified, the request is malformed.
PERMANENT = frozenset({"MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException",
                       "NotFoundException", "AccountSuspendedException", "SendingPausedException"})  # fmt: skip


@dataclass(frozen=True)
class Message:
    sender: str
    to: str
    subject: str
    text: str


class Undeliverable(Exception):
    """SES refused the message for good (not worth another try)."""


def send(message: Message) -> str:
    """Send ``message``; SES's message id. Undeliverable when SES refuses it for good; any
    other failure (throttling, SES unavailable) is raised as botocore's, for the queue to
    deliver the job again later."""
    from botocore.exceptions import ClientError

    try:
        answer = aws.client("sesv2").send_email(
            FromEmailAddress=message.sender,
            Destination={"ToAddresses": [message.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                }
            },
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in PERMANENT:
            raise Undeliverable(code) from None
        raise
    return answer["MessageId"]
