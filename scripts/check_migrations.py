"""Expand/contract check over migrations/versions: a rolling deploy runs the old release next to
the new schema, so a migration's upgrade() must not drop or rename a column or table the old
release still reads. Such a step is allowed only as the *contract* step of an earlier expand:
the file declares ``contract_of = "<revision>"`` naming the earlier migration that added the
replacement (and the release in between stopped using the old name).

Run: ``python scripts/check_migrations.py`` (exit 1 and one line per finding)."""

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
DESTRUCTIVE_CALLS = {"drop_column", "drop_table", "rename_table"}
RAW_SQL = re.compile(r"\b(DROP\s+(COLUMN|TABLE)|RENAME\s+(COLUMN|TO))\b", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return (f"{self.file}:{self.line}: {self.what} in upgrade() breaks the running release; "
                "expand first, contract later (declare contract_of = '<expand revision>')")


def _module_string(tree: ast.Module, name: str) -> str | None:
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        value = getattr(node, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name \
                    and isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def destructive_steps(source: str) -> list[tuple[int, str]]:
    """(line, what) for each drop or rename in ``upgrade()`` of a migration's source."""
    tree = ast.parse(source)
    upgrade = next((node for node in tree.body
                    if isinstance(node, ast.FunctionDef) and node.name == "upgrade"), None)
    if upgrade is None:
        return []
    found: list[tuple[int, str]] = []
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in DESTRUCTIVE_CALLS:
                found.append((node.lineno, name))
            elif name == "alter_column" and any(k.arg == "new_column_name" for k in node.keywords):
                found.append((node.lineno, "alter_column(new_column_name=…)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and (match := RAW_SQL.search(node.value)):
            found.append((node.lineno, f"SQL {match.group(0).upper()}"))
    return found


def check(versions: Path = VERSIONS) -> list[Finding]:
    files = sorted(versions.glob("*.py"))
    revisions = {}
    trees = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        trees[path] = tree
        revisions[_module_string(tree, "revision")] = path
    findings: list[Finding] = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        steps = destructive_steps(source)
        if not steps:
            continue
        expand = _module_string(trees[path], "contract_of")
        own = _module_string(trees[path], "revision")
        if expand is not None and expand in revisions and expand != own:
            continue
        for line, what in steps:
            detail = what if expand is None else f"{what} (contract_of={expand!r} names no earlier migration)"
            findings.append(Finding(path.name, line, detail))
    return findings


if __name__ == "__main__":
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} unsafe migration step(s)" if problems else "migrations are expand/contract-safe")
    sys.exit(1 if problems else 0)
