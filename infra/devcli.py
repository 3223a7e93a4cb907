"""``./oidc``: the provisioning CLI (``chalicelib/admin/cli.py``) with the environment that
``make run`` wrote to ``.local/env``, so it works against the running emulation with no set-up.
``OIDC_DEV_ENV`` names another such file (the README's test points it at its own emulation)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from infra.local import ENV_FILE, ROOT


def main() -> None:
    path = Path(os.environ.get("OIDC_DEV_ENV") or ENV_FILE)
    try:
        environment = json.loads(path.read_text())
    except FileNotFoundError:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        sys.exit(f"error: no {shown}: start `make run` first (in another terminal)")
    os.environ.update(environment)  # before chalicelib is imported: its settings are read once
    from chalicelib.admin.cli import cli

    cli(prog_name="./oidc")


if __name__ == "__main__":
    main()
