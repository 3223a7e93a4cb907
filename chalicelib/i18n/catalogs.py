"""The compiled message catalogs, read with the standard library's ``gettext`` (Babel is
a tool for writing them, never loaded by the provider).

The ``.mo`` files are committed next to their ``.po`` sources (``python -m infra.catalogs``
compiles them; a unit test fails when one is stale), so the Lambda package, the dev server and
the tests all read the same files without a build step.
"""

from __future__ import annotations

import gettext
import threading
from pathlib import Path

from chalicelib.i18n import LANGUAGES

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

_lock = threading.Lock()
_loaded: dict[str, gettext.NullTranslations] = {}


def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for {language!r}")
    if language not in _loaded:
        with _lock:
            if language not in _loaded:
                _loaded[language] = _read(language)
    return _loaded[language]


def _read(language: str) -> gettext.NullTranslations:
    with open(LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as file:
        return gettext.GNUTranslations(file)
