"""What a tenant template may say, checked on its syntax tree before it is ever run.

Allowed: text, ``{{ }}`` output, ``{% if %}``, ``{% for %}`` over a documented list (not
nested, not recursive), ``{% trans %}``, ``_("literal")`` / ``ngettext``, the sandbox's
filters and tests, comparisons, ``and``/``or``/``not``, ``~`` and ``+``, literals, and the
documented names and their documented attributes. Refused: anything else, notably method
calls, ``{% set %}``/``{% with %}``/``{% macro %}``/``{% include %}``/``{% extends %}``,
``{% autoescape %}``, attributes or items by computed or ``_``-prefixed names, ``*``, ``**``
and ``%``: with these gone, a template's work is bounded by its size times the length of the
page's lists, and no value but the documented ones is reachable.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.templating import TemplateProblem
from chalicelib.templating.sandbox import FILTERS, GETTEXT
from chalicelib.templating.schema import LOOP_FIELDS, PAGES, Variable

# A printf width or precision ("%999999999s") would let a short literal make a huge string.
_WIDTH = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|[0-9]|\.)")


def check(page: str, tree: Any) -> None:
    _Checker(PAGES[page]).visit(tree, {}, 0)


class _Checker:
    def __init__(self, variables: dict[str, Variable]) -> None:
        self.variables = variables
        self.line = 1  # the last line seen: some nodes ({% autoescape %}'s) carry none

    def visit(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        self.line = getattr(node, "lineno", None) or self.line
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            raise TemplateProblem(f"{_describe(node)} is not available in tenant templates", self.line)
        method(node, scope, loops)

    def children(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        for child in node.iter_child_nodes():
            self.visit(child, scope, loops)

    visit_Template = visit_Output = visit_If = visit_CondExpr = children
    visit_And = visit_Or = visit_Not = visit_Neg = visit_Pos = children
    visit_Compare = visit_Operand = visit_Concat = visit_Add = visit_Sub = children
    visit_List = visit_Tuple = visit_Dict = visit_Pair = visit_Keyword = children

    def visit_TemplateData(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        pass

    def visit_Const(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        pass

    def visit_Name(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        if node.name not in scope and node.name not in self.variables:
            raise TemplateProblem(f"unknown variable {node.name!r} (see docs/templates.md)", node.lineno)

    def visit_Getattr(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        path = _path(node)
        if path is None or len(path) != 2:
            raise TemplateProblem(f"attribute {node.attr!r} may only follow a documented variable", node.lineno)
        root, attribute = path
        variable = scope.get(root) or self.variables.get(root)
        if variable is None:
            raise TemplateProblem(f"unknown variable {root!r} (see docs/templates.md)", node.lineno)
        if attribute not in variable.fields:
            raise TemplateProblem(f"unknown attribute {root}.{attribute} (see docs/templates.md)", node.lineno)

    def visit_Filter(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        if node.name not in FILTERS:
            raise TemplateProblem(f"the filter {node.name!r} is not available in tenant templates", node.lineno)
        self.children(node, scope, loops)

    def visit_Test(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        self.children(node, scope, loops)

    def visit_Call(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        """Only ``_``/``gettext``/``ngettext``, with literal messages: a message from the
        page's data would be %-formatted, and could ask for a billion spaces."""
        if getattr(node.node, "name", None) not in GETTEXT or not isinstance(node.node, _nodes().Name):
            raise TemplateProblem("only _(), gettext() and ngettext() may be called", node.lineno)
        count = 2 if node.node.name == "ngettext" else 1
        messages, rest = node.args[:count], node.args[count:]
        if node.dyn_args or node.dyn_kwargs or len(messages) < count:
            raise TemplateProblem(f"{node.node.name}() takes literal messages", node.lineno)
        for message in messages:
            if not isinstance(message, _nodes().Const) or not isinstance(message.value, str):
                raise TemplateProblem(f"{node.node.name}() takes literal messages", node.lineno)
            if _WIDTH.search(message.value.replace("%%", "")):
                raise TemplateProblem("messages may not carry a %-width or precision", node.lineno)
        for child in (*rest, *node.kwargs):
            self.visit(child, scope, loops)

    def visit_Mod(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        """``%`` only as ``{% trans %}`` writes it: a literal message formatted by name."""
        nodes = _nodes()
        if not (isinstance(node.left, nodes.MarkSafeIfAutoescape) and isinstance(node.right, nodes.Dict)):
            raise TemplateProblem("the operator % is not available in tenant templates", node.lineno)
        self.visit(node.left.expr, scope, loops)
        self.visit(node.right, scope, loops)

    def visit_MarkSafeIfAutoescape(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        self.visit(node.expr, scope, loops)  # {% trans %} without variables: its message, marked safe

    def visit_For(self, node: Any, scope: dict[str, Variable], loops: int) -> None:
        nodes = _nodes()
        if loops or node.recursive:
            raise TemplateProblem("loops may not be nested or recursive", node.lineno)
        if not isinstance(node.iter, nodes.Name) or not self.variables.get(node.iter.name, Variable("")).items:
            raise TemplateProblem("a loop may only go over a documented list (see docs/templates.md)", node.lineno)
        if not isinstance(node.target, nodes.Name):
            raise TemplateProblem("a loop names one variable", node.lineno)
        item = Variable("", fields=self.variables[node.iter.name].items)
        inner = {**scope, node.target.name: item, "loop": Variable("", fields=LOOP_FIELDS)}
        if node.test is not None:
            self.visit(node.test, inner, loops + 1)
        for child in node.body:
            self.visit(child, inner, loops + 1)
        for child in node.else_:
            self.visit(child, scope, loops)


def _path(node: Any) -> tuple[str, ...] | None:
    nodes = _nodes()
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return None if base is None else (*base, node.attr)
    return None


def _describe(node: Any) -> str:
    names = {
        "Assign": "{% set %}", "AssignBlock": "{% set %}", "With": "{% with %}", "Macro": "{% macro %}",
        "CallBlock": "{% call %}", "Include": "{% include %}", "Import": "{% import %}", "FromImport": "{% import %}",
        "Extends": "{% extends %}", "Block": "{% block %}",
        "Scope": "{% autoescape %}", "EvalContextModifier": "{% autoescape %}",
        "FilterBlock": "{% filter %}", "Getitem": "[...] subscription", "Slice": "slicing",
        "Mul": "the operator *", "Pow": "the operator **", "Div": "the operator /", "FloorDiv": "the operator //",
    }  # fmt: skip
    return names.get(type(node).__name__, type(node).__name__)


def _nodes() -> Any:
    from jinja2 import nodes

    return nodes
