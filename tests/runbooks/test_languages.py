"""Runbook text in ru and en: how a field is written, what a reader gets when a language is
missing, and the shipped runbooks carrying the seed's own Russian."""

import re
from pathlib import Path

import pytest
import yaml

from runbooks.importer import import_markdown
from runbooks.loader import parse_runbook_text
from runbooks.schema import Parameter, ParameterValueError, Runbook, Step, step_with_texts
from runbooks.text import Text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "runbooks" / "sites" / "ringo" / "runbooks").glob("*.yaml"))
FIXTURES = ROOT / "tests" / "fixtures" / "markdown"
SEED = FIXTURES / "ringo-runbooks.md"  # the customer's runbooks.md, as they sent it

# Russian titles that are not words of the seed document, and why.
NOT_IN_THE_SEED = {
    "Восстановить — встроенное восстановление консоли": "the console's built-in restore, the "
    "alternative to the team's restore-postgres.sh that the seed does not have",
    "Вернуть версию как текущую": "the console's restore_version step; the seed only saves a "
    "version to a file",
    "Статус восстановления из Glacier": "the seed requests a Glacier restore but has no step "
    "that checks on it",
    "Целевое время внутри WAL архива": "a PITR check the console adds; the seed's PITR is one "
    "sentence",
    "Восстановить во временную базу": "steps of the console's built-in test restore, the "
    "alternative to test-restore.sh",
    "Проверить восстановленные данные": "the built-in test restore",
    "Точное число строк": "the built-in test restore",
    "Неизвестный алерт": "the console's own scenario for alerts no runbook names",
    "Изучить алерт": "the unknown-alert scenario",
    "Выбрать сценарий": "the unknown-alert scenario",
}


def runbook(text: str) -> Runbook:
    loaded, error = parse_runbook_text(text, Path("test.yaml"))
    assert error is None, error
    return loaded.runbook


STEP = "  - {id: look, executor: manual, title: %s}\n"


def test_a_plain_string_is_in_the_runbooks_language_english_by_default():
    english = runbook("slug: a\ntitle: Disk full\nsteps:\n" + STEP % "Look")
    russian = runbook("slug: a\nlanguage: ru\ntitle: Диск полон\nsteps:\n" + STEP % "Смотреть")
    assert dict(english.title.languages) == {"en": "Disk full"}
    assert dict(russian.title.languages) == {"ru": "Диск полон"}
    assert dict(russian.steps[0].title.languages) == {"ru": "Смотреть"}


def test_a_mapping_gives_each_language_and_the_str_is_the_english():
    loaded = runbook(
        "slug: a\ntitle: {ru: Диск полон, en: Disk full}\n"
        "symptoms: [{ru: Нет места, en: No space}]\nsteps:\n" + STEP % "{ru: Смотреть, en: Look}"
    )
    assert (loaded.title, loaded.title.in_language("ru")) == ("Disk full", "Диск полон")
    assert loaded.symptoms[0].in_language("ru") == "Нет места"
    assert loaded.steps[0].title.in_language("ru-RU") == "Смотреть"


def test_a_legacy_title_ru_becomes_the_russian_of_the_title():
    loaded = runbook(
        "slug: a\ntitle: Disk full\ntitle_ru: Диск полон\nsteps:\n"
        "  - {id: look, executor: manual, title: Look, title_ru: Смотреть}\n"
    )
    assert dict(loaded.title.languages) == {"en": "Disk full", "ru": "Диск полон"}
    assert (loaded.title_ru, loaded.steps[0].title_ru) == ("Диск полон", "Смотреть")


def test_a_stored_definition_reads_back_with_every_language():
    loaded = runbook("slug: a\ntitle: {ru: Диск полон, en: Disk full}\nsteps:\n" + STEP % "Look")
    stored = loaded.model_dump(mode="json", by_alias=True)
    assert stored["title"] == {"en": "Disk full", "ru": "Диск полон"}
    assert Runbook.model_validate(stored).title.languages == loaded.title.languages
    assert step_with_texts({"id": "x", "title": "Смотреть"}, "ru")["title"].in_language("ru") == (
        "Смотреть"
    )


def test_a_missing_language_falls_back_to_the_other_marked_as_such():
    shown = Text({"en": "Look"}).in_language("ru")
    assert (shown, shown.language, shown.is_fallback) == ("Look", "en", True)
    present = Text({"en": "Look", "ru": "Смотреть"}).in_language("ru")
    assert (present, present.language, present.is_fallback) == ("Смотреть", "ru", False)


def test_the_requested_language_comes_first():
    text = Text({"ru": "Смотреть", "en": "Look"})
    assert list(text.in_languages("ru")) == ["ru", "en"]
    assert list(text.in_languages("en-us")) == ["en", "ru"]


def test_an_unknown_language_is_refused_with_file_and_line():
    loaded, error = parse_runbook_text(
        "slug: a\ntitle: {de: Platte voll}\nsteps:\n" + STEP % "Look", Path("x.yaml")
    )
    assert loaded is None
    assert (error.line, "unknown language de" in error.reason) == (2, True)


def test_a_placeholder_in_russian_instructions_must_be_declared():
    with pytest.raises(ValueError, match="placeholders without a parameter: host"):
        Step(
            id="call",
            executor="manual",
            title="Call",
            instructions={"en": "Call", "ru": "Позвонить про {{ host }}"},
        )


def test_a_parameter_error_keeps_its_english_template_and_its_values_apart():
    param = Parameter(name="day", pattern="20[0-9]{6}", expect={"en": "a date", "ru": "дата"})
    with pytest.raises(ParameterValueError) as refused:
        param.validate_value("15.01.2024")
    assert str(refused.value) == "must be a date"
    assert refused.value.template == "must be %(expect)s"
    assert refused.value.params["expect"].in_language("ru") == "дата"


# The shipped runbooks.


def shipped() -> list[Runbook]:
    return [Runbook.model_validate(yaml.safe_load(path.read_text())) for path in SHIPPED]


def every_step():
    return [pytest.param(step, id=f"{rb.slug}:{step.id}") for rb in shipped() for step in rb.steps]


@pytest.mark.parametrize("step", every_step())
def test_every_shipped_step_has_a_russian_and_an_english_title(step):
    assert set(step.title.languages) == {"ru", "en"}
    if step.executor == "manual":
        assert set(step.instructions.languages) == {"ru", "en"}


@pytest.mark.parametrize("rb", shipped(), ids=lambda rb: rb.slug)
def test_every_shipped_scenario_has_its_title_and_symptoms_in_both_languages(rb):
    assert set(rb.title.languages) == {"ru", "en"}
    for text in [*rb.symptoms, *rb.escalation, *(rule.message for rule in rb.escalation_rules)]:
        assert set(text.languages) == {"ru", "en"}, text


def normalised(text: str) -> str:
    text = re.sub(r"[«»“”„\"'`]", '"', text)
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.mark.parametrize(
    "title",
    sorted(
        {t.languages["ru"] for rb in shipped() for t in [rb.title, *(s.title for s in rb.steps)]}
    ),
)
def test_each_russian_title_is_the_seeds_own_wording(title):
    """Each part of a title (a seed line became several steps: "heading — comment") is words
    of the seed document, or the title is listed with the reason it is not."""
    if title in NOT_IN_THE_SEED:
        assert NOT_IN_THE_SEED[title], "say why this title is not the seed's"
        return
    seed = normalised(SEED.read_text(encoding="utf-8"))
    missing = [part for part in title.split(" — ") if normalised(part) not in seed]
    assert not missing, f"not in the seed: {missing}"


# The importer.


def test_an_imported_russian_document_is_a_russian_runbook():
    imported = import_markdown("# Диск заполнен\n**Симптомы:**\n- Нет места\n\n```\ndf -h\n```\n")
    assert imported.runbooks[0]["language"] == "ru"
    loaded = Runbook.model_validate(imported.runbooks[0])
    assert dict(loaded.symptoms[0].languages) == {"ru": "Нет места"}


def test_an_imported_english_document_keeps_the_default_language():
    imported = import_markdown((FIXTURES / "english.md").read_text())
    assert all("language" not in rb for rb in imported.runbooks)
