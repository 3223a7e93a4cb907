"""Read-modify-write for the admin services, with optimistic concurrency.

Each change reads the item, applies the request to what it read, and writes it back on
condition that the item is still at the version read (``chalicelib.store.versions``). Two
admins' changes to different settings, fields or claims are merges into the current state,
so a write that lost its race reads again and re-applies its change; after a few attempts
it gives up with ``Conflict`` (409), having written nothing. A caller that names the version
it saw (``expected``, from If-Match) gets no retry: a changed item is ``PreconditionFailed``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.admin import Conflict, PreconditionFailed

T = TypeVar("T")
ATTEMPTS = 8
# Full jitter, doubling per attempt up to a cap (up to 20 ms, then 40, 80, 160, 320, 320...):
# writers that collided spread out instead of colliding again. Eight attempts sleep 0.6 s on
# average and 1.3 s at most in all, well within a Lambda invocation; fifteen admins patching
# one tenant at once on a loaded 2-core machine needed up to five (tests/integration).
BACKOFF = 0.02
MAX_BACKOFF = 0.32


def retrying(attempt: Callable[[], T | None], what: str) -> T:
    """Run ``attempt`` (read, apply, conditional write) until it returns a result; None
    means its write lost a race and nothing was written."""
    for number in range(ATTEMPTS):
        result = attempt()
        if result is not None:
            return result
        if number + 1 < ATTEMPTS:
            window = min(MAX_BACKOFF, BACKOFF * 2**number)
            time.sleep(random.uniform(0, window))  # noqa: S311 (spreads writers out; not a secret)
    raise Conflict(f"{what} kept changing while this change was being applied; nothing was written, try again")


def check_version(current: int, expected: int | None, what: str) -> None:
    """The caller's precondition (If-Match): ``what`` is still at the version it read."""
    if expected is not None and current != expected:
        raise PreconditionFailed(f"{what} has changed since it was read (version {current}); read it again")
