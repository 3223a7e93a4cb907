"""Dev mode in one command (``make run``): embedded AWS emulation, the table, queues and
master secret, a seeded ``demo`` tenant, then ``chalice local`` on 127.0.0.1:8000, and the
consumer that delivers back-channel logout notices from the queue (``chalice local`` runs no
SQS handlers; ``infra/consumer.py`` plays Lambda's part).

The emulation keeps its state in memory, so every start seeds afresh; the demo's client
secret and password are kept in ``.local/demo.json`` so they stay the same across restarts.
The environment that reaches the emulation is written to ``.local/env``, where ``./oidc`` (the
provisioning CLI, ``infra/devcli.py``) finds it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".local" / "demo.json"
ENV_FILE = ROOT / ".local" / "env"
HOST, PORT = "127.0.0.1", int(os.environ.get("PORT", "8000"))
EMULATOR_PORT = int(os.environ.get("EMULATOR_PORT", "4566"))
STAGE = "dev"
# Local development: outbound requests (back-channel logout) may use http and reach this
# machine, for hosts a tenant lists in outbound_allowed_hosts. Never set on a deployment.
DEV_ENVIRONMENT = {"DEV_MODE": "true"}
# The demo tenant's mail comes from here (moto's SES keeps it: see the local mail page).
DEMO_SENDER = "no-reply@example.com"


def stage_environment(stage: str = STAGE) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def demo_credentials() -> dict[str, str]:
    if STATE.exists():
        return json.loads(STATE.read_text())
    state = {"client_secret": secrets.token_urlsafe(32), "password": secrets.token_urlsafe(12)}
    STATE.parent.mkdir(exist_ok=True)
    STATE.write_text(json.dumps(state, indent=2))
    return state


def seed(base: str, credentials: dict[str, str]) -> None:
    """Idempotent: every command succeeds without changes when its object exists."""
    from chalicelib.admin.cli import cli

    def run(*args: str) -> None:
        cli.main(list(args), standalone_mode=False)

    run("setup", "--create-table", "--create-queues")
    run(
        "tenants", "create", "demo", "--name", "Demo", "--exists-ok",
        "--setting", "session_management_enable=true", "--setting", 'client_registration="open"',
        "--setting", 'outbound_allowed_hosts=["127.0.0.1", "localhost"]',
        "--setting", f'mail_sender="{DEMO_SENDER}"', "--setting", "signup_enable=true",
    )  # fmt: skip
    verify_sender_domain(DEMO_SENDER.partition("@")[2])
    web_uris = [
        "http://localhost:3000/callback",
        "http://localhost:8080/callback",
        "http://127.0.0.1:3000/callback",
        "https://oidcdebugger.com/debug",
    ]
    run(
        "clients", "create", "demo", "--name", "Demo web app", "--type", "confidential",
        *[arg for uri in web_uris for arg in ("--redirect-uri", uri)],
        *[arg for kind in ("code", "code id_token", "id_token token") for arg in ("--response-type", kind)],
        "--post-logout-redirect-uri", "http://localhost:3000/", "--post-logout-redirect-uri", "http://localhost:8080/",
        "--client-id", "demo-web", "--client-secret", credentials["client_secret"], "--exists-ok",
    )  # fmt: skip
    run(
        "clients", "create", "demo", "--name", "Demo native app", "--type", "public",
        "--redirect-uri", "http://127.0.0.1/callback", "--redirect-uri", "http://localhost:3000/callback",
        "--client-id", "demo-native", "--exists-ok",
    )  # fmt: skip
    run(
        "users", "create", "demo", "alice", "--password", credentials["password"],
        "--claim", "name=Alice Example", "--claim", "given_name=Alice", "--claim", "family_name=Example",
        "--claim", "email=alice@example.com", "--claim", "email_verified=true", "--exists-ok",
    )  # fmt: skip
    run("users", "update", "demo", "alice", "--admin")  # the demo's console is hers to try


def verify_sender_domain(domain: str) -> None:
    """The demo's mail comes from an address of ``domain``, an identity SES must have verified
    (on AWS, by DNS records; moto's SES takes it as it is created)."""
    from botocore.exceptions import ClientError

    from chalicelib.keys import aws

    try:
        aws.client("sesv2").create_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "AlreadyExistsException":
            raise


def main() -> None:
    from infra import mailpage
    from infra.emulator import Emulator, emulated_environment

    print(f"==> starting the AWS emulation on {HOST}:{EMULATOR_PORT}", flush=True)
    emulator = Emulator(port=EMULATOR_PORT).start()
    # The issuer's base: chalice local sends no API Gateway domainName, and the provider never
    # takes it from the Host header (set PUBLIC_BASE_URL yourself to serve another address).
    base = {"PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or f"http://{HOST}:{PORT}"}
    dev = {**emulated_environment(emulator.url), **stage_environment(), **DEV_ENVIRONMENT, **base}
    env = {**os.environ, **dev}
    os.environ.update(env)  # before chalicelib is imported: its settings are read once
    ENV_FILE.parent.mkdir(exist_ok=True)
    ENV_FILE.write_text(json.dumps(dev, indent=2, sort_keys=True))
    credentials = demo_credentials()
    print("==> seeding the demo tenant: table, queues, master secret, signing key, clients, user", flush=True)
    with contextlib.redirect_stdout(io.StringIO()):  # each step's JSON; what matters is printed below
        seed(env["PUBLIC_BASE_URL"], credentials)
    from infra.consumer import Consumer

    # The consumer's deliveries log their events here (the server process logs its own).
    logging.basicConfig(stream=sys.stdout, format="%(message)s")
    consumer = Consumer().start()
    print(
        f"""
AWS emulation:       {emulator.url} (DynamoDB, KMS, Secrets Manager, SQS, SES; in memory)
Discovery URL:       {env["PUBLIC_BASE_URL"]}/demo/.well-known/openid-configuration
Confidential client: client_id=demo-web  client_secret={credentials["client_secret"]}
                     redirect URIs: http://localhost:3000/callback, http://localhost:8080/callback,
                                    http://127.0.0.1:3000/callback, https://oidcdebugger.com/debug
                     response types: code, code id_token, id_token token; logout back to
                                    http://localhost:3000/ or http://localhost:8080/
Public client:       client_id=demo-native (PKCE required), redirect URI http://127.0.0.1:<any port>/callback
User:                alice / {credentials["password"]}
Admin console:       {env["PUBLIC_BASE_URL"]}/demo/console (alice is the demo's administrator)
Registration:        open (POST {env["PUBLIC_BASE_URL"]}/demo/register); session management on
Back-channel logout: queued, delivered by a consumer thread; http to 127.0.0.1/localhost allowed
Local mail:          {emulator.url}{mailpage.PATH} (what the demo sent: password resets, sign-ups)
Sign-up:             on for the demo ({env["PUBLIC_BASE_URL"]}/demo/signup); forgot password on its login page
Provisioning CLI:    ./oidc --help (its environment is in .local/env)
""",
        flush=True,
    )
    server = [sys.executable, "-m", "infra.devserver", "--host", HOST, "--port", str(PORT), "--stage", STAGE]
    try:
        subprocess.run(server, cwd=ROOT, env=env, check=False)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop()
        emulator.stop()


if __name__ == "__main__":
    main()
