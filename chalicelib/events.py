"""Events (the seed's Django signals): one structured log line each.

``user_accept_consent`` and ``user_decline_consent`` are the seed's signals; the others are
what an operator watching logs needs. Events never carry secrets or passwords.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("oidc.events")


def emit(event: str, tenant_id: str, **fields: Any) -> None:
    logger.info(json.dumps({"event": event, "tenant": tenant_id, **fields}, default=str))
