"""The provider's benchmark (run by hand: ``make bench``; never part of the timed tests).

Measures, on this machine:
- cold start: ``import app`` time and peak memory in a fresh process, against a bare
  ``import boto3``; and a fresh process's time to its first discovery response;
- AWS calls per request, counted by the emulator at the HTTP boundary;
- warm latency (p50/p95) and provider CPU per endpoint: the app in-process behind Chalice's
  local API Gateway emulation, moto's server on loopback. CPU is this thread's CPU time, so
  it excludes the emulator's own work (it runs on other threads).

    python -m tests.benchmark [--iterations 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.emulator import Emulator, emulated_environment  # noqa: E402
from infra.local import stage_environment  # noqa: E402

EMULATOR = Emulator().start()
ENV = {**emulated_environment(EMULATOR.url), **stage_environment("dev"), "TABLE_NAME": "oidc-bench"}
os.environ.update(ENV)

from chalice.test import Client  # noqa: E402

from app import app  # noqa: E402
from chalicelib.accounts import passwords  # noqa: E402
from chalicelib.admin import clients as client_admin  # noqa: E402
from chalicelib.admin import tenants as tenant_admin  # noqa: E402
from chalicelib.admin import users as user_admin  # noqa: E402
from chalicelib.admin.cli import cli  # noqa: E402
from tests.support.browser import BASE, HOST, Browser  # noqa: E402
from tests.support.forms import only_form  # noqa: E402

REDIRECT_URI = "https://rp.example.com/callback"
PASSWORD = "benchmark password 1"
FORM = "application/x-www-form-urlencoded"


class Recorder:
    """Wall time, this thread's CPU time, and AWS calls of each request, by endpoint."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.calls: dict[str, list[Counter]] = defaultdict(list)

    def measure(self, name: str, action):
        EMULATOR.reset()
        wall, cpu = time.perf_counter(), time.thread_time()
        result = action()
        self.cpu[name].append(time.thread_time() - cpu)
        self.wall[name].append(time.perf_counter() - wall)
        self.calls[name].append(EMULATOR.snapshot())
        return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def one_login(http, recorder: Recorder, tenant: str, client_id: str, secret: str, username: str) -> None:
    browser = Browser(http)
    query = {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid email"}
    issuer = f"{BASE}/{tenant}"
    redirect = recorder.measure("authorize (no session)", lambda: browser.get(f"{issuer}/authorize", query))
    page = recorder.measure("login page", lambda: browser.get(redirect.headers["Location"]))
    form = only_form(page.body.decode())
    data = form.submission("login", username=username, password=PASSWORD)
    consent_redirect = recorder.measure("login submit", lambda: browser.post(form.action, data))
    consent = recorder.measure("consent page", lambda: browser.get(consent_redirect.headers["Location"]))
    form = only_form(consent.body.decode())
    callback = recorder.measure("consent submit", lambda: browser.post(form.action, form.submission("allow")))
    code = callback.headers["Location"].split("code=")[1].split("&")[0]
    auth = {"host": HOST, "content-type": FORM}
    credentials = f"client_id={client_id}&client_secret={secret}"
    body = f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}&{credentials}"
    tokens = json.loads(
        recorder.measure("token (code)", lambda: http.post(f"/{tenant}/token", headers=auth, body=body)).body
    )
    bearer = {"host": HOST, "authorization": f"Bearer {tokens['access_token']}"}
    recorder.measure("userinfo", lambda: http.get(f"/{tenant}/userinfo", headers=bearer))
    body = (
        f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}&client_id={client_id}&client_secret={secret}"
    )
    recorder.measure("token (refresh)", lambda: http.post(f"/{tenant}/token", headers=auth, body=body))
    silent = recorder.measure(
        "authorize (session, prompt=none)", lambda: browser.get(f"{issuer}/authorize", {**query, "prompt": "none"})
    )
    code = silent.headers["Location"].split("code=")[1].split("&")[0]
    body = f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}&{credentials}"
    recorder.measure("token (silent)", lambda: http.post(f"/{tenant}/token", headers=auth, body=body))
    recorder.measure(
        "discovery", lambda: http.get(f"/{tenant}/.well-known/openid-configuration", headers={"host": HOST})
    )
    recorder.measure("jwks", lambda: http.get(f"/{tenant}/jwks.json", headers={"host": HOST}))


def fresh_process(code: str, runs: int = 7) -> tuple[float, float]:
    """Median seconds and median peak RSS (MiB) of ``code`` in fresh interpreters. Peak RSS is
    VmHWM: ru_maxrss would carry the forking parent's peak across exec."""
    timings, memory = [], []
    script = (
        "import time, json\n"
        "t = time.perf_counter()\n"
        f"{code}\n"
        "elapsed = time.perf_counter() - t\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(json.dumps([elapsed, int(hwm) / 1024]))"
    )
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env={**os.environ}, capture_output=True, text=True, check=True
        )
        seconds, rss = json.loads(output.stdout.strip().splitlines()[-1])
        timings.append(seconds)
        memory.append(rss)
    return statistics.median(timings), statistics.median(memory)


FIRST_DISCOVERY = """
import app
event = {
    "resource": "/{tenant}/.well-known/openid-configuration", "path": "/bench/.well-known/openid-configuration",
    "httpMethod": "GET", "headers": {"host": "op.example.test"}, "multiValueQueryStringParameters": None,
    "pathParameters": {"tenant": "bench"}, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"httpMethod": "GET", "resourcePath": "/{tenant}/.well-known/openid-configuration",
                       "path": "/bench/.well-known/openid-configuration", "stage": "api"},
}
assert app.app(event, None)["statusCode"] == 200
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=100)
    args = parser.parse_args()

    cli.main(["setup", "--create-table"], standalone_mode=False)
    tenant_admin.create_tenant("bench", "Bench")
    tenant_admin.create_tenant("bench-kms", "Bench KMS", key_backend="kms")
    clients = {}
    for tenant in ("bench", "bench-kms"):
        client, secret = client_admin.create_client(
            tenant, name="Bench", client_type="confidential", redirect_uris=[REDIRECT_URI]
        )
        clients[tenant] = (client.client_id, secret)
    users = [f"user{i}" for i in range(args.iterations + 1)]
    for username in users:
        user_admin.create_user("bench", username, PASSWORD, {"email": f"{username}@example.com"})
    user_admin.create_user("bench-kms", "kmsuser", PASSWORD)

    recorder, kms_recorder = Recorder(), Recorder()
    with Client(app) as client:
        one_login(client.http, Recorder(), "bench", *clients["bench"], users[0])  # warm the caches
        for username in users[1:]:
            one_login(client.http, recorder, "bench", *clients["bench"], username)
        one_login(client.http, Recorder(), "bench-kms", *clients["bench-kms"], "kmsuser")
        user_admin.create_user("bench-kms", "kmsuser2", PASSWORD)
        one_login(client.http, kms_recorder, "bench-kms", *clients["bench-kms"], "kmsuser2")

    hash_seconds = statistics.median(
        timed(lambda: passwords.verify_password(passwords.hash_password(PASSWORD), PASSWORD)) for _ in range(20)
    )
    import_app, app_rss = fresh_process("import app")
    import_boto3, boto3_rss = fresh_process("import boto3")
    first_discovery, _ = fresh_process(FIRST_DISCOVERY)
    report(
        recorder,
        kms_recorder,
        args.iterations,
        hash_seconds,
        import_app,
        app_rss,
        import_boto3,
        boto3_rss,
        first_discovery,
    )
    EMULATOR.stop()


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def report(
    recorder, kms_recorder, iterations, hash_seconds, import_app, app_rss, import_boto3, boto3_rss, first_discovery
):
    ms = 1000
    print(f"\n## Benchmark ({iterations} full logins; python {sys.version.split()[0]}; {os.cpu_count()} CPUs)\n")
    print("Cold start (fresh process, median of 7):\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| `import app` | {import_app * ms:.0f} ms, peak RSS {app_rss:.0f} MiB |")
    print(f"| bare `import boto3` | {import_boto3 * ms:.0f} ms, peak RSS {boto3_rss:.0f} MiB |")
    print(
        f"| first discovery response (import + tenant read + answer) | {first_discovery * ms:.0f} ms "
        f"({first_discovery / import_boto3:.2f}x `import boto3`) |"
    )
    print(
        "\nPassword hash: argon2id m=19 MiB, t=2, p=1; "
        f"hash+verify {hash_seconds * ms:.0f} ms (one verify per login).\n"
    )
    print("Warm, per request (app in-process, moto server on loopback):\n")
    print("| endpoint | p50 ms | p95 ms | provider CPU p50 ms | DynamoDB calls | other AWS calls |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, walls in recorder.wall.items():
        calls = recorder.calls[name][-1]
        dynamodb = sum(n for op, n in calls.items() if op.startswith("dynamodb:"))
        ops = ", ".join(
            f"{op.split(':')[1]}" + (f" x{n}" if n > 1 else "")
            for op, n in sorted(calls.items())
            if op.startswith("dynamodb:")
        )
        others = sum(n for op, n in calls.items() if not op.startswith("dynamodb:"))
        print(
            f"| {name} | {percentile(walls, 50) * ms:.1f} | {percentile(walls, 95) * ms:.1f} | "
            f"{percentile(recorder.cpu[name], 50) * ms:.1f} | {dynamodb} ({ops or '-'}) | {others} |"
        )
    totals = {
        "full login (authorize → login → consent → token → userinfo)": [
            "authorize (no session)",
            "login page",
            "login submit",
            "consent page",
            "consent submit",
            "token (code)",
            "userinfo",
        ],
        "silent re-login (prompt=none → token)": ["authorize (session, prompt=none)", "token (silent)"],
    }
    print("\n| flow | DynamoDB calls | KMS / Secrets Manager calls |\n| --- | --- | --- |")
    for flow, steps in totals.items():
        dynamodb = sum(sum(n for op, n in recorder.calls[s][-1].items() if op.startswith("dynamodb:")) for s in steps)
        other = sum(sum(n for op, n in recorder.calls[s][-1].items() if not op.startswith("dynamodb:")) for s in steps)
        kms = sum(kms_recorder.calls[s][-1]["kms:Sign"] for s in steps)
        print(f"| {flow} | {dynamodb} | {other} (KMS backend: {kms} kms:Sign) |")
    login_cpu = sum(
        percentile(recorder.cpu[s], 50) for s in totals["full login (authorize → login → consent → token → userinfo)"]
    )
    print(
        f"\nProvider CPU for a full login: {login_cpu * ms:.1f} ms, "
        f"of which the password hash ~{hash_seconds / 2 * ms:.0f} ms."
    )


if __name__ == "__main__":
    main()
