"""jinja2 pages: the environment is built on first use (not at import: a cold start that
serves only JSON must not load jinja2)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

_lock = threading.Lock()
_environments: list[Any] = []


def render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(**context)


def _environment() -> Any:
    if not _environments:
        with _lock:
            if not _environments:
                import jinja2

                environment = jinja2.Environment(
                    loader=jinja2.FileSystemLoader(TEMPLATES),
                    autoescape=True,
                    undefined=jinja2.StrictUndefined,
                    extensions=["jinja2.ext.i18n"],
                )
                # Until the message catalogs land, every page renders its English message ids.
                environment.install_null_translations(newstyle=True)
                environment.filters["datetime"] = _datetime
                _environments.append(environment)
    return _environments[0]


def _datetime(epoch: int) -> str:
    """An epoch second as the console shows times: UTC, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
