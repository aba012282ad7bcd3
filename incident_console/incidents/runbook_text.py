"""Runbook text in the reader's language: what pages and the API show of a runbook's Text.

A runbook field comes in ru, en or both (runbooks/text.py).  A page shows the active language
(``get_language()``, from the user's choice or Accept-Language) and, when the field lacks it,
the other language marked as a fallback (``Shown.is_fallback``; the template filter
``untranslated`` draws the badge).  The API returns every language, the requested one first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from runbooks.schema import PARAMETER_TEXTS, STEP_TEXTS, ParameterValueError
from runbooks.text import EMPTY, LANGUAGES, Shown, Text, language_code

# What the API gives for each step and scenario in every language (``translations``).
STEP_FIELDS = ("title", "description", "instructions")
SCENARIO_FIELDS = ("title", "symptoms", "escalation", "notes")


def active_language() -> str:
    return language_code(get_language())


def shown(value: Any, language: str | None = None) -> Shown:
    """``value`` (a Text, a stored ``{ru, en}`` mapping or a plain English string) in
    ``language`` (default: the active one)."""
    if value is None or value == {}:
        value = EMPTY
    return Text.of(value).in_language(language or active_language())


def lazily_shown(value: Any):
    """``value`` as lazy text, shown in the language active when it is rendered: the site's
    when it is stored (timeline entries, notifications), the reader's on a page."""
    return _lazy_shown_text(value)


def _shown_text(value: Any) -> str:
    return str(shown(value))


_lazy_shown_text = lazy(_shown_text, str)


def other_language(value: Any, language: str | None = None) -> Shown | None:
    """The text in the language not shown, when it has one (the scenario's second name)."""
    text = Text.of(value or EMPTY)
    first = shown(text, language)
    others = [code for code in text.languages if code != first.language]
    return shown(text, others[0]) if others else None


def in_languages(value: Any, first: str | None = None) -> dict[str, str]:
    """Every language of ``value``, the requested (or active) one first."""
    return Text.of(value or EMPTY).in_languages(first or active_language())


def translations(
    item: Mapping[str, Any], fields: Iterable[str], first: str | None = None
) -> dict[str, dict[str, Any]]:
    """``{language: {field: text}}`` of ``item``'s text fields, the requested language first;
    a field missing in a language is left out of it (a list keeps only what it has)."""
    first = language_code(first or active_language())
    order = sorted(LANGUAGES, key=lambda code: code != first)
    result: dict[str, dict[str, Any]] = {}
    for code in order:
        texts: dict[str, Any] = {}
        for field in fields:
            value = item.get(field)
            if isinstance(value, list):
                texts[field] = [t for t in (_exact(v, code) for v in value) if t]
            elif _exact(value, code):
                texts[field] = _exact(value, code)
        result[code] = texts
    return result


def _exact(value: Any, code: str) -> str:
    return Text.of(value).languages.get(code, "") if value else ""


def step_shown(step: Mapping[str, Any]) -> dict[str, Shown]:
    """A step's texts (title, description, instructions, option) in the active language."""
    return {field: shown(step.get(field)) for field in STEP_TEXTS}


def parameter_shown(param: Mapping[str, Any]) -> dict[str, Any]:
    """A parameter with its label, help and expectation in the active language."""
    return {**param, **{field: shown(param.get(field)) for field in PARAMETER_TEXTS}}


@dataclass(frozen=True)
class ScenarioShown:
    """What a page shows of a scenario, in the active language."""

    title: Shown
    title_other: Shown | None  # the title in the other language, when it has one
    symptoms: list[Shown]
    escalation: list[Shown]
    notes: list[Shown]


def scenario_shown(definition: Mapping[str, Any], title: str) -> ScenarioShown:
    """From a scenario's stored definition (``title``: its English title, for a definition
    stored before titles came in languages)."""
    texts = _texts_of(definition)
    title_text = texts.get("title") or title

    def each(name: str) -> list[Shown]:
        return [shown(text) for text in texts.get(name) or []]

    return ScenarioShown(
        title=shown(title_text),
        title_other=other_language(title_text),
        symptoms=each("symptoms"),
        escalation=each("escalation"),
        notes=each("notes"),
    )


def scenario_title(definition: Mapping[str, Any], title: str) -> Text:
    """A scenario's title in every language it has (``title``: the row's English title)."""
    return Text.of(_texts_of(definition).get("title") or title)


def _texts_of(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario-level texts of a stored definition, as Text (legacy title_ru folded in)."""
    language = definition.get("language", "en")
    title = definition.get("title")
    if isinstance(title, str):
        title = {language: title}
    if isinstance(title, dict) and definition.get("title_ru"):
        title = {"ru": definition["title_ru"], **title}
    texts: dict[str, Any] = {"title": Text.of(title) if title else None}
    for name in ("symptoms", "escalation", "notes"):
        texts[name] = [Text.of(t, language) for t in definition.get(name) or []]
    return texts


def parameter_error_text(error: ValueError) -> str:
    """A parameter's refusal (runbooks.schema.ParameterValueError) in the reader's language."""
    if not isinstance(error, ParameterValueError):
        return str(error)
    params = {
        name: shown(value) if isinstance(value, Text) else value
        for name, value in error.params.items()
    }
    return _(error.template) % params if params else _(error.template)
