"""What a tenant template's output may contain, read as a browser would tokenize it.

Refused: elements that load or run something, or change the document rather than its
content (script, style, meta, base, link, frames, objects, forms' own submit targets
elsewhere are the CSP's), inline event handlers and style attributes, and ``javascript:``
or ``data:`` URLs. The page's CSP (chalicelib/web/responses.py) would block most of these
anyway: no script or style runs without the nonce, which a tenant template never sees. They
are refused all the same, so that an upload says plainly what will not work, and a
``<meta http-equiv="refresh">`` (which no CSP stops) cannot send the user elsewhere.
"""

from __future__ import annotations

from html.parser import HTMLParser

FORBIDDEN_ELEMENTS = frozenset({
    "script", "style", "meta", "base", "link", "iframe", "frame", "frameset", "object", "embed", "applet",
    "html", "head", "body", "title", "template", "noscript", "svg", "math", "portal",
    # a browser reads what follows these as text, up to their end tag or (plaintext) forever
    "plaintext", "xmp", "listing", "noembed", "noframes",
})  # fmt: skip
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "srcset", "xlink:href", "poster", "data"})
# What a template renders for ``form_fields``: the real hidden fields (CSRF token, login ticket)
# take its place only after the output passed the checks, and only where it stands as a tag of
# its own. A template never holds the values, so it cannot put them in a URL
# (``<img src="https://elsewhere/?{{ form_fields|urlencode }}">``) or inside an attribute.
FIELDS_PLACEHOLDER = '<input type="hidden" name="_form_fields">'
_PLACEHOLDER_ATTRS = [("type", "hidden"), ("name", "_form_fields")]


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.controls: list[tuple[str, str | None]] = []  # (name, value) of inputs and buttons
        self.forms: list[tuple[str, str]] = []  # (method, action)
        self.placeholders = 0  # FIELDS_PLACEHOLDER read as a tag of its own, outside a textarea
        self.in_textarea = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"the element <{tag}> is not allowed")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "http-equiv", "srcdoc", "nonce", "formaction", "form"}:
                self.problems.append(f"the attribute {name} (on <{tag}>) is not allowed")
            elif name in URL_ATTRIBUTES and _scheme(value or "") in {"javascript", "data", "vbscript"}:
                self.problems.append(f"a {_scheme(value or '')}: URL (in <{tag} {name}>) is not allowed")
        named = dict(attrs)
        if tag in {"input", "button", "select", "textarea"} and named.get("name"):
            self.controls.append((named["name"] or "", named.get("value")))
        if tag == "form":
            self.forms.append(((named.get("method") or "get").lower(), named.get("action") or ""))
        if tag == "input" and attrs == _PLACEHOLDER_ATTRS and not self.in_textarea:
            self.placeholders += 1
        if tag == "textarea":  # a browser reads its content as text, up to </textarea>
            self.in_textarea += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "textarea":
            self.in_textarea -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.in_textarea:
            self.in_textarea -= 1

    # Browsers and Python's parser end comments and declarations in different places
    # ("<!-->" is a whole comment to a browser): markup hidden in one would reach the page
    # unread. A page's content needs none of them.
    def handle_comment(self, data: str) -> None:
        self.problems.append("comments (<!-- -->) are not allowed")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declarations (<!...>) are not allowed")

    unknown_decl = handle_decl

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instructions (<?...>) are not allowed")


def scan(html: str) -> _Scanner:
    scanner = _Scanner()
    if "<!" in html or "<?" in html:  # whatever the parser would make of them (see above)
        scanner.problems.append("comments and declarations (<!...>, <?...>) are not allowed")
        return scanner
    try:
        scanner.feed(html)
        # Markup left unfinished ("<img src='https://elsewhere/?") would swallow our layout
        # that follows it, up to the next quote, into a URL.
        if scanner.rawdata or scanner.in_textarea:
            scanner.problems.append("the page's markup ends inside a tag, an attribute or a textarea")
        scanner.close()
    except AssertionError:  # _markupbase's "unknown status keyword" and the like
        scanner.problems.append("the page's markup cannot be read")
    if html.count(FIELDS_PLACEHOLDER) != scanner.placeholders:
        scanner.problems.append("{{ form_fields }} stands on its own inside the form, not in an attribute or a URL")
    return scanner


def problems(html: str, urls: set[str]) -> list[str]:
    """What in ``html`` is not allowed (nothing: an empty list): forbidden markup, and a form
    that does not post to one of ``urls``, the tenant's own pages (checked on every render,
    not only on the samples of an upload: a condition may show a form only to some)."""
    scanned = scan(html)
    found = list(scanned.problems)
    if any(method != "post" or action not in urls for method, action in scanned.forms):
        found.append("a form posts to one of the tenant's pages: {{ urls.<page> }}")
    return found


def _scheme(url: str) -> str:
    """A URL's scheme as a browser reads it: ignoring the whitespace and control characters
    it strips ("java\\tscript:" is javascript:)."""
    cleaned = "".join(character for character in url if character > " ").lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned else ""
