"""The scale benchmark (by hand: ``make bench-scale``; never part of the timed tests).

With many tenants in the emulation (``--tenants``, 10,000 by default):
- the first tenant and the last one created are served alike: a full login (authorize →
  login → consent → token → userinfo) makes the same DynamoDB calls and takes the same time,
  since every item is addressed by its tenant's key and nothing scans;
- a container (a fresh process importing the app, as Lambda's) that serves tenant after
  tenant (discovery, JWKS and a client_credentials token, which loads the tenant's signing
  key) keeps its memory bounded: its caches hold at most a fixed number of tenants, so the
  resident size levels off however many tenants pass through.

    python -m tests.scale [--tenants 10000] [--container-tenants 3000] [--logins 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.benchmark import (  # noqa: E402  (starts the emulation, sets the environment)
    EMULATOR,
    ENV,
    FORM,
    MS,
    PASSWORD,
    REDIRECT_URI,
    Recorder,
    one_login_only,
    percentile,
)

RSS_EVERY = 250
CONTAINER = """
import json, sys, time
from chalice.test import Client
from app import app
tenants = json.loads(sys.stdin.read())
def rss():
    return int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]) // 1024
host = {"host": "op.example.test"}
with Client(app) as client:
    print(json.dumps([0, rss()]), flush=True)
    for n, (tenant, client_id, secret) in enumerate(tenants, 1):
        assert client.http.get(f"/{tenant}/.well-known/openid-configuration", headers=host).status_code == 200
        assert client.http.get(f"/{tenant}/jwks.json", headers=host).status_code == 200
        body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        response = client.http.post(f"/{tenant}/token", headers={**host, "content-type": "%s"}, body=body)
        assert response.status_code == 200, response.body
        if n %% %d == 0:
            print(json.dumps([n, rss()]), flush=True)
"""


def create_tenants(count: int) -> list[tuple[str, str, str]]:
    """``count`` tenants, each with a machine client; (tenant, client_id, secret) each."""
    from chalicelib.admin import clients as client_admin
    from chalicelib.admin import tenants as tenant_admin

    def one(n: int) -> tuple[str, str, str]:
        tenant = f"t{n:05d}"
        tenant_admin.create_tenant(tenant, f"Tenant {n}", settings={"login_attempts_per_source": 100_000})
        client, secret = client_admin.create_client(
            tenant, name="Machine", client_type="confidential", response_types=[], grant_types=["client_credentials"]
        )
        return tenant, client.client_id, secret

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(one, range(1, count + 1)))
    print(f"created {count} tenants in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return created


def logins(tenants: list[str], per_tenant: int) -> dict[str, Recorder]:
    """``per_tenant`` full logins in each tenant, interleaved (drift touches them alike)."""
    from chalice.test import Client

    from app import app
    from chalicelib.admin import clients as client_admin
    from chalicelib.admin import users as user_admin

    clients = {}
    for tenant in tenants:
        client, secret = client_admin.create_client(
            tenant, name="Web", client_type="confidential", redirect_uris=[REDIRECT_URI], response_types=["code"]
        )
        clients[tenant] = (client.client_id, secret)
        for n in range(per_tenant + 1):
            user_admin.create_user(tenant, f"user{n}", PASSWORD, {"email": f"user{n}@example.com"})
    recorders = {tenant: Recorder() for tenant in tenants}
    with Client(app) as client:
        for tenant in tenants:  # warm each tenant's caches, as a container serving it would be
            one_login_only(client.http, Recorder(count_calls=False), *clients[tenant], "user0", tenant=tenant)
        for n in range(1, per_tenant + 1):
            for tenant in tenants:
                one_login_only(client.http, recorders[tenant], *clients[tenant], f"user{n}", tenant=tenant)
    return recorders


def container_memory(tenants: list[tuple[str, str, str]]) -> list[tuple[int, int]]:
    """Resident MiB of a fresh app process after every ``RSS_EVERY`` tenants it served."""
    script = CONTAINER % (FORM, RSS_EVERY)
    process = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(tenants),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=True,
    )
    return [tuple(json.loads(line)) for line in process.stdout.splitlines() if line.startswith("[")]


def report(count: int, recorders: dict[str, Recorder], memory: list[tuple[int, int]]) -> None:
    print(f"\n## Scale ({count} tenants in the emulation; python {sys.version.split()[0]}; {os.cpu_count()} CPUs)\n")
    print("| tenant | full logins | DynamoDB calls per login | p50 ms | p95 ms | provider CPU p50 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for tenant, recorder in recorders.items():
        wall, cpu = recorder.wall["full login"], recorder.cpu["full login"]
        calls = recorder.round_trips("full login")
        print(
            f"| {tenant} | {len(wall)} | {calls} | {percentile(wall, 50) * MS:.1f} | {percentile(wall, 95) * MS:.1f} "
            f"| {statistics.median(cpu) * MS:.1f} |"
        )
    print("\n| tenants served by one container | resident MiB |")
    print("| --- | --- |")
    for served, rss in memory:
        print(f"| {served} | {rss} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--container-tenants", type=int, default=3_000)
    parser.add_argument("--logins", type=int, default=20)
    args = parser.parse_args()
    from chalicelib.admin.cli import cli

    cli.main(["setup", "--create-table"], standalone_mode=False)
    created = create_tenants(args.tenants)
    first, last = created[0][0], created[-1][0]
    recorders = logins([first, last], args.logins)
    memory = container_memory(created[: args.container_tenants])
    EMULATOR.stop()
    report(args.tenants, recorders, memory)


if __name__ == "__main__":
    main()
