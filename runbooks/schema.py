"""The typed shape of a runbook file.  docs/runbooks.md describes it for authors."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from executors.placeholders import has_filter, placeholder_names
from executors.shellwords import check_argv, scan_script
from executors.sqltext import scan_sql
from runbooks.text import DEFAULT_LANGUAGE, EMPTY, LANGUAGES, Text

Language = Literal["en", "ru"]
assert set(LANGUAGES) == {"en", "ru"}  # Language spells out LANGUAGES for pydantic

SLUG = r"^[a-z0-9][a-z0-9-]*$"
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
ExecutorKind = Literal[
    "shell", "manual", "ssh", "postgres", "s3", "http", "docker", "customer_notice"
]
COMMAND_EXECUTORS = ("shell", "ssh")
# customer_notice: the template under the site's notices/ and when the next update is promised.
NOTICE_ARGS = ("template", "next_update_minutes")
ACTION_EXECUTORS = ("postgres", "s3", "http", "docker")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the console's translation catalogue (makemessages reads the name)
    and returns it as it is: runbooks/ is plain Python, the console translates on display."""
    return message


class ParameterValueError(ValueError):
    """A value a parameter refuses: ``template`` (an English msgid, %-style) and ``params``
    kept apart so the console can say it in the reader's language; str() is the English."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


class ParameterSource(_Strict):
    """Fill a parameter from an output of an earlier step of the same incident."""

    step: str
    output: str


class Parameter(_Strict):
    """A value a person fills in before a step runs; it reaches the executor as data."""

    name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    label: Text = EMPTY
    type: Literal["string", "integer", "path", "choice"] = "string"
    default: str | int | None = None
    required: bool = True
    pattern: str | None = None
    # What a value matching the pattern looks like, in words: the error a person sees.
    expect: Text = EMPTY
    choices: list[str] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    help: Text = EMPTY
    from_: ParameterSource | None = Field(default=None, alias="from")

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        return value

    @model_validator(mode="after")
    def _choices_for_choice(self) -> Parameter:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice parameter needs choices")
        return self

    @model_validator(mode="after")
    def _pattern_in_words(self) -> Parameter:
        if self.pattern and not self.expect.strip():
            raise ValueError(
                "a parameter with a pattern needs expect: what a valid value looks like, "
                "in words (e.g. expect: a date like 20240115)"
            )
        return self

    def validate_value(self, raw: Any) -> str | int:
        """Return the value converted to its type, or raise ParameterValueError saying what is
        wrong (``expect`` in its English; the console shows it in the reader's language)."""
        if raw is None or raw == "":
            if self.default is not None:
                raw = self.default
            elif self.required:
                raise ParameterValueError(gettext_noop("is required"))
            else:
                return ""
        if self.type == "integer":
            return self._integer(raw)
        value = str(raw)
        if "\x00" in value or "\n" in value:
            raise ParameterValueError(gettext_noop("must be one line of text"))
        if self.type == "choice" and value not in self.choices:
            raise ParameterValueError(
                gettext_noop("must be one of %(choices)s"), choices=", ".join(self.choices)
            )
        if self.type == "path" and not value.startswith("/"):
            raise ParameterValueError(gettext_noop("must be an absolute path"))
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ParameterValueError(gettext_noop("must be %(expect)s"), expect=self.expect)
        return value

    def _integer(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise ParameterValueError(gettext_noop("must be a whole number"))
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ParameterValueError(gettext_noop("must be a whole number")) from None
        if self.min is not None and value < self.min:
            raise ParameterValueError(gettext_noop("must be at least %(min)s"), min=self.min)
        if self.max is not None and value > self.max:
            raise ParameterValueError(gettext_noop("must be at most %(max)s"), max=self.max)
        return value


class Step(_Strict):
    """One step of a scenario: a command an executor runs, or an action a person takes."""

    id: Annotated[str, Field(pattern=SLUG)]
    title: Text
    description: Text = EMPTY
    executor: ExecutorKind
    target: Annotated[str, Field(pattern=SLUG)] = "local"
    argv: list[str] | None = None
    script: str | None = None
    action: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    instructions: Text = EMPTY
    expected_output: str = Field(
        default="", description="what the command printed where the runbook was written: shown"
    )
    params: list[Parameter] = Field(default_factory=list)
    destructive: bool = False
    requires_approval: bool = False
    timeout: Annotated[int | None, Field(gt=0)] = None
    idle_timeout: Annotated[int | None, Field(gt=0)] = None
    on_output_limit: Literal["kill", "continue"] = "kill"
    on_failure: str | None = None
    needs: list[Annotated[str, Field(pattern=SLUG)]] = Field(
        default_factory=list, description="earlier steps that must have succeeded first"
    )
    one_of: Annotated[str | None, Field(pattern=SLUG)] = Field(
        default=None, description="steps sharing this name are alternatives: one of them is done"
    )
    option: Text = Field(
        default=EMPTY, description="how this alternative differs, e.g. 'with compose'"
    )

    @model_validator(mode="before")
    @classmethod
    def _title_ru_is_the_russian_title(cls, data: Any) -> Any:
        return legacy_title_ru(data)

    @property
    def title_ru(self) -> str:
        """The Russian title (what ``title_ru:`` held before titles came in languages)."""
        return self.title.languages.get("ru", "")

    # A placeholder must stand where its value can only ever be data: these raise a ValueError
    # saying which placeholder, where and why (executors/shellwords.py, executors/sqltext.py).
    @field_validator("script")
    @classmethod
    def _script_placeholders_are_safe(cls, script: str | None) -> str | None:
        if script is not None:
            scan_script(script)
        return script

    @field_validator("argv")
    @classmethod
    def _argv_placeholders_are_safe(cls, argv: list[str] | None) -> list[str] | None:
        if argv is not None:
            check_argv(argv)
        return argv

    @field_validator("args")
    @classmethod
    def _query_placeholders_are_safe(
        cls, args: dict[str, Any], info: ValidationInfo
    ) -> dict[str, Any]:
        query = _is_query(info.data.get("executor"), info.data.get("action"))
        if query and isinstance(args.get("sql"), str):
            scan_sql(args["sql"])
        return args

    @model_validator(mode="after")
    def _command_matches_executor(self) -> Step:
        if self.executor in COMMAND_EXECUTORS:
            if (self.argv is None) == (self.script is None):
                raise ValueError(f"a {self.executor} step needs exactly one of argv or script")
            if self.argv is not None and not self.argv:
                raise ValueError("argv must not be empty")
        elif self.argv is not None or self.script is not None:
            raise ValueError(f"a {self.executor} step has no argv or script")
        if self.executor in ACTION_EXECUTORS and self.executor != "http" and not self.action:
            raise ValueError(f"a {self.executor} step needs an action")
        if self.executor == "manual" and self.target != "local":
            raise ValueError("a manual step has no target")
        if self.executor == "customer_notice":
            self._is_a_customer_notice()
        if self.option and not self.one_of:
            raise ValueError("option names one way of a one_of group; this step has no one_of")
        self._placeholders_are_declared()
        return self

    def _is_a_customer_notice(self) -> None:
        """A notice drafted from the site's template ``args.template`` and emailed to the site's
        customer contact: nothing runs anywhere, so no target, action or parameters."""
        if self.target != "local" or self.action or self.params:
            raise ValueError(
                "a customer_notice step has no target, action or params: it emails the "
                "site's customer contact"
            )
        unknown = sorted(set(self.args) - set(NOTICE_ARGS))
        if unknown:
            raise ValueError(f"a customer_notice step has no argument {', '.join(unknown)}")
        template = self.args.get("template")
        if not isinstance(template, str) or not re.fullmatch(SLUG, template):
            raise ValueError("a customer_notice step needs args.template, a notice's name")
        minutes = self.args.get("next_update_minutes", 60)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
            raise ValueError("args.next_update_minutes must be a whole number of minutes")

    def _placeholders_are_declared(self) -> None:
        declared = {p.name for p in self.params}
        instructions = list(self.instructions.languages.values())
        texts = [*(self.argv or []), self.script or "", *instructions, *_strings(self.args)]
        used = {name for text in texts for name in placeholder_names(text)}
        missing = sorted(used - declared)
        if missing:
            raise ValueError(f"placeholders without a parameter: {', '.join(missing)}")
        query = "sql" if _is_query(self.executor, self.action) else None
        data = [*instructions, *_strings({k: v for k, v in self.args.items() if k != query})]
        if any(has_filter(text) for text in data):
            raise ValueError("a | filter in a placeholder is only allowed in a postgres query")


def _is_query(executor: Any, action: Any) -> bool:
    return bool(executor == "postgres" and action == "query")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


Channel = Literal["slack", "telegram", "email"]
CHANNELS: tuple[Channel, ...] = ("slack", "telegram", "email")


class EscalationRule(_Strict):
    """Who to call and when: after a time without progress, or when a given step fails."""

    id: Annotated[str, Field(pattern=SLUG)]
    notify: list[str] = Field(min_length=1, description="contact roles, or level:N")
    message: Text = EMPTY
    after_minutes: Annotated[float | None, Field(ge=0)] = None
    until: Literal["acknowledged", "mitigated", "resolved"] = "acknowledged"
    when_step_fails: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))

    @model_validator(mode="after")
    def _one_trigger(self) -> EscalationRule:
        if (self.after_minutes is None) == (self.when_step_fails is None):
            raise ValueError(
                "an escalation rule needs exactly one of after_minutes or when_step_fails"
            )
        return self


class RecoveryTime(_Strict):
    min_minutes: Annotated[int, Field(ge=0)]
    max_minutes: Annotated[int, Field(ge=0)]
    note: Text = Field(default=EMPTY, description="what the time depends on")


class Runbook(_Strict):
    """A scenario: how to recognise it and the steps that recover from it."""

    slug: Annotated[str, Field(pattern=SLUG)]
    language: Language = Field(default="en", description="the language of its plain-string texts")
    title: Text
    kind: Literal["scenario", "procedure"] = "scenario"
    order: int | None = Field(
        default=None, description="place in the site's list of scenarios; unordered ones follow"
    )
    severity: Severity = "sev2"
    data_loss: bool = Field(
        default=False, description="its incidents lose data: the SLA measures them against the RPO"
    )
    alerts: list[str] = Field(default_factory=list)
    symptoms: list[Text] = Field(default_factory=list)
    expected_recovery: RecoveryTime | None = None
    escalation: list[Text] = Field(default_factory=list)
    escalation_rules: list[EscalationRule] = Field(default_factory=list)
    auto_resolve: bool = Field(default=False, description="resolve when its alerts resolve")
    restricted: bool = Field(
        default=False, description="incidents open visible to participants and commanders only"
    )
    notes: list[Text] = Field(default_factory=list)
    steps: list[Step]

    @model_validator(mode="before")
    @classmethod
    def _texts_in_its_language(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return _plain_texts_in(legacy_title_ru(data), data.get("language", DEFAULT_LANGUAGE))

    @property
    def title_ru(self) -> str:
        """The Russian title (what ``title_ru:`` held before titles came in languages)."""
        return self.title.languages.get("ru", "")

    @model_validator(mode="after")
    def _steps_are_consistent(self) -> Runbook:
        ids = [step.id for step in self.steps]
        known = set(ids)
        duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
        if duplicates:
            raise ValueError(f"step ids repeat: {', '.join(duplicates)}")
        for rule in self.escalation_rules:
            if rule.when_step_fails and rule.when_step_fails not in known:
                raise ValueError(
                    f"escalation rule {rule.id} names unknown step {rule.when_step_fails}"
                )
        earlier: set[str] = set()
        for step in self.steps:
            if step.on_failure and step.on_failure not in known:
                raise ValueError(f"step {step.id}: on_failure names unknown step {step.on_failure}")
            for needed in step.needs:
                if needed not in earlier:
                    raise ValueError(
                        f"step {step.id}: needs {needed}, which is not an earlier step"
                    )
            for param in step.params:
                if param.from_ and param.from_.step not in earlier:
                    raise ValueError(
                        f"step {step.id}: parameter {param.name} comes from {param.from_.step}, "
                        "which is not an earlier step"
                    )
            earlier.add(step.id)
        self._one_of_groups_have_two_ways()
        return self

    def _one_of_groups_have_two_ways(self) -> None:
        sizes = Counter(step.one_of for step in self.steps if step.one_of)
        lonely = sorted(group for group, size in sizes.items() if size < 2)
        if lonely:
            raise ValueError(
                f"one_of group {', '.join(lonely)} has a single step: nothing to choose"
            )

    def steps_taking(self, ways: Mapping[str, str] | None = None) -> list[Step]:
        """The steps to run, in order, taking of each one_of group the way named in ``ways``
        (group → step id), else its first; a step that needs a step left out is left out too."""
        ways = ways or {}
        for group, step_id in ways.items():
            if step_id not in {step.id for step in self.ways(group)}:
                raise ValueError(f"{step_id} is not a way of one_of group {group} of {self.slug}")
        taken: list[Step] = []
        left_out: set[str] = set()
        for step in self.steps:
            chosen = ways.get(step.one_of, self.ways(step.one_of)[0].id) if step.one_of else step.id
            if chosen != step.id or left_out.intersection(step.needs):
                left_out.add(step.id)
            else:
                taken.append(step)
        return taken

    def ways(self, group: str) -> list[Step]:
        """The alternative steps of a one_of group, in runbook order."""
        return [step for step in self.steps if step.one_of == group]

    def step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)


# The human-facing fields of each part of a runbook: a plain string in one of them is in the
# runbook's ``language``.
RUNBOOK_TEXTS = ("title",)
RUNBOOK_TEXT_LISTS = ("symptoms", "escalation", "notes")
STEP_TEXTS = ("title", "description", "instructions", "option")
PARAMETER_TEXTS = ("label", "help", "expect")


def legacy_title_ru(data: Any) -> Any:
    """``title_ru: …`` beside a title: the Russian of that title (a title's own ru wins)."""
    if not isinstance(data, dict) or "title_ru" not in data:
        return data
    data = dict(data)
    title_ru = data.pop("title_ru")
    title = data.get("title")
    if not title_ru:
        return data
    if isinstance(title, str):
        title = {data.get("language", DEFAULT_LANGUAGE): title}
    if isinstance(title, dict):
        data["title"] = {"ru": title_ru, **title}
    return data


def _plain_texts_in(data: dict[str, Any], language: Any) -> dict[str, Any]:
    """``data`` with each plain-string text made ``{language: text}``."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return data  # a plain string is English already; a bad language is reported by its field
    data = _in_language(data, RUNBOOK_TEXTS, RUNBOOK_TEXT_LISTS, language)
    if isinstance(data.get("expected_recovery"), dict):
        data["expected_recovery"] = _in_language(data["expected_recovery"], ("note",), (), language)
    data["escalation_rules"] = _each(data.get("escalation_rules"), ("message",), language)
    steps = _each(data.get("steps"), STEP_TEXTS, language)
    if isinstance(steps, list):
        steps = [
            {**step, "params": _each(step.get("params"), PARAMETER_TEXTS, language)}
            if isinstance(step, dict) and "params" in step
            else step
            for step in steps
        ]
    data["steps"] = steps
    return {key: value for key, value in data.items() if value is not None}


def _each(items: Any, fields: tuple[str, ...], language: str) -> Any:
    if not isinstance(items, list):
        return items
    return [_in_language(item, fields, (), language) for item in items]


def _in_language(item: Any, fields: tuple[str, ...], lists: tuple[str, ...], language: str) -> Any:
    if not isinstance(item, dict):
        return item
    item = dict(item)
    for name in fields:
        if isinstance(item.get(name), str):
            item[name] = {language: item[name]}
    for name in lists:
        if isinstance(item.get(name), list):
            item[name] = [{language: t} if isinstance(t, str) else t for t in item[name]]
    return legacy_title_ru(item) if "title" in fields else item


def step_with_texts(step: Mapping[str, Any], language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """A step as stored (the JSON of a runbook in ``language``) with its texts and its
    parameters' texts as Text: as code reading a stored definition gets it."""
    texts = _in_language(step, STEP_TEXTS, (), language)
    texts.update({name: Text.of(texts[name]) for name in STEP_TEXTS if texts.get(name)})
    if isinstance(texts.get("params"), list):
        texts["params"] = [_parameter_with_texts(param, language) for param in texts["params"]]
    return dict(texts)


def _parameter_with_texts(param: Any, language: str) -> Any:
    param = _in_language(param, PARAMETER_TEXTS, (), language)
    if isinstance(param, dict):
        param.update({name: Text.of(param[name]) for name in PARAMETER_TEXTS if param.get(name)})
    return param
