"""German for people, English for machines: the language of a response and the catalog lookup.

The texts live in gettext catalogs (``app/locales/<lang>/LC_MESSAGES/messages.po``, compiled to
``.mo`` and committed; ``make messages`` extracts, updates and compiles them with Babel). English
is the source language and the default: a request without ``Accept-Language``, or one that
prefers English or a language we do not speak, gets exactly the texts of the code.

Problem details are often f-strings (``f"No workgroup {workgroup_id}."``); the extractor
(``app.core.i18n_extract``) turns them into templates with named fields, and ``translate``
finds the template a rendered text came from, takes the values out of it and puts them into the
German template. Identifiers (problem ``code``, field names, enum values) are never translated.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo

DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "de")
LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "messages"
MAX_ACCEPT_LANGUAGE_ITEMS = 32

_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+)\s*)?$")


def N_(message: str) -> str:
    """Marks a text for the catalog without translating it here (the caller translates later)."""
    return message


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """``de-DE;q=0.9, en;q=0.8`` as ``[("de-de", 0.9), ("en", 0.8)]``, best first (RFC 9110
    §12.5.4); malformed items and ``q=0`` are left out, equal weights keep their order."""
    if not header:
        return []
    ranges: list[tuple[str, float]] = []
    for item in header.split(",")[:MAX_ACCEPT_LANGUAGE_ITEMS]:
        match = _ITEM.match(item)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        if not 0 < quality <= 1:
            continue
        ranges.append((match.group(1).lower(), quality))
    ranges.sort(key=lambda pair: -pair[1])  # stable: equal q keep the client's order
    return ranges


def negotiate(header: str | None) -> str:
    """The language to answer in: the best-weighted one we speak, English otherwise."""
    for tag, _quality in parse_accept_language(header):
        if tag == "*":
            return DEFAULT_LANGUAGE
        primary = tag.split("-", 1)[0]
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    target: str
    weight: int


@dataclass(frozen=True)
class Catalog:
    """One language's compiled catalog: exact texts and the templates with fields."""

    messages: Mapping[str, str]
    templates: tuple[_Template, ...]

    def lookup(self, text: str) -> str:
        return self.messages.get(text) or text

    def translate(self, text: str) -> str:
        """The translation of ``text``, itself a rendered template or a plain message."""
        exact = self.messages.get(text)
        if exact:
            return exact
        for template in self.templates:
            match = template.pattern.fullmatch(text)
            if match is not None:
                try:
                    return template.target.format(**match.groupdict())
                except (KeyError, IndexError, ValueError):
                    return text
        return text


def template_fields(message: str) -> list[str]:
    """The named fields of a brace template (``{{`` is a literal brace)."""
    try:
        return [name for _lit, name, _spec, _conv in string.Formatter().parse(message) if name]
    except ValueError:
        return []


def _pattern(message: str) -> tuple[re.Pattern[str], int] | None:
    parts: list[str] = []
    literal = 0
    try:
        parsed = list(string.Formatter().parse(message))
    except ValueError:
        return None
    seen: set[str] = set()
    for text, name, _spec, _conv in parsed:
        parts.append(re.escape(text))
        literal += len(text)
        if name is None:
            continue
        if not name.isidentifier() or name in seen:
            return None
        seen.add(name)
        parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL), literal


def build_catalog(messages: Mapping[str, str]) -> Catalog:
    templates: list[_Template] = []
    for source, target in messages.items():
        if not target or not template_fields(source):
            continue
        built = _pattern(source)
        if built is not None:
            templates.append(_Template(built[0], target, built[1]))
    # The template with the most fixed text wins ("{count} problem(s) in the criteria." before
    # "{value}").
    templates.sort(key=lambda template: -template.weight)
    return Catalog(dict(messages), tuple(templates))


def mo_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@cache
def catalog(language: str) -> Catalog:
    """The compiled catalog of ``language``; English (the source language) has none."""
    if language == DEFAULT_LANGUAGE or language not in SUPPORTED_LANGUAGES:
        return build_catalog({})
    with mo_path(language).open("rb") as fileobj:
        compiled = read_mo(fileobj)
    return build_catalog({
        str(message.id): str(message.string) for message in compiled
        if message.id and isinstance(message.id, str) and message.string
    })


def translate(text: str, language: str) -> str:
    return catalog(language).translate(text)


def lookup(text: str, language: str) -> str:
    return catalog(language).lookup(text)


# --- validation messages ---------------------------------------------------------------------
# Pydantic's messages for the common error types, as templates over the error's ``ctx``. A type
# not listed keeps pydantic's English message.

VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} characters"),
    "string_too_long": N_("String should have at most {max_length} characters"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime"),
    "date_from_datetime_inexact": N_("Datetimes provided to dates should have zero time"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date"),
    "timezone_aware": N_("Input should have timezone info"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "too_short": N_("Value should have at least {min_length} items"),
    "too_long": N_("Value should have at most {max_length} items"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be an object"),
    "model_attributes_type": N_("Input should be an object"),
    "json_invalid": N_("Invalid JSON"),
    "uuid_parsing": N_("Input should be a valid UUID"),
    "url_parsing": N_("Input should be a valid URL"),
    "url_scheme": N_("URL scheme should be {expected_schemes}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
}
EMAIL_MESSAGE = N_("value is not a valid email address")
VALUE_ERROR_PREFIX = "Value error, "
VALUE_ERROR_MESSAGE = N_("Invalid value: {reason}")


def _or(expected: Any, language: str) -> str:
    text = str(expected)
    return text.replace(" or ", " oder ") if language == "de" else text


def validation_message(error: Mapping[str, Any], language: str) -> str:
    """A pydantic error's message in ``language`` (its own English one as the fallback)."""
    english = str(error.get("msg", ""))
    if language == DEFAULT_LANGUAGE:
        return english
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    if kind == "value_error":
        reason = english.removeprefix(VALUE_ERROR_PREFIX)
        if reason.startswith(EMAIL_MESSAGE):
            return lookup(EMAIL_MESSAGE, language)
        return lookup(VALUE_ERROR_MESSAGE, language).format(reason=translate(reason, language))
    if kind in ("too_long", "too_short") and isinstance(error.get("input"), str):
        kind = f"string_{kind}"  # a constrained string after a validator: pydantic says "items"
    template = VALIDATION_MESSAGES.get(kind)
    if template is None:
        return translate(english, language)
    for key in ("expected", "expected_schemes"):
        if key in ctx:
            ctx[key] = _or(ctx[key], language)
    try:
        return lookup(template, language).format(**{key: str(value) for key, value in ctx.items()})
    except (KeyError, IndexError, ValueError):
        return english
