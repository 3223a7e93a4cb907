"""What an outbound request can end in besides a response."""

from __future__ import annotations


class Refused(ValueError):
    """The guard will not send this request: the URL, or an address its host resolves to,
    is not allowed. Final: trying again cannot change the answer. ``reason`` is short and
    safe to log (it never repeats the URL)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unreachable(OSError):
    """The request was allowed but did not get a response: the name did not resolve, the
    connection or TLS failed, or the peer was too slow. Worth trying again later."""
