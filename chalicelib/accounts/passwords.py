"""Password hashing with argon2id at OWASP's recommended parameters.

OWASP Password Storage Cheat Sheet: argon2id with m=19 MiB, t=2, p=1. The parameters are
stored in each hash (PHC string format), so raising them later rehashes users as they log in.
"""

from __future__ import annotations

import threading
from typing import Any

# The project's password rule (admin-set, reset and sign-up passwords alike): at least 8
# characters (NIST SP 800-63B §5.1.1.2), at most 1024 (argon2 hashes anything, but a form
# field of megabytes is no password).
MIN_LENGTH = 8
MAX_LENGTH = 1024
TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1

_lock = threading.Lock()
_hashers: list[Any] = []


def _hasher() -> Any:
    if not _hashers:
        with _lock:
            if not _hashers:
                from argon2 import PasswordHasher

                _hashers.append(
                    PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)
                )
    return _hashers[0]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# Verified against when the username is unknown, so the response takes as long as for a
# known user with a wrong password (no user enumeration by timing).
_DUMMY: list[str] = []


def burn_time(password: str) -> None:
    if not _DUMMY:
        _DUMMY.append(hash_password("not a real password"))
    verify_password(_DUMMY[0], password)
