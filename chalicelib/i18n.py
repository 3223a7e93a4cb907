"""Message ids for the pages.

Python code that hands a sentence to a page marks it with ``N_`` (so the catalog extractor finds
it) and passes the English id; the page translates it when it renders, in the request's language.
"""

from __future__ import annotations


def N_(message: str) -> str:  # gettext's conventional name for a deferred translation
    """Mark ``message`` for extraction without translating it here."""
    return message
