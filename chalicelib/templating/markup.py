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
})  # fmt: skip
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "srcset", "xlink:href", "poster", "data"})


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.controls: list[tuple[str, str | None]] = []  # (name, value) of inputs and buttons
        self.forms: list[tuple[str, str]] = []  # (method, action)

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

    handle_startendtag = handle_starttag

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
        scanner.close()
    except AssertionError:  # _markupbase's "unknown status keyword" and the like
        scanner.problems.append("the page's markup cannot be read")
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
