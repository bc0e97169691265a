"""The package layout, which pyproject.toml cannot compute: the folders `spec/`, `checker/`,
`export/`, `lean_export/`, `gate/`, `report/` and `lsp/` at the top of the repository are installed as subpackages of
`wfcheck` (never as top-level `spec` or `checker`), each with every subpackage found under
it, so that a new subfolder cannot be left out of a wheel. Everything else is in
pyproject.toml."""
from setuptools import find_packages, setup

FOLDERS = ("spec", "checker", "export", "lean_export", "gate", "report", "lsp")

packages = ["wfcheck"]
for folder in FOLDERS:
    packages.append(f"wfcheck.{folder}")
    packages += [f"wfcheck.{folder}.{name}" for name in find_packages(where=folder)]

setup(packages=packages, package_dir={"wfcheck": "wfcheck", **{f"wfcheck.{f}": f for f in FOLDERS}})
