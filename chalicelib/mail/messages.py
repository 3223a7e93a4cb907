"""The tenant's messages: text templates (``templates/mail/*.txt``) rendered with jinja2's
i18n extension, so every sentence is a message id the catalogs translate, like the pages'.

A template's first line is ``Subject: ...``; the rest is the body. The tenant's display name
(its branding, else its name) signs every message, so a user knows who is writing.

A message is in the language of the page that asked for it (the job carries it): one
environment per language with its catalog installed, as for the pages
(``chalicelib/web/pages.py``), since a consumer renders jobs in several languages.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.i18n import DEFAULT_LANGUAGE
from chalicelib.templating import BUILT_IN_MAIL

if TYPE_CHECKING:
    from chalicelib.tenancy.resolve import TenantConfig

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "mail"
_lock = threading.Lock()
_environments: dict[str, Any] = {}


def render_for(
    config: TenantConfig, template: str, language: str = DEFAULT_LANGUAGE, **context: Any
) -> tuple[str, str]:
    """(subject, text body) of the tenant's own template for this message where it has one
    (chalicelib.templating; its marker comes with the tenant's cached configuration, so a
    tenant without one costs no read), else of ours, in ``language``."""
    name = BUILT_IN_MAIL.get(template)
    version = config.templates.get(name) if name else None
    if name is not None and version is not None:
        own = _tenant_message(config.id, name, version, language, context)
        if own is not None:
            return own
    return render(template, language, **context)


def _tenant_message(
    tenant_id: str, name: str, version: int, language: str, context: dict[str, Any]
) -> tuple[str, str] | None:
    from chalicelib.store.templates import get_template
    from chalicelib.templating import TemplateProblem, runtime
    from chalicelib.templating.validate import split_mail

    def load() -> tuple[int, str] | None:
        stored = get_template(tenant_id, name)
        return (stored.version, stored.source) if stored else None

    # The tenant's own words stay as written; a _() message our catalogs know is translated.
    text = runtime.render((tenant_id, name, version, language), load, context)
    try:
        return split_mail(text) if text is not None else None
    except TemplateProblem:
        return None


def render(template: str, language: str = DEFAULT_LANGUAGE, **context: Any) -> tuple[str, str]:
    """(subject, text body) of ``template`` with ``context``, in ``language`` (one of
    ``chalicelib.i18n.LANGUAGES``)."""
    text = _environment(language).get_template(template).render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"{template} must start with a Subject: line")
    return first[len("Subject: ") :].strip(), body.strip() + "\n"


def _environment(language: str) -> Any:
    if language not in _environments:
        with _lock:
            if language not in _environments:
                import jinja2

                from chalicelib.i18n.catalogs import translations

                # Text mail: nothing is HTML, so nothing is escaped (a display name with "&"
                # stays "&"); every value is the tenant's or the provider's own.
                environment = jinja2.Environment(
                    loader=jinja2.FileSystemLoader(TEMPLATES),
                    autoescape=False,  # noqa: S701 (text/plain, never HTML)
                    undefined=jinja2.StrictUndefined,
                    extensions=["jinja2.ext.i18n"],
                    keep_trailing_newline=True,
                )
                environment.install_gettext_translations(translations(language), newstyle=True)
                _environments[language] = environment
    return _environments[language]
