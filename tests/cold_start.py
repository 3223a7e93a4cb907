"""The benchmark's cold start, measured as Lambda runs the deployed code.

The app runs from the package that ``make package`` and ``chalice package`` build,
extracted, in fresh interpreters that see nothing but that package and the standard
library (``python -S``) and write no bytecode (Lambda's ``/var/task`` is read-only). The
reference is PRODUCT.md's: a bare ``python -c "import boto3"``, from this virtual
environment (an ordinary install, compiled by pip). The three are measured in turn, run
after run, so that a slower moment of a shared machine weighs on all three alike.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MS = 1000

# One script for every measure, chosen by its argument: the same text compiles with the same
# allocations before the clock starts, so glibc's allocator (whose mmap threshold adapts to
# what was freed) starts each measure in the same state. A longer script alone made the
# import here ~15% faster, through fewer page faults. "first discovery" is a Lambda
# runtime's first invocation: API Gateway's proxy event, straight to the handler.
HARNESS = """
import json, sys, time
event = {
    "resource": "/{tenant}/.well-known/openid-configuration", "path": "/bench/.well-known/openid-configuration",
    "httpMethod": "GET", "headers": {"host": "op.example.test"}, "multiValueQueryStringParameters": None,
    "pathParameters": {"tenant": "bench"}, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"httpMethod": "GET", "resourcePath": "/{tenant}/.well-known/openid-configuration",
                       "path": "/bench/.well-known/openid-configuration", "stage": "api"},
}
started = time.perf_counter()
if sys.argv[1] == "import boto3":
    import boto3
else:
    import app
    if sys.argv[1] == "first discovery":
        assert app.app(event, None)["statusCode"] == 200
elapsed = time.perf_counter() - started
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0].split()[1]
print(json.dumps([elapsed, int(hwm) / 1024]))
"""
MEASURES = ("import boto3", "import app", "first discovery")


def measure(env: Mapping[str, str], runs: int = 15) -> dict[str, tuple[float, float]]:
    """Median seconds and peak RSS (MiB) of each measure; the tenant "bench" must exist."""
    samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        task = build_package(Path(tmp), env)
        for _ in range(runs):
            for name in MEASURES:
                samples[name].append(fresh_process(name, env, None if name == "import boto3" else task))
    return {
        name: (statistics.median(s for s, _ in values), statistics.median(m for _, m in values))
        for name, values in samples.items()
    }


def build_package(out: Path, env: Mapping[str, str]) -> Path:
    """The deployment package, extracted as Lambda extracts it to /var/task."""
    subprocess.run([sys.executable, "-m", "infra.package"], cwd=ROOT, check=True, capture_output=True)
    chalice = str(Path(sys.executable).with_name("chalice"))
    command = [chalice, "package", "--stage", "dev", str(out / "package")]
    subprocess.run(command, cwd=ROOT, env={**env}, check=True, capture_output=True)
    task = out / "task"
    zipfile.ZipFile(out / "package" / "deployment.zip").extractall(task)
    return task


def fresh_process(measure: str, env: Mapping[str, str], task: Path | None) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of ``measure`` in a fresh interpreter: in the extracted
    package ``task`` as Lambda runs it, or, without one, in this virtual environment. Peak
    RSS is VmHWM: ru_maxrss would carry the forking parent's peak across exec."""
    if task is None:
        command, cwd, run_env = [sys.executable, "-c", HARNESS, measure], ROOT, {**env}
    else:
        command, cwd = [sys.executable, "-S", "-c", HARNESS, measure], task
        run_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        run_env.pop("PYTHONPATH", None)
    output = subprocess.run(command, cwd=cwd, env=run_env, capture_output=True, text=True, check=True)
    seconds, rss = json.loads(output.stdout.strip().splitlines()[-1])
    return seconds, rss


def report(cold: Mapping[str, tuple[float, float]], runs: int) -> None:
    print(f"Cold start (median of {runs} fresh processes each, the app as deployed):\n")
    print("| measure | value |\n| --- | --- |")
    (boto3_s, boto3_rss), (app_s, app_rss), (first_s, _) = (cold[name] for name in MEASURES)
    print(f"| `import app` | {app_s * MS:.0f} ms, peak RSS {app_rss:.0f} MiB |")
    print(f"| bare `import boto3` | {boto3_s * MS:.0f} ms, peak RSS {boto3_rss:.0f} MiB |")
    print(
        f"| first discovery response of a fresh process | {first_s * MS:.0f} ms "
        f"({first_s / boto3_s:.2f}x `import boto3`) |"
    )
