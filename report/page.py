"""One self-contained HTML page: the template, the stylesheet and the script (package data
in assets/) put inline, so the report opens from disk with no network."""
from __future__ import annotations

from html import escape
from importlib import resources

from wfcheck.spec.version import __version__


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def page(title: str, body: str) -> str:
    # the script goes in as a data-less <script>: "</" cannot occur in it (checked in tests)
    return (_asset("page.html")
            .replace("{{title}}", escape(title))
            .replace("{{version}}", escape(__version__))
            .replace("{{css}}", _asset("report.css"))
            .replace("{{js}}", _asset("report.js"))
            .replace("{{body}}", body))


def source_link(file_id: str, line: int, label: str | None = None) -> str:
    """A link to a line of the source pane (the script scrolls to it and marks it)."""
    return f'<a class="src-link" href="#{file_id}-L{line}" data-line="{line}">{escape(label or f"line {line}")}</a>'


def status_badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def config_text(config: dict) -> tuple[str, str]:
    """(variables, context labels) of one configuration, as text."""
    variables, labels = [], {}
    for key, value in config.items():
        if key == "state":
            continue
        if key.startswith(("conf.", "integ.")):
            dim, agent = key.split(".", 1)
            labels.setdefault(agent, []).append(str(value))
        elif "." not in key:
            variables.append(f"{key}={str(value).lower() if isinstance(value, bool) else value}")
    return " ".join(variables), " ".join(f"{a}: {'/'.join(v)}" for a, v in labels.items())
