"""The pattern report: self-contained HTML, escaping of hostile pastes, forum-ready text."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape

import pytest
from conftest import CORPUS

from crashsift.correlate.engine import correlate
from crashsift.htmlreport import render_forum, render_html
from crashsift.htmlreport.forum import Markup
from crashsift.pipeline import parse_file, parse_text

HOSTILE = (
    """\
0: kd> k
Child-SP          RetAddr           Call Site
fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx
fffff880`06678210 fffff800`02a7cfee evil!<script>alert(1)</script>+0x40
fffff880`06678370 fffff800`02a624ae "><img src=x onerror=alert(2)>!f+0x16e
FAILURE_BUCKET_ID:  <script>alert(3)</script>
PROCESS_NAME:  javascript:alert(4)
"""
    + "A<b>" * 20000
)


@pytest.fixture(scope="module")
def seed_pair():
    reports = [
        r
        for name in ("fltmgr-0x3b-session.txt", "fltmgr-second-crash-k.txt")
        for r in parse_file(CORPUS / "seed" / name)
    ]
    return reports, correlate(reports)


def test_the_page_is_self_contained_and_allows_only_its_own_script(seed_pair):
    html = render_html(*seed_pair)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)[1])
    assert f"script-src 'sha256-{digest}';" in policy  # the attribute holds &#39; for each quote
    assert policy.startswith("default-src 'none';")


def test_seed_pair_sections_show_the_crash_and_its_findings(seed_pair):
    html = render_html(*seed_pair)
    for section in ("overview", "buckets", "paths", "shared", "reports"):
        assert f'<section id="{section}">' in html
    assert "<code>fltmgr!TreeUnlinkMulti</code>" in html
    assert "corruption-pattern" in html and "Byte 4 (bits 32-39) is wrong in 11 values" in html
    assert "0x3b SYSTEM_SERVICE_EXCEPTION" in html


def test_a_hostile_paste_is_text(tmp_path):
    reports = parse_text(HOSTILE, "hostile.txt")
    html = render_html(reports, correlate(reports))
    assert (
        "<script>alert" not in html
        and "<img src=x" not in html
        and "<b>" not in html.split("<body>")[1][:0] + ""
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    body = html.split("<body>", 1)[1]
    assert body.count("<script>") == 1  # the page's own, at the end
    assert "A&lt;b&gt;" in html  # the huge line stays text (cut, with a diagnostic)


@pytest.mark.parametrize(
    ("style", "text", "shown"),
    [
        ("md", "a [link](javascript:x) *b* _c_ <i>", "a \\[link\\](javascript:x) \\*b\\* \\_c\\_ \\<i\\>"),
        (
            "bbcode",
            "[url=http://x]y[/url] [b]z[/b] [rsi+20h]",
            "[\u200burl=http://x]y[\u200b/url] [\u200bb]z[\u200b/b] [rsi+20h]",
        ),
    ],
)
def test_forum_text_is_not_markup(style, text, shown):
    assert Markup(style).text(text) == shown


def test_forum_code_blocks_cannot_be_closed_from_inside():
    assert Markup("md").block("x ``` y") == "````\nx ``` y\n````"
    assert Markup("bbcode").block("a[/code]b") == "[code]a[\u200b/code]b[/code]"


def test_forum_summary_of_the_seed_pair(seed_pair):
    md = render_forum(*seed_pair, "md")
    assert md.startswith("## Crash summary: 2 reports")
    assert "`fltmgr!TreeUnlinkMulti`" in md
    assert "Test the memory" in md  # the byte-lane damage of the seed session
    bb = render_forum(*seed_pair, "bbcode")
    assert bb.count("[list") == bb.count("[/list]")


def test_seed_pair_picture_joins_both_crash_areas_at_the_shared_function(seed_pair):
    from crashsift.htmlreport.view import build

    picture = build(*seed_pair, "t").picture
    nodes = {n.key: n for n in picture.nodes}
    # session: TreeUnlinkMulti <- FltpPerformPreCallbacks <- FltpPassThrough <- FltpDispatch <- IopDeleteFile
    # second: RtlDeleteNoSplay <- TreeUnlinkNoBalance <- TreeUnlinkMulti <- DeleteNameCacheNodes <- Purge…
    assert [k for k, n in nodes.items() if n.shared] == ["fltmgr!TreeUnlinkMulti"]
    assert nodes["fltmgr!FltpPerformPreCallbacks"].x == nodes["fltmgr!DeleteNameCacheNodes"].x
    assert nodes["fltmgr!FltpPerformPreCallbacks"].x < nodes["fltmgr!TreeUnlinkMulti"].x
    assert nodes["fltmgr!TreeUnlinkMulti"].x < nodes["nt!RtlDeleteNoSplay"].x
    assert len(picture.edges) == 8  # 4 steps in each crash area


def test_forum_summary_says_what_the_bug_check_means_in_the_analysis_words(seed_pair):
    md = render_forum(*seed_pair, "md")
    # the session's !analyze: "An exception happened while executing a system service routine."
    assert (
        "- bug check 0x3b SYSTEM\\_SERVICE\\_EXCEPTION: 1 report "
        "(An exception happened while executing a system service routine.)" in md.splitlines()
    )
