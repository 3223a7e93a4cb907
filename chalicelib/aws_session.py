"""The container's one botocore session, from which every AWS client of the app is built:
PynamoDB's DynamoDB client and the KMS and Secrets Manager clients.

One session rather than one per client, because a session's set-up (registering ~120 event
handlers, resolving the credential chain) is Lambda cold-start time, paid once this way.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.session

# Reentrant: building the first client resolves credentials, and an assume-role or SSO
# provider builds its own STS or SSO client from this same session while doing so.
_lock = threading.RLock()
_session: list[botocore.session.Session] = []


class _Session(botocore.session.Session):
    """A botocore session is not thread-safe while it builds clients, and two request
    threads (``chalice local``, or PynamoDB's and ours) may build them at once."""

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return super().create_client(*args, **kwargs)


def session() -> botocore.session.Session:
    if not _session:
        with _lock:
            if not _session:
                _session.append(_Session())
    return _session[0]
