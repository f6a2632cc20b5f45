"""Search text folding, the same on SQLite and PostgreSQL.

SQLite's ``lower()`` folds ASCII letters only (``lower('Ä')`` is ``'Ä'``), so the database
cannot be asked to compare case-insensitively. Instead the service stores a folded copy of
question and answer (``FaqEntry.search_text``) and folds the search words the same way:
lower case (``casefold``: ß → ss), umlauts spelled out (ä → ae, so "Buendnis" finds
"Bündnis" as well), other accents removed, Markdown punctuation and runs of white space
reduced to one space. A plain ``LIKE`` on the folded column then behaves alike on both
databases.
"""

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_NOT_WORD = re.compile(r"[^\w]+")
MAX_WORDS = 8


def fold(text: str) -> str:
    """``text`` folded for search: lower case, umlauts spelled out, no accents, one space
    between words, with a space at either end so word starts can be matched."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NOT_WORD.sub(" ", plain).replace("_", " ").split()
    return f" {' '.join(words)} " if words else " "


def search_words(query: str) -> list[str]:
    """The distinct folded words of a search, at most ``MAX_WORDS``; every one must occur."""
    return list(dict.fromkeys(fold(query).split()))[:MAX_WORDS]


def like_pattern(word: str) -> str:
    """A LIKE pattern (escape character ``\\``) for a folded word anywhere in the text."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
