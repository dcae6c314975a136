"""HTML for the app: source cards, the checked answer, articles, lookup results.

Pure functions of pipeline objects. Every piece of article or user text goes
through `html.escape` before it enters markup, so a `<script>` in a source or
a question is shown as text.
"""

from __future__ import annotations

from html import escape

from rag.corpus import Article

CSS = """
.src-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.src-card:target { outline: 3px solid #f0b400; }
.src-card .meta { font-size: 0.85em; color: #57606a; }
.src-card.cited { border-color: #1a7f37; }
.src-card details { margin-top: 6px; }
.article-text { white-space: pre-wrap; max-height: 380px; overflow-y: auto; font-size: 0.92em; }
mark { background: #fff3a3; padding: 0 1px; }
.unverified { color: #9a6700; }
.refusal { color: #cf222e; font-weight: 600; }
.timings { font-size: 0.8em; color: #57606a; }
"""


def article_html(article: Article, start: int | None = None, end: int | None = None,
                 anchor: str | None = None) -> str:
    """The whole article, with [start:end] marked (and given an id to scroll to)."""
    text = article.text
    if start is None or end is None:
        body = escape(text)
    else:
        mark_id = f' id="{escape(anchor)}"' if anchor else ""
        body = (escape(text[:start]) + f"<mark{mark_id}>" + escape(text[start:end]) + "</mark>"
                + escape(text[end:]))
    return f'<div class="article-text">{body}</div>'


def excerpt_html(article: Article, start: int, end: int, anchor: str | None = None) -> str:
    """The paragraphs around [start:end] (one before, one after), the span marked: the part of
    the article a reader needs to check a citation, without scrolling."""
    text = article.text
    left = text.rfind("\n\n", 0, max(text.rfind("\n\n", 0, start), 0))
    left = 0 if left < 0 else left + 2
    right = text.find("\n\n", text.find("\n\n", end) + 2) if text.find("\n\n", end) >= 0 else -1
    right = len(text) if right < 0 else right
    mark_id = f' id="{escape(anchor)}"' if anchor else ""
    body = (("… " if left else "") + escape(text[left:start]) + f"<mark{mark_id}>" + escape(text[start:end])
            + "</mark>" + escape(text[end:right]) + (" …" if right < len(text) else ""))
    return f'<div class="article-text">{body}</div>'


def _meta(article: Article) -> str:
    return (f'<span class="meta">{escape(article.source)} · {escape(article.date or "no date")} · '
            f"{escape(article.title)}</span>")


def source_cards(evidence: list, citations: list | None = None, title: str = "Sources") -> str:
    """One card per evidence sentence; a verified cited sentence is marked, with its article."""
    if not evidence:
        return f"<h4>{escape(title)}</h4><p>No passages.</p>"
    verified = {c.n for c in citations or [] if c.verified}
    cards = [f"<h4>{escape(title)}</h4>"]
    for item in evidence:
        cited = item.n in verified
        sentence = f"<mark>{escape(item.text)}</mark>" if cited else escape(item.text)
        anchor = f"span-{item.n}"
        cards.append(
            f'<div class="src-card{" cited" if cited else ""}" id="src-{item.n}">'
            f"<b>[{item.n}]</b> {_meta(item.article)}<div>{sentence}</div>"
            f'<details{" open" if cited else ""}><summary>article</summary>'
            f"{excerpt_html(item.article, item.start, item.end, anchor)}</details></div>")
    return "".join(cards)


def answer_html(answer) -> str:
    """The final answer: [n] become links to the source cards; unsupported sentences are flagged."""
    if answer.refused:
        detail = f" ({escape(answer.refusal_detail)})" if answer.refusal_detail else ""
        return f'<span class="refusal">{escape(answer.text)}</span>{detail}'
    parts = []
    for index, claim in enumerate(answer.claims):
        numbers = list(dict.fromkeys(c.n for c in answer.citations if c.claim == index and c.verified))
        links = "".join(f'<a href="#src-{n}">[{n}]</a>' for n in numbers)
        text = escape(claim.text)
        if claim.supported:
            parts.append(f"{text} {links}")
        else:
            parts.append(f'<span class="unverified" title="not supported by the sources">⚠ {text}</span>')
    return " ".join(parts)


def timings_html(timings: dict, evidence_ms: float | None = None) -> str:
    def seconds(ms):
        return "–" if ms is None else f"{ms / 1000:.1f} s"

    return (f'<div class="timings">evidence {seconds(evidence_ms if evidence_ms is not None else timings.get("retrieve_ms"))}'
            f' · first token {seconds(timings.get("first_token_ms"))} · total {seconds(timings.get("total_ms"))}'
            f' · {timings.get("prompt_tokens", 0)} prompt tokens</div>')


def lookup_html(text: str, matches: list) -> str:
    if not matches:
        return f"<p>No source found for “{escape(text)}”.</p>"
    cards = []
    for match in matches:
        cards.append(f'<div class="src-card">{_meta(match.article)} · {escape(match.kind)} '
                     f"{match.score:.2f}{excerpt_html(match.article, match.start, match.end, 'lookup-span')}</div>")
    return "".join(cards)


def articles_html(articles: list[Article]) -> str:
    return "".join(f'<div class="src-card" id="article-{escape(a.id)}">{_meta(a)}'
                   f"<details><summary>read</summary>{article_html(a)}</details></div>" for a in articles)
