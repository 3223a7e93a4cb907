"""Log lines as JSON objects, each naming the request and the tenant it was written for.

One line is one JSON object (newlines inside a message or a traceback are escaped), so that
CloudWatch Logs takes it as one event, Logs Insights finds its fields without a parse
pattern, and a metrics line (``chalicelib.observability.metrics``) is read as embedded
metric format. The request and the tenant come from the scope that ``bind`` set, so no
call site has to pass them.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from chalicelib.observability.scope import current

# The app's own lines (logger "oidc": one per event and one per request); the libraries'
# chatter only when it is a warning. The metrics line is an INFO line of "oidc.metrics":
# raising "oidc" above INFO would silence the metrics too.
LEVELS = {"oidc": logging.INFO, "botocore": logging.WARNING, "pynamodb": logging.WARNING}


class Fields:
    """A message that is a set of fields: JSON when shown as text (``str``, so any handler
    can show it, and tests read it with ``record.getMessage()``), and merged into the line
    itself by ``JsonLines``, rather than quoted in it as a string."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __str__(self) -> str:
        return json.dumps(self.fields, default=str)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        scope = current()
        line: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "request_id": scope.request_id if scope else None,
            "tenant": scope.tenant if scope else None,
        }
        if isinstance(record.msg, Fields):
            line.update(record.msg.fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def install(root: logging.Logger | None = None) -> None:
    """Format every line as ``JsonLines``: the handlers already on the root logger keep
    their destination and take this format (on Lambda, the runtime's handler, whose own
    format would prefix each line and so hide the metrics from CloudWatch); with none, one
    writes to stdout, as Lambda's does. Idempotent: app.py and each function's module call it."""
    root = root or logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for handler in root.handlers:
        if not isinstance(handler.formatter, JsonLines):
            handler.setFormatter(JsonLines())
    for name, level in LEVELS.items():
        logging.getLogger(name).setLevel(level)
