"""jinja2 pages: one environment per language, built on first use (not at import: a cold
start that serves only JSON must not load jinja2).

An environment's gettext callables are global to it, and one container serves requests
in several languages (on several threads under the dev server): so each language has its own
environment with its own catalog installed, rather than one environment re-installed per
request. Three languages cost three template caches, a few hundred kilobytes.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.i18n import DEFAULT_LANGUAGE

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

_lock = threading.Lock()
_environments: dict[str, Any] = {}


def render(template: str, context: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    return _environment(language).get_template(template).render(**context, language=language)


def _environment(language: str) -> Any:
    if language not in _environments:
        with _lock:
            if language not in _environments:
                _environments[language] = _build(language)
    return _environments[language]


def _build(language: str) -> Any:
    import jinja2

    from chalicelib.i18n.catalogs import translations

    catalog = translations(language)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %} blocks' line breaks and indentation are not part of their message ids.
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(catalog, newstyle=True)
    environment.filters["datetime"] = _datetime
    # A sentence from outside the catalog's control (an error description, which may carry
    # a client's input): translated when the catalog has it, never %-formatted as `_()` is.
    environment.filters["translate"] = catalog.gettext
    return environment


def _datetime(epoch: int) -> str:
    """An epoch second as the console shows times: UTC, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
