"""A person at a browser, over real HTTP: follows the OP's redirects, fills in the login
form, answers the consent and logout pages, and stops at the redirect back to the client."""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from tests.support.forms import only_form


class UserAgent:
    def __init__(self, op_base: str) -> None:
        self.op_base = op_base
        self.session = requests.Session()

    def visit(self, url: str) -> requests.Response:
        """GET ``url`` and follow redirects while they stay at the OP."""
        return self._follow(self.session.get(url, allow_redirects=False))

    def submit(self, page: requests.Response, button: str | None = None, **values: str) -> requests.Response:
        form = only_form(page.text)
        response = self.session.post(
            urljoin(page.url, form.action), data=form.submission(button, **values), allow_redirects=False
        )
        return self._follow(response)

    def sign_in(self, authorization_url: str, username: str, password: str, consent: bool = True) -> str:
        """The whole interaction; returns the URL the OP sends the browser back to."""
        page = self.visit(authorization_url)
        if _is_login_page(page):
            page = self.submit(page, "login", username=username, password=password)
        if page.status_code == 200 and "Allow" in page.text:
            page = self.submit(page, "allow" if consent else "decline")
        assert page.status_code == 302, f"{page.status_code}: {page.text[:500]}"
        return page.headers["Location"]

    def sign_out(self, end_session_url: str) -> str:
        """RP-initiated logout: load the OP's confirmation page, press "Sign out"; returns the
        URL the OP sends the browser back to."""
        page = self.visit(end_session_url)
        assert page.status_code == 200 and "Sign out?" in page.text, f"{page.status_code}: {page.text[:500]}"
        page = self.submit(page, "logout")
        assert page.status_code == 302, f"{page.status_code}: {page.text[:500]}"
        return page.headers["Location"]

    def asked_to_sign_in(self, authorization_url: str) -> bool:
        """Whether the OP answers an authorization request with its login form."""
        return _is_login_page(self.visit(authorization_url))

    def _follow(self, response: requests.Response) -> requests.Response:
        while response.status_code == 302 and response.headers["Location"].startswith(self.op_base):
            response = self.session.get(response.headers["Location"], allow_redirects=False)
        return response


def _is_login_page(page: requests.Response) -> bool:
    # The password field, not the word: every page's stylesheet mentions input[type=password].
    return page.status_code == 200 and 'name="password"' in page.text
