"""The emulation's memory under sign-ins (run by hand, never part of the timed tests).

Starts an emulation in a process of its own, the dev server against it, provisions a tenant,
then signs in again and again (authorize, login, consent, token: what ``make run`` sees from a
developer's RP) and prints the emulation's resident memory as it goes:

    python -m tests.emulator_memory [--sign-ins 300] [--every 50] [--vanilla]

``--vanilla`` runs moto's own server (``python -m moto.server``) instead of ``infra.emulator``:
the figures before the emulator stopped moto from keeping every model it creates.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from infra.emulator import emulated_environment  # noqa: E402
from infra.local import DEV_ENVIRONMENT, stage_environment  # noqa: E402

PASSWORD = "memory benchmark password"
REDIRECT_URI = "http://localhost:3000/callback"
# The abuse limits allow an account at most 1000 sign-ins a window: a user per 500.
SIGN_INS_PER_USER = 500


def rss_mb(pid: int) -> float:
    """A process's resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{process.args} did not start") from None
            time.sleep(0.1)


def start_emulation(vanilla: bool) -> tuple[subprocess.Popen, str]:
    if vanilla:
        port = free_port()
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        wait_for(url, process)
        return process, url
    command = [sys.executable, "-m", "infra.emulator", "--port", "0"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def provision(sign_ins: int) -> tuple[str, str, str]:
    """A tenant with a confidential client and enough users; returns (tenant, client_id, secret)."""
    from chalicelib.admin import clients as client_admin
    from chalicelib.admin import tenants as tenant_admin
    from chalicelib.admin import users as user_admin
    from chalicelib.admin.cli import cli

    cli.main(["setup", "--create-table", "--create-queues"], standalone_mode=False)
    limits = {"login_attempts_per_account": 1000, "login_attempts_per_source": 100_000}
    tenant = tenant_admin.create_tenant("memory", "Memory", settings=limits)
    client, secret = client_admin.create_client(
        tenant.id, name="RP", client_type="confidential", redirect_uris=[REDIRECT_URI], reuse_consent=False
    )
    for number in range(sign_ins // SIGN_INS_PER_USER + 1):
        user_admin.create_user(tenant.id, f"user{number}", PASSWORD, {})
    return tenant.id, client.client_id, secret


def sign_in(base: str, tenant: str, client_id: str, secret: str, username: str) -> None:
    from tests.support.user_agent import UserAgent

    query = {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
    callback = UserAgent(base).sign_in(f"{base}/{tenant}/authorize?{urlencode(query)}", username, PASSWORD)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    answer = requests.post(f"{base}/{tenant}/token", data=grant, auth=(client_id, secret), timeout=30)
    answer.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--vanilla", action="store_true", help="moto's own server, as before the fix")
    args = parser.parse_args()
    emulation, url = start_emulation(args.vanilla)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.update({**emulated_environment(url), **stage_environment("dev"), **DEV_ENVIRONMENT})
    os.environ["PUBLIC_BASE_URL"] = base
    server = None
    try:
        tenant, client_id, secret = provision(args.sign_ins)
        command = [sys.executable, "-m", "infra.devserver", "--port", str(port)]
        server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        wait_for(f"{base}/health", server)
        print(f"{'emulation':<10} {'sign-ins':>8} {'RSS MB':>8} {'ms/sign-in':>10}", flush=True)
        kind = "moto" if args.vanilla else "ours"
        print(f"{kind:<10} {0:>8} {rss_mb(emulation.pid):>8.0f} {'':>10}", flush=True)
        for done in range(args.every, args.sign_ins + 1, args.every):
            started = time.perf_counter()
            for number in range(done - args.every, done):
                sign_in(base, tenant, client_id, secret, f"user{number // SIGN_INS_PER_USER}")
            per = (time.perf_counter() - started) * 1000 / args.every
            print(f"{kind:<10} {done:>8} {rss_mb(emulation.pid):>8.0f} {per:>10.0f}", flush=True)
    finally:
        if server is not None:
            server.terminate()
        emulation.terminate()


if __name__ == "__main__":
    main()
