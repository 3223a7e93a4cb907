"""What ``make package`` adds to the Lambda package before ``chalice package``/``deploy``:
generated from the installed packages, never committed (see .gitignore).

- ``vendor/botocore-data``: the installed botocore's data for the services the app and
  botocore's credential providers call, verbatim (JSON decompressed; ``endpoints.json``
  keeps only those services), which ``chalicelib.aws_session`` reads instead of the 450
  services botocore ships.
- Bytecode of every module in the package: Lambda's ``/var/task`` is read-only, so Python
  can't cache what it compiles and would compile botocore, PynamoDB, Chalice and the app
  from source at every cold start, which more than doubles its time. The ``.pyc`` files are
  hash-checked: Python compares each with its source and compiles any it no longer
  matches, so a stale one costs time, never correctness. They go where Chalice picks them
  up: the dependencies' and ``app.py``'s under vendor/ (copied to the package root),
  chalicelib's in its own ``__pycache__`` directories (Chalice copies chalicelib/ whole).

    python -m infra.package
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import inspect
import json
import py_compile
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import botocore

from chalicelib.aws_session import VERSION_FILE

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor"
DATA = VENDOR / "botocore-data"  # one of the places chalicelib.aws_session looks
# The services the app calls (events: EventBridge, when EVENT_BUS_NAME is set; sqs: the
# back-channel logout and mail queue; sesv2: the tenants' mail), then those
# botocore's credential providers may call for an operator's profile (assume-role and web
# identity: sts; IAM Identity Center: sso and sso-oidc; ``aws login``: signin).
SERVICES = ("dynamodb", "kms", "secretsmanager", "events", "sqs", "sesv2", "sts", "sso", "sso-oidc", "signin")


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


def compile_package() -> int:
    """Bytecode for every module of the package, where Chalice will zip it. Returns how many."""
    for stale in [*VENDOR.rglob("__pycache__"), *(ROOT / "chalicelib").rglob("__pycache__")]:
        shutil.rmtree(stale)
    count = 0
    for source, packaged in _package_modules():
        relative = Path(importlib.util.cache_from_source(str(packaged)))
        target = ROOT / relative if packaged.parts[0] == "chalicelib" else VENDOR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        py_compile.compile(
            str(source),
            cfile=str(target),
            dfile=str(packaged),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        count += 1
    return count


def _package_modules() -> Iterator[tuple[Path, Path]]:
    """(where the source is here, where it is in the package) of each module Chalice zips:
    the pinned dependencies, the two Chalice runtime modules, ``app.py`` and chalicelib."""
    for name, version in _pinned(ROOT / "requirements.txt"):
        distribution = importlib.metadata.distribution(name)
        if distribution.version != version:
            raise SystemExit(f"{name} {distribution.version} is installed, requirements.txt pins {version}: run make")
        for file in distribution.files or []:
            if file.suffix == ".py" and file.parts[0] != "..":
                yield Path(file.locate()), Path(file)
    import chalice
    import chalice.app

    for module in (chalice, chalice.app):
        source = Path(inspect.getfile(module))
        yield source, Path("chalice", source.name)
    yield ROOT / "app.py", Path("app.py")
    for source in sorted((ROOT / "chalicelib").rglob("*.py")):
        yield source, source.relative_to(ROOT)


def _pinned(requirements: Path) -> Iterator[tuple[str, str]]:
    for line in requirements.read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            yield name, version


def main() -> None:
    prune_botocore_data(DATA)
    print(f"{DATA.relative_to(ROOT)}: botocore {botocore.__version__} data for {', '.join(SERVICES)}")
    print(f"bytecode for {compile_package()} modules")


if __name__ == "__main__":
    main()
