"""What a commander changes in imported runbooks before saving them.

The import preview lists each step of each runbook; the commander may retitle it, change its
executor, target, destructive flag and approval requirement, drop it, or merge it with the next
step.  ``apply_edits`` returns the runbooks (dicts in the runbook file schema) with those edits
made and every runbook validated, or refuses all of them: nothing half-edited is ever saved.

Messages are English msgids (``gettext_noop``) with their values kept apart, as in
``runbooks.schema.ParameterValueError``: the console says them in the reader's language.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError

from executors.placeholders import PLACEHOLDER
from runbooks.schema import (
    COMMAND_EXECUTORS,
    SLUG,
    ExecutorKind,
    Runbook,
    gettext_noop,
)
from runbooks.text import DEFAULT_LANGUAGE

EXECUTORS: tuple[str, ...] = get_args(ExecutorKind)
LOCAL = "local"


@dataclass(frozen=True)
class StepEdit:
    """The changes to one step; None leaves a field as the importer made it."""

    title: str | None = None
    executor: str | None = None
    target: str | None = None
    destructive: bool | None = None
    requires_approval: bool | None = None
    drop: bool = False
    # Dropping a step that others need, fall back to or choose between: the commander has
    # said those references go too.
    drop_references: bool = False
    merge_with_next: bool = False


# Runbook index (in the import) → step id (as imported) → its edit.
Edits = Mapping[int, Mapping[str, StepEdit]]


@dataclass(frozen=True)
class Problem:
    """Why the edits of one runbook were refused: ``template`` % ``params`` says it."""

    runbook: int
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    step: str | None = None

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class EditsRefused(ValueError):
    """Some edits cannot be made, or leave a runbook invalid: nothing is changed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class _Refused(Exception):
    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.step: str | None = params.get("step")
        self.params = params


def apply_edits(runbooks: list[dict[str, Any]], edits: Edits) -> list[dict[str, Any]]:
    """The runbooks with ``edits`` made, each one validated; ``runbooks`` are left as they are.

    Raises EditsRefused with a Problem for each runbook whose edits cannot be made or would
    make it invalid."""
    problems = [
        Problem(
            index,
            gettext_noop("there is no runbook %(number)s in this import"),
            {"number": index + 1},
        )
        for index in sorted(set(edits) - set(range(len(runbooks))))
    ]
    edited = []
    for index, runbook in enumerate(runbooks):
        try:
            result = _edited(runbook, edits.get(index, {}))
        except _Refused as refused:
            problems.append(Problem(index, refused.template, refused.params, refused.step))
            continue
        invalid = _invalid(result)
        if invalid:
            problems.append(invalid if invalid.runbook == index else _at(index, invalid))
        edited.append(result)
    if problems:
        raise EditsRefused(problems)
    return edited


def executors_for(step: Mapping[str, Any]) -> tuple[str, ...]:
    """The executors ``step`` may be given: its own, shell ↔ ssh, and manual."""
    if step["executor"] in COMMAND_EXECUTORS:
        return (*COMMAND_EXECUTORS, "manual")
    return tuple(dict.fromkeys((step["executor"], "manual")))


def references_to(runbook: Mapping[str, Any], step_id: str) -> list[str]:
    """What would lose ``step_id`` if it were dropped: the steps and escalation rules naming
    it, and the other way of a choice between two."""
    steps = [step for step in runbook["steps"] if step["id"] != step_id]
    group = next((s.get("one_of") for s in runbook["steps"] if s["id"] == step_id), None)
    return _referrers({**runbook, "steps": steps}, step_id, group)


def _at(index: int, problem: Problem) -> Problem:
    return Problem(index, problem.template, problem.params, problem.step)


def _edited(runbook: dict[str, Any], edits: Mapping[str, StepEdit]) -> dict[str, Any]:
    runbook = copy.deepcopy(runbook)
    ids = [step["id"] for step in runbook["steps"]]
    for step_id in edits:
        if step_id not in ids:
            raise _Refused(gettext_noop("there is no step %(step)s in this runbook"), step=step_id)
    language = runbook.get("language", DEFAULT_LANGUAGE)
    steps = [
        _with_fields(step, edits.get(step["id"], StepEdit()), language) for step in runbook["steps"]
    ]
    steps, merged_into = _merged(steps, edits, language)
    runbook["steps"] = steps
    _rename_references(runbook, merged_into)
    _drop(runbook, edits)
    return runbook


# Fields of one step.


def _with_fields(step: dict[str, Any], edit: StepEdit, language: str) -> dict[str, Any]:
    step_id = step["id"]
    title = (edit.title or "").strip()
    if edit.title is not None and title != text_in(step.get("title"), language):
        if not title:
            raise _Refused(gettext_noop("step %(step)s needs a title"), step=step_id)
        step["title"] = _set_text(step.get("title"), title, language)
    # A target as it was is no change: a step made manual drops it, one made shell leaves it.
    target = edit.target if edit.target != step.get("target", LOCAL) else None
    if edit.executor is not None and edit.executor != step["executor"]:
        step = _with_executor(step, edit.executor, target, language)
    if target:
        _set_target(step, target)
    edited = edit.executor is not None or edit.target is not None
    if edited and step["executor"] == "ssh" and step.get("target", LOCAL) == LOCAL:
        raise _Refused(
            gettext_noop("step %(step)s runs over ssh: it needs a target, the host to run on"),
            step=step_id,
        )
    for flag in ("destructive", "requires_approval"):
        wanted = getattr(edit, flag)
        if wanted is not None and wanted != bool(step.get(flag)):
            step[flag] = wanted
    return step


def _with_executor(
    step: dict[str, Any], executor: str, target: str | None, language: str
) -> dict[str, Any]:
    step_id, current = step["id"], step["executor"]
    if executor not in EXECUTORS:
        raise _Refused(
            gettext_noop("“%(executor)s” is not an executor"), step=step_id, executor=executor
        )
    if executor == "manual":
        return _made_manual(step, language)
    if executor in COMMAND_EXECUTORS and current in COMMAND_EXECUTORS:
        if executor == "shell" and not target:
            step["target"] = LOCAL  # a shell step runs on the console's own worker
        return {**step, "executor": executor}
    raise _Refused(
        gettext_noop(
            "step %(step)s cannot become a %(executor)s step: a %(current)s step can only "
            "become a manual step, or a shell step an ssh step and back"
        ),
        step=step_id,
        executor=executor,
        current=current,
    )


def _made_manual(step: dict[str, Any], language: str) -> dict[str, Any]:
    """A step a person does by hand: what it would have run is shown as its instructions."""
    shown = _command_text(step)
    manual = {
        key: value
        for key, value in step.items()
        if key not in ("argv", "script", "action", "args", "target")
    }
    manual["executor"] = "manual"
    if shown:
        manual["instructions"] = _join_text(shown, step.get("instructions"), "\n\n", language)
    return manual


def _command_text(step: dict[str, Any]) -> str:
    if step.get("script"):
        return str(step["script"])
    if step.get("argv"):
        return _script_of_argv(step["argv"])
    args = [f"{name}: {value}" for name, value in (step.get("args") or {}).items()]
    if not step.get("action") and not args:
        return ""
    action = " ".join(word for word in (step["executor"], step.get("action")) if word)
    return "\n".join([action, *args])


def _set_target(step: dict[str, Any], target: str) -> None:
    step_id = step["id"]
    if not re.fullmatch(SLUG, target):
        raise _Refused(
            gettext_noop("“%(target)s” is not a target name"), step=step_id, target=target
        )
    if step["executor"] == "manual" and target != LOCAL:
        raise _Refused(
            gettext_noop("step %(step)s is done by hand: it has no target"), step=step_id
        )
    step["target"] = target


# Merging a step with the next one.


def _merged(
    steps: list[dict[str, Any]], edits: Mapping[str, StepEdit], language: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The steps with each one marked merge_with_next holding the next; merged id → kept id."""
    merged: list[dict[str, Any]] = []
    merged_into: dict[str, str] = {}
    merging_from: str | None = None
    for step in steps:
        edit = edits.get(step["id"], StepEdit())
        if edit.drop and edit.merge_with_next:
            raise _Refused(
                gettext_noop("step %(step)s cannot be both dropped and merged"),
                step=step["id"],
            )
        if merging_from is not None:
            if edit.drop:
                raise _Refused(
                    gettext_noop("step %(step)s is merged with %(next)s, which is dropped"),
                    step=merging_from,
                    next=step["id"],
                )
            merged[-1] = _merge(merged[-1], step, language)
            merged_into[step["id"]] = merged[-1]["id"]
        else:
            merged.append(step)
        merging_from = step["id"] if edit.merge_with_next else None
    if merging_from is not None:
        raise _Refused(
            gettext_noop("step %(step)s is the last step: there is nothing to merge it with"),
            step=merging_from,
        )
    return merged, merged_into


def _merge(first: dict[str, Any], second: dict[str, Any], language: str) -> dict[str, Any]:
    _mergeable(first, second)
    merged = dict(first)
    if first["executor"] == "manual":
        merged["instructions"] = _join_text(
            first.get("instructions"), second.get("instructions"), "\n\n", language
        )
    else:
        merged.pop("argv", None)
        merged["script"] = _command_text(first) + "\n" + _command_text(second)
    merged["description"] = _join_text(
        first.get("description"), second.get("description"), "\n\n", language
    )
    if not merged["description"]:
        del merged["description"]
    merged["destructive"] = bool(first.get("destructive") or second.get("destructive"))
    merged["requires_approval"] = bool(
        first.get("requires_approval") or second.get("requires_approval")
    )
    merged["params"] = _merged_params(first, second)
    merged["needs"] = _unique([*first.get("needs", []), *second.get("needs", [])], first["id"])
    for limit in ("timeout", "idle_timeout"):
        if first.get(limit) and second.get(limit):
            merged[limit] = max(first[limit], second[limit])
    merged["on_failure"] = first.get("on_failure") or second.get("on_failure")
    return {key: value for key, value in merged.items() if value not in (None, [])}


def _mergeable(first: dict[str, Any], second: dict[str, Any]) -> None:
    ids = {"step": first["id"], "next": second["id"]}
    if first.get("one_of") or second.get("one_of"):
        why = gettext_noop(
            "steps %(step)s and %(next)s cannot be merged: one of them is a way "
            "of a choice (one_of)"
        )
    elif first["executor"] != second["executor"]:
        why = gettext_noop(
            "steps %(step)s and %(next)s cannot be merged: one is a "
            "%(executor)s step, the other a %(other)s step"
        )
        ids.update(executor=first["executor"], other=second["executor"])
    elif first["executor"] not in (*COMMAND_EXECUTORS, "manual"):
        why = gettext_noop(
            "steps %(step)s and %(next)s cannot be merged: only shell, ssh and manual steps can be"
        )
    elif first.get("target", LOCAL) != second.get("target", LOCAL):
        why = gettext_noop(
            "steps %(step)s and %(next)s cannot be merged: they run on "
            "different targets (%(target)s, %(other)s)"
        )
        ids.update(target=first.get("target", LOCAL), other=second.get("target", LOCAL))
    elif len({first.get("on_failure"), second.get("on_failure")} - {None}) > 1:
        why = gettext_noop(
            "steps %(step)s and %(next)s cannot be merged: they fall back to "
            "different steps on failure"
        )
    else:
        return
    raise _Refused(why, **ids)


def _merged_params(first: dict[str, Any], second: dict[str, Any]) -> list[dict[str, Any]]:
    params = {param["name"]: param for param in first.get("params", [])}
    for param in second.get("params", []):
        if params.get(param["name"], param) != param:
            raise _Refused(
                gettext_noop(
                    "steps %(step)s and %(next)s cannot be merged: both have a "
                    "parameter %(name)s, defined differently"
                ),
                step=first["id"],
                next=second["id"],
                name=param["name"],
            )
        params[param["name"]] = param
    return list(params.values())


def _rename_references(runbook: dict[str, Any], merged_into: Mapping[str, str]) -> None:
    """What named a step merged into the one before it now names that step."""
    if not merged_into:
        return
    for step in runbook["steps"]:
        rename = {**merged_into, step["id"]: step["id"]}
        if step.get("needs"):
            needs = _unique([rename.get(need, need) for need in step["needs"]], step["id"])
            step["needs"] = needs
        if step.get("on_failure") in merged_into:
            step["on_failure"] = merged_into[step["on_failure"]]
        if step.get("on_failure") == step["id"]:
            del step["on_failure"]
        for param in step.get("params", []):
            source = param.get("from")
            if isinstance(source, dict) and source.get("step") in merged_into:
                param["from"] = {**source, "step": merged_into[source["step"]]}
    for rule in runbook.get("escalation_rules", []):
        if rule.get("when_step_fails") in merged_into:
            rule["when_step_fails"] = merged_into[rule["when_step_fails"]]


# Dropping steps.


def _drop(runbook: dict[str, Any], edits: Mapping[str, StepEdit]) -> None:
    dropped = {step_id for step_id, edit in edits.items() if edit.drop}
    if not dropped:
        return
    kept = [step for step in runbook["steps"] if step["id"] not in dropped]
    if not kept:
        raise _Refused(gettext_noop("every step of this runbook would be dropped"))
    groups = {step["id"]: step.get("one_of") for step in runbook["steps"]}
    runbook["steps"] = kept
    for step_id in sorted(dropped):
        referrers = _referrers(runbook, step_id, groups[step_id])
        if referrers and not edits[step_id].drop_references:
            raise _Refused(
                gettext_noop(
                    "step %(step)s is referred to by %(others)s (needs, on failure, a "
                    "parameter, a choice or an escalation): confirm removing those "
                    "references to drop it"
                ),
                step=step_id,
                others=", ".join(referrers),
            )
    _forget(runbook, dropped)


def _referrers(runbook: Mapping[str, Any], step_id: str, group: str | None) -> list[str]:
    """What keeps naming ``step_id``: step ids, and escalation rules as ``escalation <id>``.
    The last other way of its choice (``group``) counts: it stops being a choice."""
    ways = [step["id"] for step in runbook["steps"] if group and step.get("one_of") == group]
    names = list(ways) if len(ways) == 1 else []
    for step in runbook["steps"]:
        sources = [
            param.get("from", {}).get("step")
            for param in step.get("params", [])
            if isinstance(param.get("from"), dict)
        ]
        if step_id in (*step.get("needs", []), step.get("on_failure"), *sources):
            names.append(step["id"])
    names += [
        f"escalation {rule.get('id')}"
        for rule in runbook.get("escalation_rules", [])
        if rule.get("when_step_fails") == step_id
    ]
    return names


def _forget(runbook: dict[str, Any], dropped: set[str]) -> None:
    for step in runbook["steps"]:
        needs = [need for need in step.pop("needs", []) if need not in dropped]
        if needs:
            step["needs"] = needs
        if step.get("on_failure") in dropped:
            del step["on_failure"]
        for param in step.get("params", []):
            source = param.get("from")
            if isinstance(source, dict) and source.get("step") in dropped:
                del param["from"]
    if runbook.get("escalation_rules"):
        runbook["escalation_rules"] = [
            rule
            for rule in runbook["escalation_rules"]
            if rule.get("when_step_fails") not in dropped
        ]
    _no_lone_ways(runbook)


def _no_lone_ways(runbook: dict[str, Any]) -> None:
    """A choice (one_of) left with one way is no choice: that way becomes a plain step."""
    ways = Counter(step.get("one_of") for step in runbook["steps"] if step.get("one_of"))
    for step in runbook["steps"]:
        if step.get("one_of") and ways[step["one_of"]] < 2:
            step.pop("one_of")
            step.pop("option", None)


# Validation.


def _invalid(runbook: dict[str, Any]) -> Problem | None:
    try:
        Runbook.model_validate(runbook)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = _where(runbook, error["loc"])
        reason = f"{where}: {error['msg']}" if where else error["msg"]
        return Problem(
            -1,
            gettext_noop("“%(title)s” would not be valid, so nothing was saved: %(reason)s"),
            {
                "title": text_in(runbook.get("title"), runbook.get("language", DEFAULT_LANGUAGE)),
                "reason": reason,
            },
        )
    return None


def _where(runbook: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """``steps.2.target`` said as ``step restart-app, target``."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step_id = runbook["steps"][loc[1]].get("id", loc[1])
        return ", ".join([f"step {step_id}", *(str(part) for part in loc[2:])])
    return ".".join(str(part) for part in loc)


# Text in one or more languages, and small helpers.


def text_in(text: Any, language: str) -> str:
    """A runbook text (a string, or one per language) in ``language``, else in the one it has."""
    if isinstance(text, dict):
        return str(text.get(language) or next(iter(text.values()), ""))
    return str(text or "")


def _set_text(current: Any, value: str, language: str) -> Any:
    if isinstance(current, dict):
        return {**current, language: value}
    return value


def _join_text(first: Any, second: Any, separator: str, language: str = DEFAULT_LANGUAGE) -> Any:
    if not isinstance(first, dict) and not isinstance(second, dict):
        return separator.join(text for text in (first, second) if text)
    first_texts = _by_language(first, language)
    second_texts = _by_language(second, language)
    return {
        code: separator.join(t for t in (first_texts.get(code), second_texts.get(code)) if t)
        for code in {**first_texts, **second_texts}
    }


def _by_language(text: Any, language: str) -> dict[str, str]:
    if isinstance(text, dict):
        return {str(code): str(value) for code, value in text.items()}
    return {language: text} if text else {}


def _unique(ids: list[str], own_id: str) -> list[str]:
    return [step_id for step_id in dict.fromkeys(ids) if step_id != own_id]


def _script_of_argv(argv: list[str]) -> str:
    """argv as one shell command line; a word holding a placeholder stays one word."""
    return " ".join(_shell_word(word) for word in argv)


def _shell_word(word: str) -> str:
    if PLACEHOLDER.fullmatch(word):
        return word
    if PLACEHOLDER.search(word):
        escaped = re.sub(r'([\\"$`])', r"\\\1", word)
        return f'"{escaped}"'
    return shlex.quote(word)
