"""HTML rendering: escaping, marks, links."""

from rag.answer import Answer
from rag.citations import Citation, Claim
from rag.corpus import parse_article
from rag.prompting import Evidence
from rag.ui import answer_html, article_html, lookup_html, source_cards

EVIL = parse_article("evil.txt", b"Rutte zei <script>alert(1)</script> iets. <img src=x onerror=alert(2)> [link](http://x).")


def evidence():
    return [Evidence(1, EVIL, 0, len(EVIL.text), 1.0, 0.9, 0.5)]


def test_article_text_is_escaped_and_marked():
    html = article_html(EVIL, 0, 9, "a1")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert '<mark id="a1">Rutte zei</mark>' in html


def test_source_cards_mark_only_verified_citations():
    ev = evidence()
    plain = source_cards(ev)
    cited = source_cards(ev, [Citation(1, 0, ev[0], True, 0.9)])
    assert 'id="src-1"' in plain and "<script>" not in cited
    assert "<details open>" in cited and "<details>" in plain


def test_answer_links_and_flags():
    ev = evidence()
    claims = [Claim("Rutte said something.", [1], supported=True), Claim("<b>Made up</b>.", [], supported=False)]
    answer = Answer("q", "en", "", False, None, [Citation(1, 0, ev[0], True, 0.9)], claims, ev, [])
    html = answer_html(answer)
    assert '<a href="#src-1">[1]</a>' in html
    assert "⚠ &lt;b&gt;Made up&lt;/b&gt;." in html and "<b>" not in html


def test_lookup_escapes_the_query():
    assert "&lt;script&gt;" in lookup_html("<script>x</script>", [])
