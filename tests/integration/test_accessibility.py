"""Every page in Chromium at desktop (1280x800) and phone (390x844) sizes: no serious or
critical axe-core violation of WCAG 2.x A/AA, and none of what axe does not check
(tests/integration/a11y.py): a faint field border, a page wider than 320 px, a control the
Tab key misses or whose focus does not show.

A browser page walks the pages a person meets, signing in once: the home and tenant pages,
errors (also an unverified client's, in both forms), login (empty and with its error),
consent (a verified client with its logo and links, an unverified one with its warning),
the form_post page, the logout confirmation and the signed-out pages, in each language the
pages ship in (the browser's Accept-Language); the console's walk is in
test_console_accessibility.py. Each page is checked at both sizes, resized in place; every
result is kept under test-artifacts/a11y/, with summary.md counting violations by impact."""

from __future__ import annotations

import json

import pytest

from chalicelib import i18n
from chalicelib.admin import clients as client_admin
from chalicelib.admin import tenants as tenant_admin
from tests.integration import a11y
from tests.integration.conftest import PASSWORD
from tests.integration.test_browser import ARGS, CHROMIUM, SIZES, authorize_url, end_session_url

playwright_api = pytest.importorskip("playwright.sync_api")
# The languages the pages ship in (chalicelib.i18n.LANGUAGES, with the message catalogs);
# English alone until they land.
LANGUAGES = tuple(getattr(i18n, "LANGUAGES", ("en",)))
SUMMARY: dict[str, dict] = {}  # every walk's results, for summary.md
one_backend = pytest.mark.parametrize("tenant", ["secretsmanager"], indirect=True)


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    a11y.write_summary(SUMMARY)


class Walk:
    """A page, and what the checks found on each page it was shown, at each size (the walk's
    language, if it has one, names its results too)."""

    def __init__(self, page, language: str | None = None) -> None:
        self.page, self.language = page, language
        self.suffix = f"-{language}" if language else ""
        self.languages: set[str] = set()
        self.results: dict[str, dict] = {}
        self.problems: list[str] = []

    def check(self, name: str, loaded: bool = True) -> None:
        if loaded:  # after a click, the page it led to
            self.page.wait_for_load_state()
        self.languages.add(self.page.evaluate("() => document.documentElement.lang"))
        results, problems = a11y.examine(self.page, name + self.suffix, SIZES)
        self.results.update(results)
        SUMMARY.update(results)
        self.problems += problems

    def click(self, role: str, name: str) -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()

    def press(self, value: str) -> None:
        """The button that sends ``value``: found by what it does, in any language."""
        self.page.locator(f'button[value="{value}"]').click()

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.locator("#username").fill(username)
        self.page.locator("#password").fill(password)
        self.press("login")

    def assert_passed(self, pages: int) -> None:
        assert len(self.results) == pages * len(SIZES)
        assert self.languages == {self.language or "en"}  # each page was shown in the walk's language
        assert self.problems == []


@pytest.fixture
def clients(tenant, rp):
    """A tenant with a logo, a verified client with its logo and links, and an unverified one."""
    logo = f"{rp.origin}/logo.svg"  # served on loopback, as every address this suite reaches
    tenant_admin.update_settings(tenant.id, {"branding": {"display_name": "Acme", "logo_uri": logo}})
    fields = {"client_type": "confidential", "redirect_uris": [f"{rp.origin}/callback"],
              "post_logout_redirect_uris": [f"{rp.origin}/logged-out"]}  # fmt: skip
    links = {"logo_uri": logo, "website_url": f"{rp.origin}/", "terms_url": f"{rp.origin}/terms"}
    verified = client_admin.create_client(tenant.id, name="Shop", **fields, **links)[0]
    unverified = client_admin.create_client(tenant.id, name="Stranger", **fields, verified=False)[0]
    return verified.client_id, unverified.client_id


@one_backend
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sign_in_page_is_accessible(chromium, provider, issuer, rp, clients, user, language):
    verified, unverified = clients
    context = chromium.new_context(viewport=SIZES["desktop"], locale=language)
    walk = Walk(context.new_page(), language)
    signed_out_pages(walk, provider, issuer, rp.origin, unverified)
    sign_in_pages(walk, issuer, rp.origin, verified, unverified)
    walk.page.goto(end_session_url(issuer, client_id=verified))
    walk.check("logout")
    walk.press("stay")
    walk.check("logged-out-still")
    context.close()
    walk.assert_passed(pages=14)


def signed_out_pages(walk: Walk, provider: str, issuer: str, rp: str, unverified: str) -> None:
    """The pages a browser without a session sees."""
    callback, back = f"{rp}/callback", f"{rp}/logged-out"
    silent = {"prompt": "none"}  # fails at once without a session: the error goes to the client
    for name, url in [
        ("home", f"{provider}/"),
        ("tenant", issuer),
        ("error", f"{issuer}/authorize?client_id=unknown"),
        ("error-continue", authorize_url(issuer, unverified, callback, **silent)),
        ("error-continue-form-post", authorize_url(issuer, unverified, callback, **silent, response_mode="form_post")),
        ("logged-out", end_session_url(issuer)),
        ("logged-out-unverified", end_session_url(issuer, client_id=unverified, post_logout_redirect_uri=back)),
    ]:  # fmt: skip
        walk.page.goto(url)
        walk.check(name)


def sign_in_pages(walk: Walk, issuer: str, rp: str, verified: str, unverified: str) -> None:
    """Login, its error, consent and the form_post page; then an unverified client's consent."""
    page, callback = walk.page, f"{rp}/callback"
    page.goto(authorize_url(issuer, verified, callback, response_mode="form_post"))
    walk.check("login")
    walk.sign_in("alice", "not the password")
    walk.check("login-error")
    walk.sign_in("alice")
    walk.check("consent")
    # The form_post page submits itself at once: the relying party's end is cut off (as a
    # navigation the user stopped), so the page stays to be checked.
    page.route(callback, lambda route: route.abort("aborted"))
    with page.expect_event("requestfailed", lambda request: request.url == callback):
        walk.press("allow")
    assert page.locator("form#response").is_visible()
    walk.check("form-post", loaded=False)  # its load was cut off with the post
    page.unroute(callback)
    page.goto(authorize_url(issuer, unverified, callback))
    walk.check("consent-unverified")


def test_the_checks_name_each_problem_and_keep_the_result(chromium):
    """The checks are no rubber stamp: a page with an unlabelled field with a faint border,
    grey-on-white text, an image without a text alternative and a button that hides its
    focus fails each, one line per problem, at each size asked for."""
    page = chromium.new_page(viewport=SIZES["desktop"])
    page.set_content(
        '<!doctype html><html lang="en"><title>Bad</title><main><h1>Bad</h1>'
        '<p style="color:#bbb">faint</p><input type="text" name="q" style="border:1px solid #ccc"><img src="data:,">'
        '<button style="outline:none">Go</button></main></html>'
    )
    with pytest.raises(AssertionError) as failed:
        a11y.assert_accessible(page, "self-test-bad", sizes={"phone": SIZES["phone"]})
    assert page.viewport_size == SIZES["desktop"]
    page.close()
    unlabelled = "Form elements must have labels at input (Element does not have an implicit (wrapped) <label>)"
    assert [line.split(" (")[0] for line in str(failed.value).splitlines()[1:]] == [
        "self-test-bad-phone: critical image-alt: Images must have alternative text at img",
        "self-test-bad-phone: critical label: Form elements must have labels at input",
        "self-test-bad-phone: serious color-contrast: Elements must meet minimum color contrast ratio thresholds at p",
        "self-test-bad-phone: q: border rgb(204, 204, 204) at 1.61:1",
        "self-test-bad: button Go: no visible focus",
    ]
    assert f"critical label: {unlabelled}" in str(failed.value)
    kept = json.loads((a11y.RESULTS / "self-test-bad-phone.json").read_text())
    assert {violation["id"] for violation in kept["violations"]} == {"image-alt", "label", "color-contrast"}
