"""What ``./oidc`` runs with in the tests: the environment ``make run`` writes to .local/env,
for the suite's own emulation and server, and a shell's environment without the developer's."""

from __future__ import annotations

import os
import sys

from infra.emulator import emulated_environment
from infra.local import DEV_ENVIRONMENT, stage_environment

# No AWS settings of the developer's, and no instance metadata service to ask for credentials
# (nothing may leave this machine); VENV: the Python running the tests (make's .venv).
BASE_ENV = {"PATH": os.environ["PATH"], "VENV": sys.prefix, "AWS_EC2_METADATA_DISABLED": "true"}


def dev_environment(emulator_url: str, provider: str) -> dict[str, str]:
    """What ``make run`` writes to .local/env, for this emulation and server."""
    return {
        **emulated_environment(emulator_url),
        **stage_environment("dev"),
        **DEV_ENVIRONMENT,
        "PUBLIC_BASE_URL": provider,
    }
