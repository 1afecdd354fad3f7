"""Forum-ready summaries: what to try next, from `data/advice.tsv`, and code blocks that keep
pasted text from being read as markup."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from crashsift.htmlreport.view import View

MAX_ADVICE = 6


@cache
def _table() -> dict[str, str]:
    text = resources.files("crashsift").joinpath("data", "advice.tsv").read_text("utf-8")
    rows = (line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: advice for key, advice in rows}


def advice(view: View) -> list[str]:
    """Advice lines in order of weight: findings first, then drivers, then bug checks."""
    table = _table()
    out: list[str] = []
    for kind, _ in view.overview.findings:
        if text := table.get(f"finding:{kind}"):
            out.append(text)
    for driver, _ in view.overview.drivers[:2]:
        out.append(table["driver"].replace("{driver}", driver))
    for name, _ in view.overview.bugchecks:
        if text := table.get(f"bugcheck:{name.split()[0]}"):
            out.append(text)
    return list(dict.fromkeys(out))[:MAX_ADVICE]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_BB_TAG = re.compile(
    r"\[(/?)(url|img|quote|code|b|i|u|s|color|size|list|\*|spoiler|email|youtube|video|flash)\b", re.I
)
_ZWSP = "\u200b"


class Markup:
    """How pasted text goes into a forum post without being read as markup: `block` and
    `inline` show it as code, `text` as plain words (Markdown punctuation escaped; BBCode tags
    defused with a zero-width space after the bracket)."""

    def __init__(self, style: str) -> None:
        if style not in ("md", "bbcode"):
            raise ValueError(f"unknown forum style {style!r}")
        self.style = style

    def block(self, text: str) -> str:
        if self.style == "bbcode":
            return "[code]" + _BB_TAG.sub(f"[{_ZWSP}\\1\\2", text) + "[/code]"
        fence = "```"
        while fence in text:
            fence += "`"
        return f"{fence}\n{text}\n{fence}"

    def inline(self, text: str) -> str:
        if self.style == "bbcode":
            return self.text(text)
        text = text.replace("\n", " ")
        ticks = "`"
        while ticks in text:
            ticks += "`"
        return (
            f"{ticks} {text} {ticks}"
            if text.startswith("`") or text.endswith("`")
            else f"{ticks}{text}{ticks}"
        )

    def text(self, text: str) -> str:
        if self.style == "bbcode":
            return _BB_TAG.sub(f"[{_ZWSP}\\1\\2", text)
        return _MD_SPECIAL.sub(r"\\\1", text)
