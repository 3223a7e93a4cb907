"""Back-Channel Logout 1.0, off the user's path: logout queues one notice per client to
notify, and a consumer mints each logout token and posts it through the outbound guard.

A notice names what the token needs (tenant, issuer, client, sub, the public sid) and no
credential. The token is minted when it is sent, not when the user logs out: its ``iat`` and
two-minute ``exp`` then hold for each attempt, so a retry minutes later is still accepted
(§2.6 lets an RP reject stale tokens). Outcomes (one ``backchannel_logout`` event each):

- a 2xx is ``delivered``; a 3xx or 4xx ``rejected`` (§2.8: 400 means the RP could not log
  the user out; trying again will not change that); a refusal of the guard ``refused``;
  a client deleted since, or without a back-channel URI now, ``dropped``: all final;
- a 5xx, or no answer at all, is ``retry``: RetryLater is raised, the queue delivers the
  message again later, and after a few receives it goes to the dead-letter queue.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib import events, observability, outbound
from chalicelib.context import Context
from chalicelib.outbound import queue
from chalicelib.settings import settings
from chalicelib.tenancy.resolve import cached_client, resolve_tenant

log = logging.getLogger("oidc")
EVENT = "backchannel_logout"


class RetryLater(Exception):
    """Delivery failed in a way that may pass later: let the queue deliver the notice again."""


@dataclass(frozen=True)
class Notice:
    tenant: str
    issuer: str
    client_id: str
    sub: str
    sid: str  # the public sid (a one-way function of the session credential)
    logged_out_at: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> Notice:
        """The notice in a queue message; ValueError if it is not one."""
        values: Any = json.loads(body)
        if not isinstance(values, dict) or set(values) != set(cls.__dataclass_fields__):
            raise ValueError("not a back-channel logout notice")
        if not all(isinstance(values[name], str) for name in ("tenant", "issuer", "client_id", "sub", "sid")):
            raise ValueError("not a back-channel logout notice")
        if not isinstance(values["logged_out_at"], int):
            raise ValueError("not a back-channel logout notice")
        return cls(**values)


def enqueue(notices: list[Notice]) -> None:
    """Queue the notices (one message each); those SQS would not take are reported."""
    for index in queue.enqueue(settings.backchannel_queue, [notice.to_json() for notice in notices]):
        notice = notices[index]
        events.emit(EVENT, notice.tenant, client_id=notice.client_id, outcome="not_queued")


def deliver(body: str, now: int) -> str:
    """Send the logout token one queue message asks for; returns the final outcome, or
    raises RetryLater."""
    try:
        notice = Notice.from_json(body)
    except ValueError:
        log.warning("dropped a queue message that is not a back-channel logout notice")
        return "malformed"
    observability.bind(tenant=notice.tenant)  # the lines from here on are this tenant's
    tenant = resolve_tenant(notice.tenant)
    client = cached_client(notice.tenant, notice.client_id) if tenant is not None else None
    # A disabled tenant's notices go too: its keys are withheld, so no RP could verify them.
    if tenant is None or tenant.disabled or client is None or not client.backchannel_logout_uri:
        return _outcome(notice, "dropped")
    from chalicelib.oidc.endpoints.logout import logout_token

    token = logout_token(Context(tenant, notice.issuer, now), client, notice.sub, notice.sid)
    policy = outbound.policy_for(tenant.settings.outbound_allowed_hosts)
    try:
        response = outbound.post_form(client.backchannel_logout_uri, {"logout_token": token}, policy)
    except outbound.Refused as refused:
        return _outcome(notice, "refused", reason=refused.reason)
    except outbound.Unreachable as error:
        _outcome(notice, "retry", reason=str(error))
        raise RetryLater(str(error)) from None
    if response.status >= 500:
        _outcome(notice, "retry", status=response.status)
        raise RetryLater(f"status {response.status}")
    return _outcome(notice, "delivered" if response.status < 300 else "rejected", status=response.status)


def _outcome(notice: Notice, outcome: str, **fields: Any) -> str:
    events.emit(EVENT, notice.tenant, client_id=notice.client_id, outcome=outcome, **fields)
    return outcome
