"""The pattern report: one self-contained HTML file, and forum-ready Markdown or BBCode.

`render_html` lays out `view.build`'s data with the jinja2 templates in `crashsift/templates/`
(autoescaped: crash text may be hostile). The page carries its CSS and one small script inline
and a Content-Security-Policy that allows exactly that script (by its SHA-256) and nothing from
the network, so text that slips into the page cannot run. `render_forum` writes the summary a
helper posts, from the same data, no model.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

import jinja2

from crashsift.correlate.engine import Correlation
from crashsift.htmlreport import forum
from crashsift.htmlreport.view import build
from crashsift.model import Report

__all__ = ["environment", "page_script", "render_forum", "render_html"]


@cache
def environment(autoescape: bool) -> jinja2.Environment:
    """The templates of `crashsift/templates/` (the report, the forum text, the paste page's),
    one environment per kind of output so each template is compiled once per process."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("crashsift", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = lambda text, n=120: text if len(text) <= n else text[: n - 1] + "…"
    return env


@cache
def page_script() -> tuple[str, str]:
    """The report page's script and its CSP source expression (``'sha256-…'``)."""
    text = resources.files("crashsift").joinpath("templates", "report.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"'sha256-{digest}'"


def render_html(reports: list[Report], correlation: Correlation, title: str = "crashsift report") -> str:
    view = build(reports, correlation, title)
    script, script_hash = page_script()
    template = environment(autoescape=True).get_template("report.html.j2")
    return template.render(view=view, script=script, script_hash=script_hash)


def render_forum(reports: list[Report], correlation: Correlation, style: str) -> str:
    """`style` is ``md`` or ``bbcode``."""
    view = build(reports, correlation, "crashsift summary")
    template = environment(autoescape=False).get_template(f"forum.{style}.j2")
    return template.render(view=view, advice=forum.advice(view), m=forum.Markup(style))
