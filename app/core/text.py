"""Text that people type: names and free text carry no control or bidi formatting characters,
e-mail addresses are compared in one normal form.

Names and free text reach CSV/XLSX exports, e-mails and the certificate PDF: a control
character breaks a line or a cell there, and a bidi override (U+202E …) shows a name or a file
name reversed ("Rechnung‮fdp.exe"). So input schemas use these types:

- ``SingleLine`` (names, titles, subjects): no control character at all (C0, DEL, C1), no bidi
  formatting (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069), no line or paragraph separator.
- ``MultiLine`` (descriptions, messages): the same, but line breaks and tabs are allowed;
  ``\\r\\n`` and a lone ``\\r`` become ``\\n``.
- ``Email``: NFKC-normalised (full-width and other compatibility forms fold to ASCII, so
  ``ｅｒｉｋａ@example.org`` is ``erika@example.org``), trimmed and lower-cased before pydantic's
  e-mail check, in this one place. Look-alikes from other scripts (Cyrillic „а“) stay apart:
  NFKC does not fold them, and they are different addresses.

Both are validators to add to an ``Annotated`` type: ``Annotated[str, SingleLine, Field(...)]``.
"""

import unicodedata
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, EmailStr
from pydantic_core import PydanticCustomError

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SEPARATORS = frozenset("\u2028\u2029\x85")
_LINE_BREAKS = frozenset("\n\t")


def forbidden_characters(value: str, *, multiline: bool) -> list[str]:
    """The characters of ``value`` that text input may not hold, as U+XXXX (pure)."""
    # Every refused character is one ``isprintable`` refuses (Cc, Cs, the bidi controls are
    # Cf, the separators Zl/Zp/Cc), so text it takes holds none, and most text is settled
    # without a look at each character. What it refuses besides (a zero-width joiner, a
    # no-break space) is sorted out below.
    if (value.replace("\n", "").replace("\t", "") if multiline else value).isprintable():
        return []
    found = []
    for char in value:
        if multiline and char in _LINE_BREAKS:
            continue
        # Cs: a surrogate alone (JSON escapes and some file formats can still spell one) is
        # no character, and no reply that carried it could be encoded.
        if unicodedata.category(char) in ("Cc", "Cs") or char in BIDI_CONTROLS or char in _SEPARATORS:
            found.append(f"U+{ord(char):04X}")
    return list(dict.fromkeys(found))


def _refuse(found: list[str]) -> None:
    if found:
        raise PydanticCustomError(
            "control_characters",
            "must not contain control or bidirectional formatting characters ({found})",
            {"found": ", ".join(found[:5])})


def single_line(value: str) -> str:
    _refuse(forbidden_characters(value, multiline=False))
    return value


def multi_line(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    _refuse(forbidden_characters(value, multiline=True))
    return value


def normalise_email(value: object) -> object:
    """NFKC, trimmed, lower-case; anything but a string is left to pydantic to refuse."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip().lower()
    return value


SingleLine = AfterValidator(single_line)
MultiLine = BeforeValidator(lambda value: multi_line(value) if isinstance(value, str) else value)
Email = Annotated[EmailStr, BeforeValidator(normalise_email)]
"""An e-mail address in its one comparable form (see the module docstring)."""


def unique_addresses(addresses: Iterable[str | None]) -> list[str]:
    """Non-empty addresses, first spelling kept, duplicates compared case-insensitively."""
    seen: set[str] = set()
    result = []
    for address in addresses:
        cleaned = (address or "").strip()
        if cleaned and cleaned.lower() not in seen:
            seen.add(cleaned.lower())
            result.append(cleaned)
    return result
