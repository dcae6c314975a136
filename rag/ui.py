"""HTML for the app: source cards, the checked answer, lookup results, articles.

Pure functions of pipeline objects (no Gradio here), so they are unit-tested.
Every piece of article, model or user text goes through `esc` (html.escape)
before it enters markup: a `<script>` in a source, an answer or a question is
shown as text, never run.

Links that open an article point at `#article/<id>/<start>/<end>`; the app's
JavaScript (LINKS_JS) turns a click on one into a `select` event that shows
the article in the Articles tab, scrolled to its `<mark>`.
Citation links `[n]` in an answer point at the source card `#src-n`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from rag.corpus import Article
from rag.mentions import paragraph_around

MARK_ID = "article-mark"  # the highlighted span in the article view
CONTEXT_CHARS = 360  # passage shown around an evidence sentence, each side at most

SOURCES_PLACEHOLDER = ('<div class="src-head">Sources</div><div class="src-note">The passages behind '
                       "the answer appear here as soon as they are found.</div>")
LABELS = {
    "en": {"unverified": "not supported by the sources", "closest": "Closest articles",
           "legend": "⚠ = sentence not supported by the sources; it is shown, but not trusted"},
    "nl": {"unverified": "niet gesteund door de bronnen", "closest": "Dichtstbijzijnde artikelen",
           "legend": "⚠ = zin niet gesteund door de bronnen; getoond, maar niet betrouwbaar"},
}

CSS = """
#sources { min-height: 200px; }
.src-head { margin: 0 0 6px 0; font-weight: 600; }
.src-note { font-size: 0.85em; color: #57606a; margin-bottom: 6px; }
.src-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0;
            scroll-margin-top: 60px; transition: box-shadow 0.3s; }
.src-card.cited { border-color: #1a7f37; border-width: 2px; }
.src-card.flash { box-shadow: 0 0 0 3px #f0b400; }
.src-card .meta, .match .meta { font-size: 0.85em; color: #57606a; }
.src-card .badge { font-size: 0.75em; border-radius: 4px; padding: 0 4px; margin-left: 4px; }
.src-card .badge.ok { background: #dafbe1; color: #1a7f37; }
.src-card .badge.no { background: #fff8c5; color: #9a6700; }
.passage { font-size: 0.92em; margin: 4px 0; line-height: 1.45; }
.passage .evidence-span { text-decoration: underline dotted #57606a; }
.article-text { white-space: pre-wrap; font-size: 0.95em; line-height: 1.5; max-height: 62vh; overflow-y: auto;
                border: 1px solid #eaeef2; border-radius: 6px; padding: 8px 10px; }
mark { background: #fff3a3; padding: 0 1px; }
mark#article-mark { background: #ffe066; outline: 2px solid #f0b400; }
.unverified { color: #9a6700; }
.refusal { color: #cf222e; font-weight: 600; }
.refusal-why, .legend { font-size: 0.85em; color: #57606a; }
.timings { font-size: 0.8em; color: #57606a; margin-top: 6px; }
.streaming .cursor { opacity: 0.6; }
.article-row { padding: 4px 0; border-bottom: 1px solid #eaeef2; }

"""

# js_on_load of an HTML panel with article links: a click on a[href^="#article/"] in it
# becomes the panel's `select` event (value = article id, index = [start, end] or null)
LINKS_JS = """
const openArticle = (a) => {
  const [id, start, end] = a.getAttribute('href').slice('#article/'.length).split('/');
  trigger('select', {value: decodeURIComponent(id),
                     index: start === undefined ? null : [Number(start), Number(end)]});
};
element.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="#article/"]');
  if (!link || !element.contains(link)) return;
  event.preventDefault();
  openArticle(link);
});
"""

# the sources panel also serves the links in the chat: a citation [n] scrolls to its source
# card and flashes it; an article link in an answer (a refusal's closest articles) opens it
SOURCES_JS = LINKS_JS + """
window.__ragOpenArticle = openArticle;
if (!window.__ragChatLinks) {
  window.__ragChatLinks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('#chat a[href^="#src-"], #chat a[href^="#article/"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const href = link.getAttribute('href');
    if (href.startsWith('#article/')) { window.__ragOpenArticle(link); return; }
    const card = document.getElementById(href.slice(1));
    if (!card) return;
    card.scrollIntoView({block: 'center'});
    card.classList.add('flash');
    setTimeout(() => card.classList.remove('flash'), 1500);
  }, true);
}
"""

# js_on_load of the article view: keep the marked span in sight whenever the article changes
SCROLL_TO_MARK_JS = """
const show = () => {
  const mark = element.querySelector('mark');
  if (mark && mark.offsetParent !== null) mark.scrollIntoView({block: 'center'});
};
const later = () => { setTimeout(show, 60); setTimeout(show, 400); };
watch('value', later);
later();
"""


def esc(text: str | None) -> str:
    """Text as HTML: escaped, line breaks kept."""
    return escape(text or "").replace("\r\n", "\n").replace("\n", "<br>")


def labels(language: str | None) -> dict[str, str]:
    return LABELS.get(language or "en", LABELS["en"])


def _meta(article: Article) -> str:
    return f"{escape(article.date or 'no date')} · {escape(article.source)}"


def open_link(article: Article, label: str, start: int | None = None, end: int | None = None) -> str:
    """A link that opens the article in the Articles tab, scrolled to [start:end] when given.

    The target travels in the href (`#article/<id>/<start>/<end>`): the chat's sanitizer
    keeps hrefs but drops data-* attributes. `label` is HTML (escape it first).
    """
    target = f"#article/{quote(article.id, safe='')}"
    if start is not None and end is not None:
        target += f"/{int(start)}/{int(end)}"
    return f'<a href="{escape(target)}" class="open-article">{label}</a>'


def _clip(text: str, at_end: bool) -> str:
    """At most CONTEXT_CHARS of context, cut at a word boundary."""
    if len(text) <= CONTEXT_CHARS:
        return text
    if at_end:
        cut = text[:CONTEXT_CHARS]
        return cut[: cut.rfind(" ")] + " …" if " " in cut else cut + " …"
    cut = text[-CONTEXT_CHARS:]
    return "… " + cut[cut.find(" ") + 1:] if " " in cut else "… " + cut


def passage_html(article: Article, start: int, end: int, mark: bool = True) -> str:
    """The paragraph around [start:end], the span marked (or only underlined)."""
    text = article.text
    left = text.rfind("\n\n", 0, start)
    offset = left + 2 if left >= 0 else 0
    paragraph = paragraph_around(text, start, end)
    if not offset <= start <= end <= offset + len(paragraph):  # a span across paragraphs
        paragraph, offset = text[start:end], start
    before = _clip(paragraph[: start - offset], at_end=False)
    after = _clip(paragraph[end - offset:], at_end=True)
    span = escape(article.text[start:end])
    span = f"<mark>{span}</mark>" if mark else f'<span class="evidence-span">{span}</span>'
    return f'<div class="passage">{escape(before)}{span}{escape(after)}</div>'


def source_cards(evidence: list, citations: list | None = None, title: str = "Sources",
                 note: str = "") -> str:
    """One card per evidence sentence: [n], article title, date, the passage around it.

    A sentence that a verified citation points at is wrapped in <mark>; the rest are
    underlined. Every card links to its article, scrolled to the sentence.
    """
    head = f'<div class="src-head">{escape(title)}</div>'
    if note:
        head += f'<div class="src-note">{escape(note)}</div>'
    if not evidence:
        return head + "<p>No passages found.</p>"
    verified = {c.evidence.n for c in citations or [] if c.verified}
    unverified = {c.evidence.n for c in citations or [] if not c.verified} - verified
    # one card per sentence: a sentence that came twice (two overlapping chunks, a repeated
    # quote) shows once, under every number it was given
    numbers: dict[tuple[str, str], list[int]] = {}
    shown = []
    for item in evidence:
        key = (item.article.id, " ".join(item.text.split()))
        if key not in numbers:
            numbers[key] = []
            shown.append((key, item))
        numbers[key].append(item.n)
    cards = [head]
    for key, item in shown:
        article = item.article
        cited = any(n in verified for n in numbers[key])
        badge = ('<span class="badge ok">cited ✓</span>' if cited else
                 '<span class="badge no">cited, not verified</span>'
                 if any(n in unverified for n in numbers[key]) else "")
        also = "".join(f'<b id="src-{n}">[{n}]</b>' for n in numbers[key][1:])
        cards.append(
            f'<div class="src-card{" cited" if cited else ""}" id="src-{item.n}" data-n="{item.n}">'
            f"<div><b>[{item.n}]</b>{also} {open_link(article, escape(article.title), item.start, item.end)}"
            f"{badge}</div>"
            f'<div class="meta">{_meta(article)}</div>'
            f"{passage_html(article, item.start, item.end, mark=cited)}"
            f'<div class="meta">{open_link(article, "open in article →", item.start, item.end)}</div>'
            "</div>")
    return "".join(cards)


def format_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def timings_html(timings: dict) -> str:
    return (f'<div class="timings">evidence {format_ms(timings.get("retrieve_ms"))}'
            f' · first token {format_ms(timings.get("first_token_ms"))}'
            f' · total {format_ms(timings.get("total_ms"))}</div>')


def closest_articles(answer, limit: int = 3) -> list[tuple[Article, int, int]]:
    """The articles closest to a refused question, each with its best sentence."""
    found: dict[str, tuple[Article, int, int]] = {}
    for item in answer.evidence:
        found.setdefault(item.article.id, (item.article, item.start, item.end))
    for passage in answer.passages:
        found.setdefault(passage.article.id, (passage.article, passage.chunk.start, passage.chunk.end))
    return list(found.values())[:limit]


def answer_html(answer) -> str:
    """The final answer. [n] become links to the source cards; an unsupported sentence is flagged;
    a refusal is shown as a refusal with the closest articles; timings underneath."""
    words = labels(answer.language)
    if answer.refused:
        parts = [f'<div class="refusal">{esc(answer.text)}</div>']
        if answer.refusal_detail:
            parts.append(f'<div class="refusal-why">{esc(answer.refusal_detail)}</div>')
        closest = closest_articles(answer)
        if closest:
            links = ", ".join(open_link(a, f"{escape(a.title)} ({escape(a.date or 'no date')})", s, e)
                              for a, s, e in closest)
            parts.append(f'<div class="closest">{escape(words["closest"])}: {links}</div>')
        return "".join(parts) + timings_html(answer.timings)
    sentences, flagged = [], False
    for index, claim in enumerate(answer.claims):
        numbers = list(dict.fromkeys(c.evidence.n for c in answer.citations if c.claim == index and c.verified))
        links = "".join(f'<a class="cite" href="#src-{n}">[{n}]</a>' for n in numbers)
        if claim.supported:
            sentences.append(f"{esc(claim.text)} {links}".rstrip())
        elif not claim.checkable:  # "Ja." before a checked sentence: nothing to flag or cite
            sentences.append(esc(claim.text))
        else:
            flagged = True
            sentences.append(f'<span class="unverified" title="{escape(words["unverified"])}">'
                             f"⚠ {esc(claim.text)}</span>")
    body = f'<div class="answer">{" ".join(sentences)}</div>'
    if flagged:
        body += f'<div class="legend">{escape(words["legend"])}</div>'
    return body + timings_html(answer.timings)


def streaming_html(text: str) -> str:
    """The answer while it is being written (unchecked, plain text)."""
    return f'<div class="streaming">{esc(text)}<span class="cursor">▍</span></div>'


def user_html(question: str) -> str:
    return esc(question)


def error_html(message: str) -> str:
    return f'<div class="refusal">⚠ {esc(message)}</div>'


def lookup_html(text: str, matches: list) -> str:
    """Where a quote comes from: article, date, the passage with the matching span marked.
    Neighbours that do not state the quote (kind "closest") are shown only as such."""
    found = [m for m in matches if m.kind != "closest"]
    closest = [m for m in matches if m.kind == "closest"]
    cards = [] if found else [f'<p class="not-found">Not found in the articles: no passage says “{esc(text)}”.</p>']
    if closest and not found:
        cards.append('<p class="meta">Closest passages (they do not say it):</p>')
    for match in found or closest:
        article = match.article
        label = "closest passage, not a match" if match.kind == "closest" else f"{match.kind} match"
        cards.append(
            f'<div class="src-card match">'
            f"<div>{open_link(article, escape(article.title), match.start, match.end)}</div>"
            f'<div class="meta">{_meta(article)} · {escape(label)}, score {match.score:.2f}'
            f" · characters {match.start}–{match.end}</div>"
            f"{passage_html(article, match.start, match.end)}"
            f'<div class="meta">{open_link(article, "open in article →", match.start, match.end)}</div>'
            "</div>")
    return "".join(cards)


def articles_list_html(articles: list[Article]) -> str:
    """The articles with their dates, each a link to read it."""
    rows = [f'<div class="article-row">{escape(a.date or "no date")} · '
            f"{open_link(a, escape(a.title))} <span class=\"meta\">({escape(a.source)})</span></div>"
            for a in articles]
    return "".join(rows)


def article_view_html(article: Article | None, start: int | None = None, end: int | None = None) -> str:
    """The whole article; [start:end] wrapped in <mark id=MARK_ID> to scroll to."""
    if article is None:
        return "<p>Choose an article above, or open one from a source card.</p>"
    text = article.text
    if start is None or end is None or not 0 <= start <= end <= len(text):
        body = escape(text)
    else:
        body = (escape(text[:start]) + f'<mark id="{MARK_ID}">' + escape(text[start:end]) + "</mark>"
                + escape(text[end:]))
    return (f"<h3>{escape(article.title)}</h3>"
            f'<div class="meta">{_meta(article)}</div>'
            f'<div class="article-text">{body}</div>')


def date_choices(articles: list[Article]) -> list[str]:
    """Years and year-months of the articles, newest first, for the date filter."""
    dates = {a.date for a in articles if a.date}
    return sorted(dates | {d[:4] for d in dates}, reverse=True)
