"""The house rules of the layout, checked on the source so a new module cannot break them:
app/core is the ground floor (it imports no domain), services never import FastAPI, no domain
imports another domain's router, and test modules never import from a conftest."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def domain_of(path: Path) -> str:
    return path.relative_to(APP).parts[0]


def test_core_imports_no_domain():
    offending = {
        f"{path.relative_to(APP)} imports {module}"
        for path in (APP / "core").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith("app.") and not module.startswith("app.core")
    }
    assert not offending, sorted(offending)


@pytest.mark.parametrize("path", sorted(APP.rglob("service.py")), ids=lambda p: str(p.relative_to(APP)))
def test_services_do_not_import_fastapi(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] in ("fastapi", "starlette")}


def test_no_domain_imports_another_domains_router():
    offending = set()
    for path in APP.rglob("*.py"):
        if path.parent == APP:  # app/api.py and app/main.py mount the routers
            continue
        for module in imported_modules(path):
            parts = module.split(".")
            if (len(parts) >= 3 and parts[0] == "app" and parts[-1].endswith("router")
                    and parts[1] != domain_of(path)):
                offending.add(f"{path.relative_to(APP)} imports {module}")
    assert not offending, sorted(offending)


def test_test_modules_never_import_from_a_conftest():
    offending = {
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if any(module.split(".")[-1] == "conftest" or ".conftest." in module
               for module in imported_modules(path))
    }
    assert not offending, sorted(offending)
