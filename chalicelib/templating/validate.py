"""Check an upload before it is stored: its size, its syntax tree (``check``), a render of
each page sample in the sandbox, and what the renders produce (``markup``): no forbidden
markup, and the page's form with its hidden fields and controls. Every refusal is a
TemplateProblem that names the line at fault where there is one."""

from __future__ import annotations

from chalicelib.templating import MAX_SOURCE_BYTES, MAX_SUBJECT_CHARS, NAMES, TemplateProblem, markup, sandbox, schema
from chalicelib.templating.check import check


def validate(page: str, source: object) -> str:
    """The upload as it will be stored; TemplateProblem if it may not be."""
    from markupsafe import Markup

    if page not in NAMES:
        raise TemplateProblem(f"no template {page!r}: tenant templates are {', '.join(NAMES)}")
    if not isinstance(source, str) or not source.strip():
        raise TemplateProblem("a template is a non-empty string")
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES or "\x00" in source:
        raise TemplateProblem(f"a template is at most {MAX_SOURCE_BYTES} bytes of text")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        raise TemplateProblem("a template is UTF-8 text") from None
    text = schema.is_mail(page)
    environment = sandbox.environment("en", text)
    try:
        tree = environment.parse(source)
    except Exception as error:
        raise TemplateProblem(
            getattr(error, "message", None) or "syntax error", getattr(error, "lineno", None)
        ) from None
    try:
        check(page, tree)
        template = sandbox.compile_template(source, "en", text)
    except RecursionError:  # an expression nested deeper than the checker or compiler go
        raise TemplateProblem("the template nests too deeply") from None
    for sample in schema.samples(page, Markup(markup.FIELDS_PLACEHOLDER)):  # noqa: S704 (our constant)
        output = sandbox.render(template, sample)
        _check_mail(output) if text else _check_output(page, output)
    return source


def split_mail(text: str) -> tuple[str, str]:
    """(subject, body) of a rendered mail template: its first line is "Subject: ..."."""
    first, _, body = text.lstrip("\n").partition("\n")
    if not first.startswith("Subject: ") or not first[len("Subject: ") :].strip():
        raise TemplateProblem("a mail template's first line is Subject: and the subject", 1)
    subject = first[len("Subject: ") :].strip()
    if len(subject) > MAX_SUBJECT_CHARS:
        raise TemplateProblem(f"a subject is at most {MAX_SUBJECT_CHARS} characters", 1)
    return subject, body.strip() + "\n"


def _check_mail(text: str) -> None:
    _, body = split_mail(text)
    if schema.SAMPLE_LINK not in body:
        raise TemplateProblem("the message must carry {{ link }} in its body")


def _check_output(page: str, html: str) -> None:
    refused = markup.problems(html, set(schema.samples(page, "")[0]["urls"].values()))
    if refused:
        raise TemplateProblem(refused[0])
    scanned = markup.scan(html)
    if page not in schema.FORM_ACTION:
        return
    if not scanned.placeholders:
        raise TemplateProblem("the page must render {{ form_fields }} inside its form")
    action = schema.samples(page, "")[0]["urls"][schema.FORM_ACTION[page]]
    if ("post", action) not in scanned.forms:
        raise TemplateProblem(f'the page needs <form method="post" action="{{{{ urls.{schema.FORM_ACTION[page]} }}}}">')
    for name, value in schema.REQUIRED_CONTROLS[page].items():
        if not any(
            found == name and (value is None or found_value == value) for found, found_value in scanned.controls
        ):
            wanted = f'name="{name}"' + (f' value="{value}"' if value else "")
            raise TemplateProblem(f"the page's form needs a control with {wanted}")
