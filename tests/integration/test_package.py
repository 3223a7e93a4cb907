"""What ``chalice package`` builds for Lambda: the app, its pages, its pinned dependencies,
and a least-privilege policy; nothing of the tests or the dev tooling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_deployment_package(tmp_path):
    chalice = str(Path(sys.executable).with_name("chalice"))
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [chalice, "package", "--stage", "prod", str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True
    )
    names = set(zipfile.ZipFile(tmp_path / "deployment.zip").namelist())
    templates = {f"templates/{path.name}" for path in (ROOT / "templates").glob("*.html")}
    assert templates and templates <= names  # shipped through the vendor/ symlink
    assert {
        "app.py",
        "chalicelib/web/pages.py",
        "jwt/__init__.py",
        "pynamodb/__init__.py",
        "argon2/__init__.py",
    } <= names
    assert not any(name.startswith(("tests/", "infra/", ".venv/", "moto/")) for name in names)

    template = json.loads((tmp_path / "sam.json").read_text())
    function = template["Resources"]["APIHandler"]["Properties"]
    assert function["Environment"]["Variables"]["TABLE_NAME"] == "oidc-prod"
    policy = json.dumps(template["Resources"]["ApiHandlerRole"]["Properties"]["Policies"])
    assert "table/oidc-prod" in policy and "dynamodb:Scan" not in policy and "kms:Sign" in policy
