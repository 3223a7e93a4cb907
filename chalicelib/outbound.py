"""Requests the provider makes to relying parties (back-channel logout notifications).

Standard library only, in parallel, short timeouts, no redirects followed: a slow or
hostile RP can delay a logout by at most ``timeout`` seconds and cannot bounce the
provider's request somewhere else.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

TIMEOUT = 3.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_forms(requests: Sequence[tuple[str, Mapping[str, str]]], timeout: float = TIMEOUT) -> list[int | None]:
    """POST each form to its URL; the HTTP status of each, or None when it could not be sent."""
    if not requests:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(requests))) as pool:
        return list(pool.map(lambda request: _post(*request, timeout), requests))


def _post(url: str, form: Mapping[str, str], timeout: float) -> int | None:
    body = urlencode(form).encode()
    request = urllib.request.Request(  # noqa: S310 (URLs are registered https, or http to this machine)
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None
