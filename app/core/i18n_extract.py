"""Finds every text of a problem document in the code base, for the German catalog.

A Babel extraction method (``babel.cfg`` names it; ``make messages`` runs it) and the source of
the test that every title and detail has a German translation. It reads the code, it never
imports it:

- titles: ``title`` in the body of an ``AppError`` subclass (``status, code, title = …``);
- details: the first argument (or ``detail=``) of a call to an ``AppError`` subclass, or of
  ``super().__init__`` inside one, and ``detail=`` of ``problem_response``;
- field messages: the ``msg`` of ``field_error(loc, msg, type)`` (a problem's ``errors[]``);
- anything wrapped in ``_()``, ``N_()`` or ``gettext()`` (validation messages, page texts).

An f-string becomes a template with named fields: ``f"No workgroup {workgroup_id}."`` is the
message id ``No workgroup {workgroup_id}.``; at run time ``app.core.i18n`` matches a rendered
detail against the templates and puts the values into the German text. A detail that is neither
text nor an f-string (a variable) is resolved through the module's constants; what stays
unresolved is reported by ``unresolved`` so a test can refuse it.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT_ERROR = "AppError"
GETTEXT_NAMES = frozenset({"_", "N_", "gettext"})
RENDERERS = frozenset({"problem_response"})
FIELD_ERRORS = frozenset({"field_error"})


@dataclass(frozen=True)
class Found:
    path: str
    lineno: int
    message: str
    kind: str  # "title", "detail", "gettext"


@dataclass(frozen=True)
class Unresolved:
    path: str
    lineno: int
    source: str


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


_NO_DETAIL = -1


def _detail_position(node: ast.ClassDef) -> int | None:
    """Where the class's own ``__init__`` takes ``detail`` (``_NO_DETAIL`` when it does not);
    None when the class inherits its constructor."""
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
            names = [arg.arg for arg in stmt.args.posonlyargs + stmt.args.args][1:]
            return names.index("detail") if "detail" in names else _NO_DETAIL
    return None


def problem_classes(trees: Iterable[ast.Module]) -> dict[str, int]:
    """Every class that derives (by name, across modules) from AppError, with the position of
    its constructor's ``detail`` argument (``_NO_DETAIL`` when it builds its own detail)."""
    bases: dict[str, set[str]] = {}
    positions: dict[str, int | None] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    name for base in node.bases if (name := _last_name(base)))
                positions[node.name] = _detail_position(node)
    found: dict[str, int] = {ROOT_ERROR: 0}
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            inherited = [found[parent] for parent in sorted(parents) if parent in found]
            if name not in found and inherited:
                own = positions.get(name)
                found[name] = inherited[0] if own is None else own
                changed = True
    return found


def _field_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        func = _last_name(node.func)
        if func == "len" and node.args:
            return "count"
        if func and node.args:
            return _field_name(node.args[0])
    if isinstance(node, ast.Subscript):
        return _field_name(node.value)
    if isinstance(node, ast.BoolOp) and node.values:
        return _field_name(node.values[0])
    return "value"


def _joined(node: ast.JoinedStr) -> str:
    parts: list[str] = []
    used: dict[str, int] = {}
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value.replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            name = _field_name(value.value)
            used[name] = used.get(name, 0) + 1
            parts.append("{%s}" % (name if used[name] == 1 else f"{name}_{used[name]}"))
    return "".join(parts)


class _Templates:
    """The texts an expression can evaluate to, as catalog message ids."""

    def __init__(self, constants: dict[str, ast.expr]) -> None:
        self.constants = constants
        self.local: dict[str, list[ast.expr]] = {}

    def of(self, node: ast.expr) -> list[str] | None:
        if isinstance(node, ast.Constant) and node.value is None:
            return []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            return [_joined(node)]
        if isinstance(node, ast.IfExp):
            body, orelse = self.of(node.body), self.of(node.orelse)
            return None if body is None or orelse is None else body + orelse
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.of(node.left), self.of(node.right)
            if left is None or right is None:
                return None
            return [a + b for a, b in itertools.product(left, right)]
        if isinstance(node, ast.Name) and node.id in self.local:
            found: list[str] = []
            for value in self.local[node.id]:
                more = self.of(value)
                if more is None:
                    return None
                found.extend(more)
            return found
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.of(self.constants[node.id])
        if isinstance(node, ast.Call) and _last_name(node.func) in GETTEXT_NAMES and node.args:
            return self.of(node.args[0])
        return None


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    constants: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                constants[target.id] = node.value
        elif (isinstance(node, ast.AnnAssign) and node.value is not None
              and isinstance(node.target, ast.Name)):
            constants[node.target.id] = node.value
    return constants


def _local_texts(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[ast.expr]]:
    """A function's text-valued names: its assignments, and its parameters' text defaults."""
    local: dict[str, list[ast.expr]] = {}
    args = node.args
    positional = args.posonlyargs + args.args
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults,
                            strict=True):
        local.setdefault(arg.arg, []).append(default)
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if kw_default is not None:
            local.setdefault(arg.arg, []).append(kw_default)
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    local.setdefault(target.id, []).append(stmt.value)
    return local


def _titles(node: ast.ClassDef) -> Iterator[tuple[int, ast.expr]]:
    for stmt in node.body:
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if isinstance(target, ast.Name) and target.id == "title":
                yield stmt.lineno, stmt.value
            elif (isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple)
                  and len(target.elts) == len(stmt.value.elts)):
                for name, value in zip(target.elts, stmt.value.elts, strict=True):
                    if isinstance(name, ast.Name) and name.id == "title":
                        yield stmt.lineno, value


def _detail_arg(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "detail":
            return keyword.value
    if position == _NO_DETAIL or len(call.args) <= position:
        return None
    arg = call.args[position]
    return None if isinstance(arg, ast.Starred) else arg


def _is_super_init(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr == "__init__"
            and isinstance(func.value, ast.Call) and _last_name(func.value.func) == "super")


def scan(path: str, tree: ast.Module, classes: dict[str, int]) -> tuple[list[Found], list[Unresolved]]:
    templates = _Templates(_module_constants(tree))
    found: list[Found] = []
    unresolved: list[Unresolved] = []

    def add(lineno: int, node: ast.expr, kind: str) -> None:
        if isinstance(node, ast.Constant) and node.value is None:
            return
        messages = templates.of(node)
        if messages is None:
            if kind != "field":  # a field message passed on (a parser's own) stays as it is
                unresolved.append(Unresolved(path, lineno, ast.unparse(node)))
            return
        found.extend(Found(path, lineno, message, kind) for message in messages if message)

    def visit(node: ast.AST, in_problem_class: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            outer = templates.local
            templates.local = _local_texts(node)
            for child in ast.iter_child_nodes(node):
                visit(child, in_problem_class)
            templates.local = outer
            return
        if isinstance(node, ast.ClassDef):
            is_problem = node.name in classes
            if is_problem:
                for lineno, value in _titles(node):
                    add(lineno, value, "title")
            for child in node.body:
                visit(child, is_problem)
            return
        if isinstance(node, ast.Call):
            name = _last_name(node.func)
            if name in GETTEXT_NAMES and node.args:
                add(node.lineno, node.args[0], "gettext")
            elif name in classes or (in_problem_class and _is_super_init(node)):
                detail = _detail_arg(node, classes.get(name or "", 0))
                if detail is not None:
                    add(node.lineno, detail, "detail")
            elif name in FIELD_ERRORS:
                message = next((kw.value for kw in node.keywords if kw.arg == "msg"),
                               node.args[1] if len(node.args) > 1 else None)
                if message is not None:
                    add(node.lineno, message, "field")
            elif name in RENDERERS:
                for keyword in node.keywords:
                    if keyword.arg in ("title", "detail"):
                        add(node.lineno, keyword.value, keyword.arg)
            else:  # a helper that passes a detail on (``require_header_and_rows(detail=…)``)
                for keyword in node.keywords:
                    if keyword.arg == "detail" and isinstance(keyword.value,
                                                              ast.Constant | ast.JoinedStr):
                        add(node.lineno, keyword.value, "detail")
        for child in ast.iter_child_nodes(node):
            visit(child, in_problem_class)

    visit(tree, False)
    return found, unresolved


def scan_tree(root: Path) -> tuple[list[Found], list[Unresolved]]:
    """Every problem text under ``root`` (the ``app`` package)."""
    files = sorted(root.rglob("*.py"))
    trees = {str(path): ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files}
    classes = problem_classes(trees.values())
    found: list[Found] = []
    unresolved: list[Unresolved] = []
    for path, tree in trees.items():
        more, missing = scan(path, tree, classes)
        found.extend(more)
        unresolved.extend(missing)
    return found, unresolved


_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_classes_cache: dict[str, int] | None = None


def extract_problems(fileobj: Any, keywords: Any, comment_tags: Any,
                     options: dict[str, Any]) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method: ``(lineno, funcname, message, comments)`` per text."""
    global _classes_cache
    if _classes_cache is None:
        trees = [ast.parse(path.read_text(encoding="utf-8"))
                 for path in sorted(_PACKAGE_ROOT.rglob("*.py"))]
        _classes_cache = problem_classes(trees)
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    name = getattr(fileobj, "name", "<source>")
    found, _unresolved = scan(name, ast.parse(source), _classes_cache)
    for item in found:
        comments = {"title": ["problem title"], "detail": ["problem detail"],
                    "field": ["field error message"]}.get(item.kind, [])
        yield item.lineno, "_", item.message, comments
