"""Check every citation of an answer against its source sentence before it is shown.

Answers are often English while the sources are Dutch, so word overlap cannot
decide support. A claim is supported by a source sentence when the
multilingual embedder finds them close AND every number in the claim occurs in
the sentence AND every proper name in the claim occurs in the sentence's
paragraph (Dutch/English name pairs like Greenland/Groenland count). A
citation the model got wrong but another evidence sentence supports is
re-pointed and marked `repaired`; a claim nothing supports is flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.prompting import Evidence
from rag.text import fold, stopwords

CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
NAME = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'’-]*)*")
NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20",
    "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "twee": "2", "drie": "3", "vier": "4", "vijf": "5", "zes": "6", "zeven": "7", "acht": "8",
    "negen": "9", "tien": "10", "elf": "11", "twaalf": "12", "vijftien": "15", "twintig": "20",
    "dertig": "30", "veertig": "40", "vijftig": "50", "honderd": "100",
}
# English <-> Dutch forms of names that occur in this kind of news (folded, one direction each)
NAME_PAIRS = {
    "nato": "navo", "greenland": "groenland", "the hague": "den haag", "hague": "haag",
    "germany": "duitsland", "netherlands": "nederland", "united states": "verenigde staten",
    "us": "vs", "usa": "vs", "america": "amerika", "europe": "europa", "russia": "rusland",
    "ukraine": "oekraine", "poland": "polen", "sweden": "zweden", "norway": "noorwegen",
    "north korea": "noord-korea", "brussels": "brussel", "warsaw": "warschau",
    "white house": "witte huis", "denmark": "denemarken", "baltic": "baltische", "eu": "eu",
    "european": "europese", "american": "amerikaanse", "russian": "russische", "german": "duitse",
    "dutch": "nederlandse", "ukrainian": "oekraiense", "chinese": "chinese", "canada": "canada",
    "states": "staten", "state": "staat", "north america": "noord-amerika", "north": "noord", "south": "zuid", "east": "oost",
    "the netherlands": "nederland", "france": "frankrijk", "lithuania": "litouwen", "finland": "finland",
    "january": "januari", "february": "februari", "march": "maart", "april": "april", "may": "mei",
    "june": "juni", "july": "juli", "august": "augustus", "september": "september",
    "october": "oktober", "november": "november", "december": "december",
}
# capitalised words that start sentences but are not names
NOT_NAMES = {"according", "however", "yes", "no", "volgens", "ook", "ja", "nee", "also", "rutte's"}


@dataclass
class Claim:
    text: str  # the sentence without its [n] markers
    cited: list[int]  # the numbers the model wrote
    supported: bool = False
    invalid: list[int] = field(default_factory=list)  # numbers that were not given


@dataclass
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


def split_claims(answer: str) -> list[Claim]:
    """Answer sentences with the citation numbers written after (or inside) them."""
    text = answer.strip()
    pieces = re.split(r"(?<=[.!?\]])\s+(?=[^\s\[])", text)
    claims: list[Claim] = []
    for piece in pieces:
        numbers = [int(n) for group in CITATION.findall(piece) for n in re.split(r"\s*[,;]\s*", group)]
        plain = " ".join(CITATION.sub("", piece).split()).replace(" .", ".").replace(" ,", ",")
        if not re.search(r"\w", plain):
            if claims and numbers:  # a marker alone after the sentence end belongs to the sentence
                claims[-1].cited += numbers
            continue
        claims.append(Claim(text=plain, cited=list(dict.fromkeys(numbers))))
    return claims


def numbers_in(text: str) -> set[str]:
    folded = fold(text)
    found = {n.replace(",", ".") for n in NUMBER.findall(folded)}
    found |= {digit for word, digit in NUMBER_WORDS.items() if re.search(rf"\b{word}\b", folded)}
    return found


def names_in(text: str) -> set[str]:
    stop = stopwords() | NOT_NAMES
    names = set()
    for match in NAME.findall(text):
        words = [w for w in fold(match).split() if w not in stop]
        if words:
            names.add(" ".join(words).strip("'’-"))
    return {n for n in names if n}


def name_occurs(name: str, context: str) -> bool:
    """Folded name (or its Dutch form) in the folded context; every word of it must be there."""
    candidates = {name, NAME_PAIRS.get(name, name)}
    for word in name.split():
        candidates.add(NAME_PAIRS.get(word, word))
    words = set(re.findall(r"[\w-]+", context))
    for candidate in candidates:
        if candidate in context and all(part in words or part in context for part in candidate.split()):
            return True
    parts = name.split()
    return all(NAME_PAIRS.get(p, p) in words or p in words or p.rstrip("s") in words for p in parts)


def paragraph_around(text: str, start: int, end: int) -> str:
    left = text.rfind("\n\n", 0, start)
    right = text.find("\n\n", end)
    return text[left + 2 if left >= 0 else 0: right if right >= 0 else len(text)]


def check_support(claim: str, evidence: Evidence, similarity: float, threshold: float) -> str:
    """'' when the sentence supports the claim, else the reason it does not."""
    missing_numbers = numbers_in(claim) - numbers_in(evidence.text)
    if missing_numbers:
        return f"number {sorted(missing_numbers)[0]} not in the source"
    context = fold(paragraph_around(evidence.article.text, evidence.start, evidence.end))
    for name in sorted(names_in(claim)):
        if not name_occurs(name, context):
            return f"name {name!r} not in the source"
    if similarity < threshold:
        return f"meaning too far from the source ({similarity:.2f} < {threshold:.2f})"
    return ""


def verify(
    claims: list[Claim],
    evidence: list[Evidence],
    claim_vectors: np.ndarray,
    evidence_vectors: np.ndarray,
    threshold: float,
) -> list[Citation]:
    """Decide, for every claim, which evidence sentence (if any) supports it. Mutates claim flags."""
    by_number = {e.n: i for i, e in enumerate(evidence)}
    similarities = claim_vectors @ evidence_vectors.T if len(claims) and len(evidence) else None
    citations: list[Citation] = []
    for index, claim in enumerate(claims):
        claim.invalid = [n for n in claim.cited if n not in by_number]
        cited = [n for n in claim.cited if n in by_number]
        checks = {}
        for row, item in enumerate(evidence):
            sim = float(similarities[index, row])
            checks[item.n] = (check_support(claim.text, item, sim, threshold), sim)
        good = [n for n in cited if not checks[n][0]]
        if good:
            citations += [Citation(n, index, evidence[by_number[n]], True, checks[n][1]) for n in good]
            claim.supported = True
            continue
        supporting = sorted((n for n, (reason, _) in checks.items() if not reason),
                            key=lambda n: -checks[n][1])
        if supporting:
            n = supporting[0]
            citations.append(Citation(n, index, evidence[by_number[n]], True, checks[n][1],
                                      repaired=bool(cited), added=not cited))
            claim.supported = True
            continue
        citations += [Citation(n, index, evidence[by_number[n]], False, checks[n][1], reason=checks[n][0])
                      for n in cited]
    return citations


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
