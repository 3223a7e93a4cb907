"""Where a full login's provider CPU goes (by hand: ``python -m tests.login_cpu``; never part
of the timed tests).

A full login (authorize → login → consent → token → userinfo) is run ``--logins`` times
after as many warm-up logins; each request's CPU is the request thread's time inside the
Lambda handler (``RestAPIEventHandler.__call__``: what Lambda bills, without Chalice's local
gateway emulation or the test browser), split into the password hash (argon2), the
DynamoDB calls and the rest (the app). Medians per login, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.benchmark import EMULATOR, MS, PASSWORD, REDIRECT_URI, Recorder, one_login_only  # starts the emulation

_spent = threading.local()


def _timing(owner: Any, name: str, part: str) -> None:
    """Add the thread CPU of every call of ``owner.name`` to this thread's ``part``."""
    original: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            setattr(_spent, part, getattr(_spent, part, 0.0) + time.thread_time() - start)

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=60)
    args = parser.parse_args()
    import argon2
    import chalice.app
    from chalice.test import Client
    from pynamodb.connection.base import Connection

    from app import app
    from chalicelib.admin import clients as client_admin
    from chalicelib.admin import tenants as tenant_admin
    from chalicelib.admin import users as user_admin
    from chalicelib.admin.cli import cli

    # Every DynamoDB call, whichever client makes it (chalicelib/store/wire.py or botocore);
    # a warm login makes no other AWS call (its signer and secrets are cached).
    _timing(Connection, "_make_api_call", "aws")
    _timing(argon2.PasswordHasher, "verify", "hash")
    _timing(chalice.app.RestAPIEventHandler, "__call__", "handler")
    cli.main(["setup", "--create-table"], standalone_mode=False)
    tenant_admin.create_tenant("bench", "Bench", settings={"login_attempts_per_source": 100_000})
    client, secret = client_admin.create_client(
        "bench", name="Bench", client_type="confidential", redirect_uris=[REDIRECT_URI], response_types=["code"]
    )
    for n in range(2 * args.logins):
        user_admin.create_user("bench", f"u{n}", PASSWORD, {"email": f"u{n}@example.com"})
    rows = []
    with Client(app) as test_client:
        for n in range(2 * args.logins):
            for part in ("aws", "hash", "handler"):
                setattr(_spent, part, 0.0)
            one_login_only(test_client.http, Recorder(count_calls=False), client.client_id, secret, f"u{n}")
            if n >= args.logins:  # the first half warms the caches
                rows.append((_spent.handler, _spent.hash, _spent.aws))
    EMULATOR.stop()

    def median(values: list[float]) -> str:
        return f"{statistics.median(values) * MS:.1f}"

    print(f"\n## A full login's provider CPU ({args.logins} logins, medians, ms)\n")
    print("| in the handler | password hash | beyond the hash | of which DynamoDB calls | of which the app |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| {median([r[0] for r in rows])} | {median([r[1] for r in rows])} | {median([r[0] - r[1] for r in rows])} "
        f"| {median([r[2] for r in rows])} | {median([r[0] - r[1] - r[2] for r in rows])} |"
    )


if __name__ == "__main__":
    main()
