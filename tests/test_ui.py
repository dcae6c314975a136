"""HTML rendering (rag.ui): escaping, marks, links, refusals."""

from rag.answer import Answer
from rag.citations import Citation, Claim
from rag.corpus import parse_article
from rag.evidence import Evidence
from rag.lookup import Match
from rag.ui import (
    MARK_ID,
    answer_html,
    article_view_html,
    articles_list_html,
    date_choices,
    esc,
    lookup_html,
    passage_html,
    source_cards,
    streaming_html,
    user_html,
)

EVIL = parse_article("evil.txt", b" date 2025-02 Rutte zei <script>alert(1)</script> iets.\n\n"
                     b"<img src=x onerror=alert(2)> Tweede alinea over 5 procent. Nog een zin.")
SCRIPT = "Rutte zei <script>alert(1)</script> iets."
SECOND = EVIL.text.index("Tweede")


def evidence():
    return [Evidence(1, EVIL, 0, len(SCRIPT), 1.0, 0.9, 0.5),
            Evidence(2, EVIL, SECOND, SECOND + len("Tweede alinea over 5 procent."), 0.9, 0.8, 0.4)]


def answer(claims, citations, refused=False, reason=None, text="", language="en"):
    timings = {"retrieve_ms": 42.0, "first_token_ms": 1500.0, "total_ms": 4200.0}
    return Answer("q", language, text, refused, reason, citations, claims, evidence(), [], timings=timings)


def no_live_html(html: str) -> None:
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_escape_keeps_line_breaks():
    assert esc("a <b>\nc") == "a &lt;b&gt;<br>c"
    assert user_html('<img src=x onerror="x()">') == "&lt;img src=x onerror=&quot;x()&quot;&gt;"
    assert "<script" not in streaming_html("<script>alert(1)</script>")


def test_article_view_marks_the_span_and_escapes_the_text():
    html = article_view_html(EVIL, 0, len(SCRIPT))
    no_live_html(html)
    assert f'<mark id="{MARK_ID}">Rutte zei &lt;script&gt;alert(1)&lt;/script&gt; iets.</mark>' in html
    assert "<mark" not in article_view_html(EVIL)
    assert "<mark" not in article_view_html(EVIL, 5, 10_000)  # a span outside the text is not marked


def test_passage_is_the_paragraph_around_the_span():
    html = passage_html(EVIL, SECOND, SECOND + 6)
    assert "<mark>Tweede</mark> alinea over 5 procent. Nog een zin." in html
    assert "Rutte" not in html  # the other paragraph
    assert "&lt;img src=x onerror=alert(2)&gt; <mark>" in html
    assert '<span class="evidence-span">Tweede</span>' in passage_html(EVIL, SECOND, SECOND + 6, mark=False)


def test_source_cards_mark_only_verified_citations_and_link_to_the_article():
    ev = evidence()
    plain = source_cards(ev, title="Evidence <now>")
    no_live_html(plain)
    assert "Evidence &lt;now&gt;" in plain and "<mark>" not in plain
    assert 'id="src-1"' in plain and 'id="src-2"' in plain
    assert f'href="#article/evil/0/{len(SCRIPT)}"' in plain and "2025-02" in plain
    cited = source_cards(ev, [Citation(2, 0, ev[1], True, 0.9), Citation(1, 1, ev[0], False, 0.5, reason="x")])
    assert cited.count("<mark>") == 1 and "<mark>Tweede alinea over 5 procent.</mark>" in cited
    assert "cited ✓" in cited and "cited, not verified" in cited
    assert "No passages" in source_cards([])


def test_a_sentence_given_twice_gets_one_card_under_both_numbers():
    from dataclasses import replace

    first = evidence()[1]
    twice = source_cards([first, replace(first, n=3)], [Citation(3, 0, replace(first, n=3), True, 0.9)])
    assert twice.count('class="src-card') == 1
    assert 'id="src-2"' in twice and 'id="src-3"' in twice and twice.count("<mark>") == 1


def test_answer_links_citations_and_flags_unsupported_sentences():
    ev = evidence()
    claims = [Claim("Rutte said 5 percent.", [2], supported=True), Claim("<b>Made up</b>.", [], supported=False)]
    html = answer_html(answer(claims, [Citation(2, 0, ev[1], True, 0.9)]))
    assert 'Rutte said 5 percent. <a class="cite" href="#src-2">[2]</a>' in html
    assert '<span class="unverified"' in html and "⚠ &lt;b&gt;Made up&lt;/b&gt;." in html and "<b>" not in html
    assert "not supported by the sources" in html
    assert "evidence 42 ms · first token 1.5 s · total 4.2 s" in html


def test_a_bare_yes_is_shown_plain_beside_its_checked_sentence():
    ev = evidence()
    claims = [Claim("Ja.", [2], checkable=False), Claim("Rutte said 5 percent.", [2], supported=True)]
    html = answer_html(answer(claims, [Citation(2, 1, ev[1], True, 0.9)]))
    assert '<div class="answer">Ja. Rutte said 5 percent. <a class="cite" href="#src-2">[2]</a></div>' in html
    assert "⚠" not in html and "legend" not in html


def test_refusal_shows_the_closest_articles():
    html = answer_html(answer([], [], refused=True, reason="no_relevant_evidence", language="nl",
                              text="De artikelen geven geen antwoord op deze vraag."))
    assert '<div class="refusal">De artikelen geven geen antwoord op deze vraag.</div>' in html
    assert "Dichtstbijzijnde artikelen" in html and 'href="#article/evil/0/' in html
    no_live_html(html)


def test_lookup_and_article_list_escape():
    assert "&lt;script&gt;" in lookup_html("<script>x</script>", [])
    html = lookup_html("q", [Match(EVIL, 0, len(SCRIPT), "exact", 1.0)])
    no_live_html(html)
    assert "exact match" in html and "<mark>Rutte zei &lt;script&gt;" in html
    listing = articles_list_html([EVIL])
    assert "2025-02" in listing and 'href="#article/evil"' in listing and "<script" not in listing


def test_date_choices():
    assert date_choices([EVIL, parse_article("b.txt", b" date 2024-12 Tekst.")]) == \
        ["2025-02", "2025", "2024-12", "2024"]
