"""No XSS payload survives into stored or rendered writing HTML."""

import html
from html.parser import HTMLParser

import pytest

from app.documents.items import ItemContent
from app.extensions import db
from app.services.items.sanitize import ALLOWED_TAGS, prepare_writing
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.items_helpers import new_item

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<p onclick=alert(1)>click</p>",
    "<body onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<svg onload=alert(1)><circle r=10></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<div style=\"width: expression(alert(1))\">css</div>",
    "<p style=\"background:url(javascript:alert(1))\">css</p>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">ok</a>",
    "<template><img src=x onerror=alert(1)></template>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<p>ok</p><base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "[md link](javascript:alert(1))",
    "![md image](x \"onerror=alert(1)\")",
    "<a href=\"/relative\" target=\"_blank\">rel</a>",
]

FORBIDDEN_TEXT = ("javascript:", "vbscript:", "data:text", "expression(")


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if any(t in html.unescape(value or "").lower() for t in FORBIDDEN_TEXT):
                self.problems.append(f"attr value {value}")
            if name.startswith("on") or name in ("style", "src", "srcset", "formaction", "action"):
                self.problems.append(f"attr {name}")
            if name == "href" and value:
                plain = html.unescape(value).strip().lower().replace("\t", "").replace("\n", "")
                if ":" in plain.split("/")[0] and not plain.startswith(("http:", "https:", "mailto:")):
                    self.problems.append(f"href {value}")
        if tag == "a" and dict(attrs).get("href") and "nofollow" not in (dict(attrs).get("rel") or ""):
            self.problems.append("link without rel=nofollow")


def problems_in(markup: str) -> list[str]:
    checker = Checker()
    checker.feed(markup)
    checker.close()
    return checker.problems


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_payload_does_not_survive_sanitizing(payload, fmt):
    body, preview, marked = prepare_writing(f"<p>before</p>\n\n{payload}\n\n---paywall---\n\n{payload}", fmt)
    assert problems_in(body) == [], body
    assert problems_in(preview) == [], preview
    assert problems_in(marked) == [], marked  # kept for the editor, which pastes it


def test_tags_only_in_text_are_harmless():
    body, _, _ = prepare_writing("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "html")
    assert "<img" not in body


def prose_of(page: str) -> str:
    """The writing's text on a page ("" on an item page showing no free part)."""
    if '<div class="prose">' not in page:
        return ""
    start = page.index('<div class="prose">') + len('<div class="prose">')
    return page[start:page.index("</div>\n", start)]


def test_stored_and_rendered_html_is_clean(app, client):
    creator = UserFactory()
    corpus = "\n\n".join(PAYLOADS)
    with app.test_request_context("/"):
        item = new_item(creator, body=corpus + "\n\n---paywall---\n\n" + corpus, body_format="html")
        item2 = new_item(creator, body=corpus + "\n\n---paywall---\n\n" + corpus, body_format="markdown",
                         pricing="one_time", price_cents=100)
    db.session.commit()
    for it in (item, item2):
        doc = ItemContent.objects.get(item_id=it.id)
        assert problems_in(doc.body_html) == [] and problems_in(doc.preview_html) == []
    sign_in(client, creator)
    for it in (item, item2):
        for path in (f"/items/{it.id}", f"/items/{it.id}/read"):  # the free part, and the whole text
            page = client.get(path).get_data(as_text=True)
            assert problems_in(prose_of(page)) == []
    anon = client.application.test_client()
    for path in (f"/items/{item2.id}", f"/items/{item2.id}/read"):
        assert problems_in(prose_of(anon.get(path).get_data(as_text=True))) == []


def test_the_checker_itself_catches_payloads():
    assert problems_in("<img src=x onerror=alert(1)>")
    assert problems_in('<a href="java&#x09;script:alert(1)" rel="nofollow">x</a>')
    assert problems_in("<svg onload=alert(1)>")
    assert problems_in('<p style="width: expression(alert(1))">x</p>')


def test_the_editor_gets_the_marker_back_and_no_empty_paragraphs():
    """Issue 21, points 4 and 13: the marked text reopens in the editor; blank lines of the
    editor (empty paragraphs) do not survive as gaps."""
    source = "<p>Free</p><p><br></p><p><br></p><p>---paywall---</p><p></p><p>Paid</p>"
    body, preview, marked = prepare_writing(source, "html")
    assert body == "<p>Free</p><p>Paid</p>" and preview == "<p>Free</p>"
    assert marked == "<p>Free</p><p>---paywall---</p><p>Paid</p>"
    assert prepare_writing("One\n\n---paywall---\n\nTwo", "markdown")[2] == "<p>One</p>\n<p>---paywall---</p>\n<p>Two</p>"


def test_a_writing_saved_before_its_source_was_kept_gets_its_marker_back():
    from app.documents.items import ItemContent
    from app.services.items.content import editable_writing

    legacy = ItemContent(item_id=1, kind="writing", body_html="<p>Free</p><p>Paid</p>", preview_html="<p>Free</p>")
    assert editable_writing(legacy).text == "<p>Free</p><p>---paywall---</p><p>Paid</p>"
    assert editable_writing(legacy).body_format == "html"
    whole = ItemContent(item_id=2, kind="writing", body_html="<p>All free</p>", preview_html="")
    assert editable_writing(whole).text == "<p>All free</p>"
