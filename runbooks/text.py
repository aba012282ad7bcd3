"""Runbook text a person reads, in one or more languages (docs/runbooks.md, "Languages").

In a runbook file a human-facing field is either a plain string, in the runbook's ``language``
(default en), or a mapping ``{ru: …, en: …}``.  Either way it loads as a ``Text``: a ``str``
whose value is the English text (else the one it has), so logs, timeline lines and code that
only knows strings keep working, and which carries every language it was given for the pages
and the API to choose from with ``in_language``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

# The languages runbook text may come in, in the order a Text is stored and shown as a str.
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"


def language_code(code: str | None) -> str:
    """``ru-RU`` → ``ru``: the part of a language tag runbook text is keyed by."""
    return (code or DEFAULT_LANGUAGE).replace("_", "-").split("-")[0].lower()


class Shown(str):
    """Text as a page shows it: ``language`` it is in, ``is_fallback`` when the language asked
    for was missing and this is the other one."""

    language: str
    is_fallback: bool

    def __new__(cls, text: str, *, language: str, is_fallback: bool = False) -> Shown:
        shown = super().__new__(cls, text)
        shown.language = language
        shown.is_fallback = is_fallback
        return shown

    def __reduce__(self) -> tuple[Any, ...]:
        return (_shown, (str(self), self.language, self.is_fallback))


def _shown(text: str, language: str, is_fallback: bool) -> Shown:
    return Shown(text, language=language, is_fallback=is_fallback)


class Text(str):
    """Runbook text in the languages it was written in (``languages``: code → text)."""

    languages: Mapping[str, str]

    def __new__(cls, languages: Mapping[str, str] | None = None) -> Text:
        languages = languages or {}
        given = {code: languages[code] for code in LANGUAGES if languages.get(code)}
        primary = given.get(DEFAULT_LANGUAGE) or next(iter(given.values()), "")
        text = super().__new__(cls, primary)
        text.languages = MappingProxyType(given)
        return text

    @classmethod
    def of(cls, value: Any, language: str = DEFAULT_LANGUAGE) -> Text:
        """``value`` (a Text, a plain string in ``language``, or a mapping) as a Text; raises
        ValueError saying what a text may be."""
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls({language_code(language): value})
        if isinstance(value, Mapping):
            unknown = sorted(str(code) for code in value if code not in LANGUAGES)
            if unknown:
                raise ValueError(
                    f"unknown language {', '.join(unknown)}: text comes in {', '.join(LANGUAGES)}"
                )
            if not all(isinstance(text, str) for text in value.values()):
                raise ValueError("each language's text must be a string")
            return cls(value)
        raise ValueError(f"must be text, or a mapping of language ({', '.join(LANGUAGES)}) to text")

    def in_language(self, code: str | None) -> Shown:
        """The text in language ``code``; when it has none, the other language's, marked as a
        fallback (an empty Text is empty in every language)."""
        wanted = language_code(code)
        if wanted in self.languages or not self.languages:
            return Shown(self.languages.get(wanted, ""), language=wanted)
        other = next(iter(self.languages))
        return Shown(self.languages[other], language=other, is_fallback=True)

    def in_languages(self, first: str | None) -> dict[str, str]:
        """Every language's text, language ``first`` first (the API's ``titles``)."""
        wanted = language_code(first)
        order = sorted(self.languages, key=lambda code: code != wanted)
        return {code: self.languages[code] for code in order}

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (dict(self.languages),))

    def __repr__(self) -> str:
        return f"Text({dict(self.languages)!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Stored (JSON) as the mapping, so a definition read back keeps every language.
        return core_schema.no_info_plain_validator_function(
            cls.of,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda text: dict(text.languages), when_used="json"
            ),
        )


EMPTY = Text()
