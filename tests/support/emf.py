"""What CloudWatch Logs would extract from a log line in the embedded metric format
(the EMF specification), checked as strictly as CloudWatch checks it: a line that breaks a
rule fails the test, where CloudWatch would drop its metrics without a word."""

from __future__ import annotations

from numbers import Real
from typing import Any

# A metric as CloudWatch names it: (namespace, name, ((dimension, value), ...) sorted).
MetricId = tuple[str, str, tuple[tuple[str, str], ...]]
UNITS = {"Count", "Milliseconds", "Seconds", "Bytes", "Percent", "None"}


def is_emf(line: dict[str, Any]) -> bool:
    return "_aws" in line


def extract(line: dict[str, Any]) -> dict[MetricId, float]:
    """Every metric the line defines, with its value (the sum of its values)."""
    meta = line["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_500_000_000_000  # milliseconds
    found: dict[MetricId, float] = {}
    for directive in meta["CloudWatchMetrics"]:
        namespace = directive["Namespace"]
        assert isinstance(namespace, str) and 0 < len(namespace) <= 255
        assert len(directive["Metrics"]) <= 100
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for name in dimension_set:
                assert isinstance(line.get(name), str) and 0 < len(line[name]) <= 1024, f"dimension {name}"
            for metric in directive["Metrics"]:
                assert metric["Unit"] in UNITS and set(metric) <= {"Name", "Unit", "StorageResolution"}
                value = line[metric["Name"]]
                values = value if isinstance(value, list) else [value]
                assert values and all(isinstance(v, Real) and not isinstance(v, bool) for v in values)
                key = (namespace, metric["Name"], tuple(sorted((name, line[name]) for name in dimension_set)))
                assert key not in found, f"{key} twice in one line"
                found[key] = float(sum(values))
    return found


def totals(lines: list[dict[str, Any]]) -> dict[MetricId, float]:
    """The metrics of many lines, added up as CloudWatch adds up a period's samples."""
    summed: dict[MetricId, float] = {}
    for line in filter(is_emf, lines):
        for key, value in extract(line).items():
            summed[key] = summed.get(key, 0.0) + value
    return summed
