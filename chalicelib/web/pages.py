"""jinja2 pages: the environment is built on first use (not at import: a cold start that
serves only JSON must not load jinja2)."""

from __future__ import annotations

import threading
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

                _environments.append(
                    jinja2.Environment(
                        loader=jinja2.FileSystemLoader(TEMPLATES),
                        autoescape=True,
                        undefined=jinja2.StrictUndefined,
                    )
                )
    return _environments[0]
