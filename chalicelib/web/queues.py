"""Lambda functions fed by SQS: back-channel logout delivery, and the tenants' mail (its
jobs share the queue: ``chalicelib.mail.jobs``).

Chalice deploys each ``on_sqs_message`` handler as its own function, subscribed to the
queue. One message per invocation (``batch_size=1``): an exception returns exactly that
message to the queue, to be received again after its visibility timeout (and moved to the
dead-letter queue after a few receives), without redelivering notices that went through.
At most ten deliveries run at once, however many users log out, for every tenant: so one
delivery may hold its place only briefly. Each exchange with an RP has a 5 s deadline
(``chalicelib.outbound.guard.Policy.exchange_timeout``) and the function an 8 s Lambda
timeout (``.chalice/config.json``, ``infra/resources.json``), the backstop for what the
deadline does not cover (resolving the RP's name, AWS calls).
"""

from __future__ import annotations

import time
from typing import Any

from chalice import Blueprint

from chalicelib import events, observability
from chalicelib.observability import logs, metrics
from chalicelib.settings import settings

bp = Blueprint(__name__)
# Lambda runs this function by importing this module alone (the handler is
# "chalicelib.web.queues.deliver_backchannel_logout"), not app.py: its lines need the
# format and levels that app.py sets for the API.
logs.install()


@bp.on_sqs_message(
    queue=settings.backchannel_queue, batch_size=1, name="deliver_backchannel_logout", maximum_concurrency=10
)
def deliver_backchannel_logout(event: Any) -> None:
    from chalicelib.mail import jobs
    from chalicelib.oidc import backchannel

    observability.bind(request_id=observability.request_id_of({}, event.context))
    try:
        for record in event:
            if jobs.is_job(record.body):
                jobs.deliver(record.body, int(time.time()))
            else:
                backchannel.deliver(record.body, int(time.time()))
    finally:
        events.flush()
        metrics.flush()
