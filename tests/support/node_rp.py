"""The openid-client relying parties of tests/interop/node/rp.mjs, as one Node process that
answers one JSON command per line: a test module pays Node's start-up once, not per flow."""

from __future__ import annotations

import json
import select
import subprocess
from pathlib import Path

RP = Path(__file__).resolve().parents[1] / "interop" / "node" / "rp.mjs"
TIMEOUT = 60


class NodeError(Exception):
    """What openid-client (or jose) threw: name, message, code, and the OAuth ``error`` and
    HTTP ``status`` of the response when there was one."""

    def __init__(self, details: dict) -> None:
        super().__init__(json.dumps(details))
        self.details = details


class NodeRelyingParties:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", str(RP)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )

    def __call__(self, command: str, **arguments) -> dict:
        """Run ``command`` (a function of rp.mjs) and return its result; NodeError if it threw."""
        self.process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"rp.mjs did not answer {command} (exit status {self.process.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise NodeError(answer["error"])
        return answer["result"]

    def configure(self, issuer: str, client, secret: str | None, flow: str = "code", **options: str) -> str:
        """Discovery for ``client`` in one flow (code, hybrid or implicit); returns the name
        later commands use. ``options``: ``method`` (client authentication), ``alg``."""
        name = f"{client.client_id}/{flow}/{options.get('method', '')}"
        self("configure", name=name, issuer=issuer, client_id=client.client_id, secret=secret, flow=flow, **options)
        return name

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
