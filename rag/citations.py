"""An answer's sentences (claims) and their [n] citation markers: parsed from what the model
wrote, rendered back with the checked citations (rag.verification decides which hold)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.evidence import Evidence
from rag.text import SENTENCE_END

CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without its [n] markers
    cited: tuple[int, ...]  # the numbers the model wrote
    supported: bool = False  # set by rag.verification (a checked copy)
    invalid: tuple[int, ...] = ()  # numbers that were not given
    checkable: bool = True  # False: "Yes.", "The answer is": nothing of its own a source could support


@dataclass(frozen=True)
class Citation:
    n: int
    claim: int  # index of the claim it supports
    evidence: Evidence
    verified: bool
    similarity: float
    repaired: bool = False  # the model cited another number; this sentence supports the claim
    added: bool = False  # the model cited nothing; this sentence supports the claim
    reason: str = ""  # why it is not verified

    def as_json(self) -> dict:
        e = self.evidence
        return {"n": self.n, "article": e.article.source, "date": e.article.date, "start": e.start,
                "end": e.end, "quote": e.text, "verified": self.verified, "claim": self.claim,
                "similarity": round(self.similarity, 4), "repaired": self.repaired, "added": self.added,
                "reason": self.reason}


def _numbers(markers: str) -> list[int]:
    return [int(n) for group in CITATION.findall(markers) for n in re.split(r"\s*[,;]\s*", group)]


def split_claims(answer: str) -> list[Claim]:
    """Answer sentences with the citation numbers written after (or inside) them.

    A sentence ends at . ! ? (a marker may follow: "defence. [2] Next") or at a marker
    followed by a capital ("defence [2] Next"); "spend 5% [3] of their GDP" stays one claim.
    """
    pieces = re.split(rf"{SENTENCE_END.pattern}|(?<=\])\s+(?=[A-ZÀ-ÖØ-Þ„“\"'])", answer.strip())
    claims: list[Claim] = []
    for piece in pieces:
        leading = re.match(r"^(?:\s*\[[\d,;\s]+\])+", piece)
        if leading and claims:  # markers right after the previous sentence's end belong to it
            claims[-1] = replace(claims[-1], cited=tuple(dict.fromkeys(claims[-1].cited + tuple(
                _numbers(leading.group(0))))))
            piece = piece[leading.end():]
        numbers = _numbers(piece)
        plain = " ".join(CITATION.sub("", piece).split()).replace(" .", ".").replace(" ,", ",")
        if not re.search(r"\w", plain):
            if claims and numbers:
                claims[-1] = replace(claims[-1], cited=tuple(dict.fromkeys(claims[-1].cited + tuple(numbers))))
            continue
        claims.append(Claim(text=plain, cited=tuple(dict.fromkeys(numbers))))
    return claims


def render_answer(claims: list[Claim], citations: list[Citation]) -> str:
    """The answer as shown: each claim followed by its verified citation numbers only."""
    parts = []
    for index, claim in enumerate(claims):
        numbers = [c.n for c in citations if c.claim == index and c.verified]
        marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        text = claim.text
        if marks:
            text = text[:-1] + " " + marks + text[-1] if text[-1] in ".!?" else f"{text} {marks}"
        parts.append(text)
    return " ".join(parts)
