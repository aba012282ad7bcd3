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


class ParameterSource(_Strict):
    """Fill a parameter from an output of an earlier step of the same incident."""

    step: str
    output: str


class Parameter(_Strict):
    """A value a person fills in before a step runs; it reaches the executor as data."""

    name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    label: str = ""
    type: Literal["string", "integer", "path", "choice"] = "string"
    default: str | int | None = None
    required: bool = True
    pattern: str | None = None
    # What a value matching the pattern looks like, in words: the error a person sees.
    expect: str = ""
    choices: list[str] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    help: str = ""
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
        """Return the value converted to its type, or raise ValueError saying what is wrong."""
        if raw is None or raw == "":
            if self.default is not None:
                raw = self.default
            elif self.required:
                raise ValueError("is required")
            else:
                return ""
        if self.type == "integer":
            return self._integer(raw)
        value = str(raw)
        if "\x00" in value or "\n" in value:
            raise ValueError("must be one line of text")
        if self.type == "choice" and value not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        if self.type == "path" and not value.startswith("/"):
            raise ValueError("must be an absolute path")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"must be {self.expect}")
        return value

    def _integer(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError("must be a whole number")
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if self.min is not None and value < self.min:
            raise ValueError(f"must be at least {self.min}")
        if self.max is not None and value > self.max:
            raise ValueError(f"must be at most {self.max}")
        return value


class Step(_Strict):
    """One step of a scenario: a command an executor runs, or an action a person takes."""

    id: Annotated[str, Field(pattern=SLUG)]
    title: str
    title_ru: str = ""
    description: str = ""
    executor: ExecutorKind
    target: Annotated[str, Field(pattern=SLUG)] = "local"
    argv: list[str] | None = None
    script: str | None = None
    action: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    instructions: str = ""
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
    option: str = Field(default="", description="how this alternative differs, e.g. 'with compose'")

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
        texts = [*(self.argv or []), self.script or "", self.instructions, *_strings(self.args)]
        used = {name for text in texts for name in placeholder_names(text)}
        missing = sorted(used - declared)
        if missing:
            raise ValueError(f"placeholders without a parameter: {', '.join(missing)}")
        query = "sql" if _is_query(self.executor, self.action) else None
        data = [self.instructions, *_strings({k: v for k, v in self.args.items() if k != query})]
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
    message: str = ""
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


class Runbook(_Strict):
    """A scenario: how to recognise it and the steps that recover from it."""

    slug: Annotated[str, Field(pattern=SLUG)]
    title: str
    title_ru: str = ""
    kind: Literal["scenario", "procedure"] = "scenario"
    order: int | None = Field(
        default=None, description="place in the site's list of scenarios; unordered ones follow"
    )
    severity: Severity = "sev2"
    data_loss: bool = Field(
        default=False, description="its incidents lose data: the SLA measures them against the RPO"
    )
    alerts: list[str] = Field(default_factory=list)
    symptoms: list[str] = Field(default_factory=list)
    expected_recovery: RecoveryTime | None = None
    escalation: list[str] = Field(default_factory=list)
    escalation_rules: list[EscalationRule] = Field(default_factory=list)
    auto_resolve: bool = Field(default=False, description="resolve when its alerts resolve")
    restricted: bool = Field(
        default=False, description="incidents open visible to participants and commanders only"
    )
    notes: list[str] = Field(default_factory=list)
    steps: list[Step]

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
