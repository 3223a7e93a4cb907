"""The sandbox tenant templates render in: Jinja2's ImmutableSandboxedEnvironment, with
autoescaping, no loader (a tenant template cannot include, import or extend anything, ours
or its own), undefined names an error, and only the filters and globals below.

``check`` refuses what this environment would allow but a page has no use for (method
calls, arithmetic that multiplies, loops over anything but the documented lists): the
sandbox is the second wall, not the only one. One environment per language, as for our own
pages (chalicelib/web/pages.py): ``_`` and ``ngettext`` translate with the page's catalog.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.templating import MAX_OUTPUT_CHARS, TemplateProblem

# Filters that only shorten, reformat or pick from what they are given: none can make a
# string much longer than its input (``center``, ``indent``, ``wordwrap``, ``format``,
# ``replace`` can) and none lets markup through unescaped (``safe``) or reaches attributes
# by name (``attr``, ``map``, ``selectattr``...).
FILTERS = frozenset({
    "capitalize", "count", "d", "default", "e", "escape", "first", "int", "join", "last", "length", "lower",
    "reverse", "sort", "string", "striptags", "title", "trim", "truncate", "upper", "urlencode", "wordcount",
    "translate",
})  # fmt: skip
GETTEXT = frozenset({"_", "gettext", "ngettext"})
NAME = "<tenant template>"  # the file name in tracebacks: how a failure finds its line

_lock = threading.Lock()
_environments: dict[tuple[str, bool], Any] = {}


def environment(language: str, text: bool = False) -> Any:
    """The sandbox for pages (HTML, autoescaped) or, ``text``, for mail (text/plain: nothing
    to escape, and escaping would turn a display name's "&" into "&amp;")."""
    key = (language, text)
    if key not in _environments:
        with _lock:
            if key not in _environments:
                _environments[key] = _build(language, text)
    return _environments[key]


def _build(language: str, text: bool) -> Any:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    from chalicelib.i18n.catalogs import translations

    class TenantSandbox(ImmutableSandboxedEnvironment):
        # Refused by ``check`` already; refused here again should a template get past it.
        intercepted_binops = frozenset({"*", "**", "//", "/"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            raise SecurityError(f"the operator {operator} is not available in templates")

    catalog = translations(language)
    sandbox = TenantSandbox(loader=None, autoescape=not text, undefined=jinja2.StrictUndefined,
                            extensions=["jinja2.ext.i18n"], keep_trailing_newline=True)  # fmt: skip
    sandbox.policies["ext.i18n.trimmed"] = True
    sandbox.install_gettext_translations(catalog, newstyle=True)
    sandbox.filters = {name: sandbox.filters[name] for name in FILTERS - {"translate"}}
    sandbox.filters["translate"] = catalog.gettext
    sandbox.filters["join"] = _bounded_join(sandbox.filters["join"], SecurityError)
    # range, dict, namespace (which lets a loop grow a string), cycler, joiner, lipsum: gone.
    sandbox.globals = {name: _bounded_gettext(sandbox.globals[name], SecurityError) for name in GETTEXT}
    return sandbox


def _bounded_join(join: Any, refused: type[Exception]) -> Any:
    """``join`` of a list only, refused before it is built when the result would pass the
    output's cap: joined with a string as separator, or a string joined (each character an
    item), it multiplies lengths, and two of them nested made gigabytes."""
    from jinja2 import pass_eval_context

    @pass_eval_context
    def bounded(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        if not isinstance(value, list | tuple):
            raise refused("join takes a list")
        size = sum(len(str(item)) for item in value) + len(str(d)) * max(len(value) - 1, 0)
        if size > MAX_OUTPUT_CHARS:
            raise refused(f"the page would be longer than {MAX_OUTPUT_CHARS} characters")
        return join(eval_ctx, value, d, attribute)

    return bounded


def _bounded_gettext(gettext: Any, refused: type[Exception]) -> Any:
    """``_()`` whose %(name)s placeholders cannot multiply a long value past the output's cap
    (the i18n extension's functions take the template's context first, as this one does)."""
    from jinja2 import pass_context

    @pass_context
    def bounded(context: Any, *args: Any, **variables: Any) -> Any:
        longest = max((len(str(value)) for value in variables.values()), default=0)
        if sum(len(str(arg)) for arg in args) + str(args).count("%(") * longest > MAX_OUTPUT_CHARS:
            raise refused(f"the page would be longer than {MAX_OUTPUT_CHARS} characters")
        return gettext(context, *args, **variables)

    return bounded


def compile_template(source: str, language: str, text: bool = False) -> Any:
    """The compiled template; TemplateProblem for a syntax error (with its line)."""
    import jinja2

    try:
        return _compile(source, language, text)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateProblem(error.message or "syntax error", error.lineno) from None


def _compile(source: str, language: str, text: bool) -> Any:
    sandbox = environment(language, text)
    code = sandbox.compile(source, name=NAME, filename=NAME)
    return sandbox.template_class.from_code(sandbox, code, sandbox.make_globals(None), None)


def render(template: Any, context: dict[str, Any]) -> str:
    """Render, stopping once the output passes MAX_OUTPUT_CHARS; TemplateProblem for any
    failure (an undefined name or attribute, a refused operation), with the line at fault."""
    size, parts = 0, []
    try:
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateProblem(f"the page would be longer than {MAX_OUTPUT_CHARS} characters")
            parts.append(part)
    except TemplateProblem:
        raise
    except Exception as error:
        raise TemplateProblem(_describe(error), _line(error)) from None
    return "".join(parts)


def _describe(error: Exception) -> str:
    from jinja2.exceptions import UndefinedError
    from jinja2.sandbox import SecurityError

    if isinstance(error, UndefinedError | SecurityError):
        return str(error.message or error)
    if isinstance(error, RecursionError | MemoryError):
        return "the template does too much"
    return f"{type(error).__name__}: {error}"


def _line(error: BaseException) -> int | None:
    """The template line of the innermost frame that ran template code (Jinja2 rewrites its
    tracebacks so that such frames carry the template's file name and line)."""
    line, tb = None, error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
