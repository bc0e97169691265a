"""The package's layers and what each may import (docs: README "Layout"): `spec` is the
bottom layer; `checker.verify` and `checker.trace` depend on `spec` only (and not on each
other); the exporters (`export`, `lean_export`) read the spec only; only `checker` imports
z3; the CLI reaches the library through `wfcheck.api` alone. Read from the source with
`ast`, so an import hidden in a function counts too."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"spec": "wfcheck.spec", "checker": "wfcheck.checker", "export": "wfcheck.export",
           "lean_export": "wfcheck.lean_export", "gate": "wfcheck.gate", "report": "wfcheck.report",
           "lsp": "wfcheck.lsp", "wfcheck": "wfcheck"}

# module prefix -> the wfcheck prefixes it may import (besides itself)
ALLOWED = {
    "wfcheck.spec": ("wfcheck.spec",),
    "wfcheck.checker": ("wfcheck.spec",),
    "wfcheck.checker.verify": ("wfcheck.spec", "wfcheck.export.promela"),
    "wfcheck.checker.trace": ("wfcheck.spec",),
    "wfcheck.checker.corpus": ("wfcheck.spec", "wfcheck.checker.trace"),
    "wfcheck.checker.mine": ("wfcheck.spec", "wfcheck.checker.trace"),
    "wfcheck.checker.diff": ("wfcheck.spec", "wfcheck.checker.verify"),
    "wfcheck.checker.repair": ("wfcheck.spec", "wfcheck.checker.verify", "wfcheck.checker.diff"),
    "wfcheck.export": ("wfcheck.spec",),
    "wfcheck.lean_export": ("wfcheck.spec",),
    "wfcheck.gate": ("wfcheck.spec", "wfcheck.checker.trace"),
    "wfcheck.report": ("wfcheck.spec", "wfcheck.checker", "wfcheck.export"),
    "wfcheck.lsp": ("wfcheck.spec", "wfcheck.checker.verify"),
    "wfcheck.api": ("wfcheck.spec", "wfcheck.checker", "wfcheck.export", "wfcheck.lean_export", "wfcheck.gate",
                    "wfcheck.report", "wfcheck.lsp"),
    "wfcheck.cli": ("wfcheck.api",),
}


def _modules():
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join((package,) + parts), path


MODULES = dict(_modules())
MODULE_NAMES = set(MODULES)


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = {f"{module}.{alias.name}" for alias in node.names} & MODULE_NAMES
            found.update(submodules or {module})
    return found




def _rule(name: str) -> tuple[str, ...] | None:
    for prefix in sorted(ALLOWED, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return ALLOWED[prefix] + (prefix,)
    return None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _rule(n) is not None))
def test_imports_follow_the_layers(name):
    allowed = _rule(name)
    wanted = {i for i in _imports(name, MODULES[name]) if i == "wfcheck" or i.startswith("wfcheck.")}
    # `from wfcheck.spec import model` names the module wfcheck.spec.model, which is fine.
    bad = sorted(i for i in wanted if i in MODULES and not any(i == a or i.startswith(a + ".") for a in allowed))
    assert not bad, f"{name} imports {bad}; it may import only {allowed}"


def test_only_the_checker_imports_z3():
    users = sorted(n for n, p in MODULES.items() if any(i == "z3" or i.startswith("z3.") for i in _imports(n, p)))
    assert users and all(n.startswith(("wfcheck.checker.verify", "wfcheck.checker.diff.smt")) for n in users), users


def test_every_module_has_a_rule():
    """A new top-level module or folder gets a place in the layers before it lands."""
    assert [n for n in MODULES if _rule(n) is None and n not in ("wfcheck", "wfcheck.__main__")] == []
