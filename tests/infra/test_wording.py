"""Counted nouns go through one helper (app/services/wording.py, the `ngettext` template
global): no template chooses a plural on its own, so a translation can take over."""

from __future__ import annotations

import re
from pathlib import Path

from flask import render_template_string

from app.services.wording import ngettext

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
# `"s" if n != 1`, `'' if n == 1 else 's'`, `"like" if n == 1 else "likes"`: a plural picked by hand.
HAND_MADE = re.compile(r"""(["'](s|ies|y)?["']\s+if\s+[^}]*(==|!=)\s*1\b)|(else\s+["'](s|ies)["'])|((==|!=)\s*1\s+else\b)""")


def test_ngettext_picks_the_form_and_fills_in_the_number():
    assert ngettext("%(num)d page", "%(num)d pages", 1) == "1 page"
    assert ngettext("%(num)d page", "%(num)d pages", 0) == "0 pages"
    assert ngettext("The first page is free.", "The first %(num)d pages are free.", 1) == "The first page is free."
    assert ngettext("The first page is free.", "The first %(num)d pages are free.", 3) == "The first 3 pages are free."
    assert ngettext("Chapter %(number)s has a page.", "Chapter %(number)s has %(num)d pages.", 2,
                    number=4) == "Chapter 4 has 2 pages."


def test_templates_use_the_helper_and_escape_what_it_returns(app):
    with app.test_request_context("/"):
        html = render_template_string('{{ ngettext("%(num)d reply to %(who)s", "%(num)d replies to %(who)s", n, '
                                      'who=name) }}', n=2, name="<b>Bo</b>")
    assert html == "2 replies to &lt;b&gt;Bo&lt;/b&gt;"


def test_no_template_makes_a_plural_by_hand():
    found = [f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
             for path in sorted(TEMPLATES.rglob("*.*"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if HAND_MADE.search(line)]
    assert found == []
