"""A cookie-keeping browser over Chalice's in-process test client (which serves requests
through the same local API Gateway emulation as ``chalice local``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.support.forms import only_form

HOST = "op.example.test"
BASE = f"http://{HOST}"


class Browser:
    """``host`` is the OP's host name as the browser sees it; ``headers`` go with every
    request (say, a hostile Host or X-Forwarded-* header, which must change nothing)."""

    def __init__(self, http: Any, host: str = HOST, headers: dict[str, str] | None = None) -> None:
        self.http = http
        self.host = host
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}

    def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        if params:
            url = f"{url}?{urlencode(params)}"
        return self.send("GET", url)

    def post(self, url: str, data: dict[str, str]) -> Any:
        return self.send("POST", url, urlencode(data), "application/x-www-form-urlencoded")

    def send(self, method: str, url: str, body: str | None = None, content_type: str | None = None) -> Any:
        parts = urlsplit(url)
        assert parts.netloc in ("", self.host), f"browser left the OP: {url}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"host": self.host, **self.headers}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["content-type"] = content_type
        response = self.http.request(method, path, headers=headers, body=body or b"")
        self._remember(response.headers.get("Set-Cookie") or response.headers.get("set-cookie"))
        return response

    def follow(self, response: Any) -> Any:
        """Follow redirects while they stay at the OP; return the first response that is a
        page or leaves the OP."""
        while response.status_code == 302:
            location = response.headers["Location"]
            if urlsplit(location).netloc != self.host:
                return response
            response = self.get(location)
        return response

    def submit(self, page: Any, button: str | None = None, **values: str) -> Any:
        form = only_form(page.body.decode())
        return self.post(form.action, form.submission(button, **values))

    def _remember(self, header: Any) -> None:
        if not header:
            return
        for cookie in header if isinstance(header, list) else [header]:
            pair, *attributes = cookie.split(";")
            name, _, value = pair.partition("=")
            if any(a.strip().lower() == "max-age=0" for a in attributes):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
