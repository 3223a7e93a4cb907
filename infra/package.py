"""What ``make package`` adds to the Lambda package before ``chalice package``/``deploy``:
generated from the installed packages, never committed (see .gitignore).

- ``vendor/botocore-data``: the installed botocore's data for the services the app and
  botocore's credential providers call, verbatim (JSON decompressed; ``endpoints.json``
  keeps only those services), which ``chalicelib.aws_session`` reads instead of the 450
  services botocore ships.

    python -m infra.package
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import botocore

from chalicelib.aws_session import VERSION_FILE

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor"
DATA = VENDOR / "botocore-data"  # one of the places chalicelib.aws_session looks
# The services the app calls, then those botocore's credential providers may call for an
# operator's profile (assume-role and web identity: sts; IAM Identity Center: sso and
# sso-oidc; ``aws login``: signin).
SERVICES = ("dynamodb", "kms", "secretsmanager", "sts", "sso", "sso-oidc", "signin")


def prune_botocore_data(target: Path, services: Iterable[str] = SERVICES) -> None:
    """Write the installed botocore's data for ``services`` to ``target``."""
    source = Path(botocore.__file__).parent / "data"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for service in services:
        for path in sorted((source / service).rglob("*.json*")):
            _copy_json(path, target / path.relative_to(source))
    for path in sorted(source.glob("*.json")):
        if path.name == "endpoints.json":
            pruned = prune_endpoints(json.loads(path.read_text()), set(services))
            (target / path.name).write_text(json.dumps(pruned))
        else:
            shutil.copyfile(path, target / path.name)
    (target / VERSION_FILE).write_text(botocore.__version__)


def prune_endpoints(endpoints: dict, services: set[str]) -> dict:
    """Every partition with all its regions and defaults, and only ``services``."""
    partitions = [
        {**partition, "services": {name: s for name, s in partition["services"].items() if name in services}}
        for partition in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


def _copy_json(source: Path, target: Path) -> None:
    # Stored decompressed: gunzipping the DynamoDB model would cost each cold start ~3 ms.
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix == ".gz":
        target.with_suffix("").write_bytes(gzip.decompress(source.read_bytes()))
    else:
        shutil.copyfile(source, target)


def main() -> None:
    prune_botocore_data(DATA)
    print(f"{DATA.relative_to(ROOT)}: botocore {botocore.__version__} data for {', '.join(SERVICES)}")


if __name__ == "__main__":
    main()
