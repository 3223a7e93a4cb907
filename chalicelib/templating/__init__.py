"""Tenant templates: a tenant's own login, consent, logout and error pages, and its own mail.

A tenant admin uploads a Jinja2 template for the *content* of a page (what is inside the
page's ``<main>``); it renders in Jinja2's immutable sandbox against a documented context
(``schema``: the same names ``docs/templates.md`` lists), and our layout (``<head>``, styles,
the CSP nonce, scripts) stays ours. Uploads are checked before they are stored (``validate``);
pages render them with ``render``. This package knows no Chalice, PynamoDB or boto3.
"""

from __future__ import annotations

# The pages and mail a tenant may override, by the name the admin API and the CLI use.
PAGES = ("login", "consent", "logout", "error")
MAILS = ("mail_reset", "mail_verify", "mail_signup", "mail_signup_exists")
NAMES = PAGES + MAILS
# The built-in template each name overrides (pages: templates/; mail: templates/mail/).
BUILT_IN = {"login.html": "login", "consent.html": "consent", "logout.html": "logout", "error.html": "error"}
BUILT_IN_MAIL = {"reset.txt": "mail_reset", "verify.txt": "mail_verify", "signup.txt": "mail_signup",
                 "signup_exists.txt": "mail_signup_exists"}  # fmt: skip
MAX_SUBJECT_CHARS = 200
MAX_SOURCE_BYTES = 16 * 1024
# What a render may produce at most (the sandbox bounds loops; this bounds what is left).
MAX_OUTPUT_CHARS = 256 * 1024


class TemplateProblem(ValueError):
    """An upload that is refused: a sentence for the admin, and the template line at fault."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line
