"""Choosing a page's language: the authorization request's ``ui_locales`` (OIDC Core
§3.1.2.1), else the browser's ``Accept-Language`` (RFC 9110 §12.5.4), else the tenant's
default language.

Both inputs come from the client or the browser, so nothing here raises: a malformed tag,
q-value or header is ignored as if it were absent, and the next source decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from chalicelib.i18n import DEFAULT_LANGUAGE, LANGUAGES

# RFC 5646 language tags, loosely: a primary subtag of letters, then subtags of letters and
# digits (the grammar's finer rules do not matter for matching a primary language).
_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals.
_WEIGHT = re.compile(r"[qQ]=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")
MAX_TAGS = 16
MAX_HEADER = 1024


def parse_locales(value: str | None) -> tuple[str, ...]:
    """A space-separated list of language tags (``ui_locales``, ``claims_locales``), in order
    of preference, lower case; malformed tags are left out, and so is anything after the
    first ``MAX_TAGS``."""
    if not value or len(value) > MAX_HEADER:
        return ()
    tags = [tag.lower() for tag in value.split(" ") if _TAG.fullmatch(tag)]
    return tuple(dict.fromkeys(tags))[:MAX_TAGS]


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """The header's language ranges by descending weight (ties keep their order); ``*``
    and ranges of weight 0 are left out (they add nothing to a list of preferences), and
    so are malformed elements."""
    if not header or len(header) > MAX_HEADER:
        return ()
    weighted: list[tuple[float, int, str]] = []
    for index, element in enumerate(header.split(",")[: MAX_TAGS * 2]):
        tag, *parameters = (part.strip() for part in element.split(";"))
        weight = _weight(parameters)
        if weight is None or weight == 0 or _TAG.fullmatch(tag) is None:
            continue
        weighted.append((-weight, index, tag.lower()))
    return tuple(dict.fromkeys(tag for _, _, tag in sorted(weighted)))[:MAX_TAGS]


def _weight(parameters: Sequence[str]) -> float | None:
    if not parameters:
        return 1.0
    match = _WEIGHT.fullmatch(parameters[0]) if len(parameters) == 1 else None
    return float(match.group(1)) if match else None


def best_language(preferences: Iterable[str], available: Sequence[str] = LANGUAGES) -> str | None:
    """The first preference this provider has pages in: an exact tag, else its primary
    language (``de-CH`` is served in ``de``; RFC 4647 §3.4 lookup)."""
    for tag in preferences:
        while tag:
            if tag in available:
                return tag
            tag = tag.rpartition("-")[0]
    return None


def negotiate(ui_locales: Sequence[str], accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The page's language: ``ui_locales`` first, then ``Accept-Language``, then the
    tenant's ``default``."""
    return best_language(ui_locales) or best_language(parse_accept_language(accept_language)) or default
