"""Languages of the pages.

Python code that hands a sentence to a page marks it with ``N_`` (so the catalog extractor finds
it) and passes the English id; the page translates it when it renders, in the request's language
(``chalicelib.i18n.negotiate`` chooses it, ``chalicelib.i18n.catalogs`` reads its catalog).

This module is imported by the protocol code on every cold start: it holds only names.
"""

from __future__ import annotations

# The languages the pages are written in: English (the message ids) and the catalogs under
# chalicelib/i18n/locale/. A tenant's default_language is one of them.
LANGUAGES = ("en", "de", "fr")
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:  # gettext's conventional name for a deferred translation
    """Mark ``message`` for extraction without translating it here."""
    return message
