"""What a commander may change in an imported runbook before saving it, and what is refused."""

from __future__ import annotations

import copy

import pytest

from runbooks.importer.edits import (
    EditsRefused,
    StepEdit,
    apply_edits,
    executors_for,
    references_to,
)
from runbooks.schema import Runbook


def imported() -> list[dict]:
    """A runbook as the importer makes one: command steps, an ssh step, manual steps."""
    return [
        {
            "slug": "queue-stuck",
            "title": "Queue stuck",
            "steps": [
                {
                    "id": "look",
                    "title": "Look at the queue",
                    "executor": "shell",
                    "script": "redis-cli LLEN jobs",
                },
                {
                    "id": "purge",
                    "title": "Purge it",
                    "executor": "shell",
                    "script": "redis-cli DEL jobs",
                    "destructive": True,
                },
                {
                    "id": "restart",
                    "title": "Restart workers",
                    "executor": "ssh",
                    "target": "worker-1",
                    "script": "systemctl restart worker",
                },
                {
                    "id": "tell",
                    "title": "Tell support",
                    "executor": "manual",
                    "instructions": "Post in #support.",
                },
                {
                    "id": "wait",
                    "title": "Wait",
                    "executor": "manual",
                    "instructions": "Wait five minutes.",
                },
                {
                    "id": "check",
                    "title": "Check the site",
                    "executor": "http",
                    "target": "shop",
                    "args": {"url": "https://shop.example/health"},
                },
            ],
        }
    ]


def edit(runbooks: list[dict] | None = None, **steps: StepEdit) -> list[dict]:
    return apply_edits(runbooks or imported(), {0: steps})


def step(runbooks: list[dict], step_id: str) -> dict:
    return next(s for s in runbooks[0]["steps"] if s["id"] == step_id)


def ids(runbooks: list[dict]) -> list[str]:
    return [s["id"] for s in runbooks[0]["steps"]]


def refusal(runbooks: list[dict] | None = None, **steps: StepEdit) -> str:
    with pytest.raises(EditsRefused) as refused:
        edit(runbooks, **steps)
    return str(refused.value)


# Fields of a step.


def test_no_edits_return_the_runbooks_as_they_were():
    assert apply_edits(imported(), {}) == imported()


def test_a_step_is_retitled():
    assert step(edit(look=StepEdit(title="  Count jobs ")), "look")["title"] == "Count jobs"


def test_a_title_in_two_languages_changes_in_the_runbooks_language():
    runbooks = imported()
    runbooks[0]["language"] = "ru"
    runbooks[0]["steps"][0]["title"] = {"en": "Look", "ru": "Посмотреть"}
    edited = edit(runbooks, look=StepEdit(title="Посчитать задачи"))
    assert step(edited, "look")["title"] == {"en": "Look", "ru": "Посчитать задачи"}


def test_an_empty_title_is_refused():
    assert "step look needs a title" in refusal(look=StepEdit(title="  "))


def test_a_step_is_marked_destructive_and_to_be_approved():
    edited = edit(look=StepEdit(destructive=True, requires_approval=True))
    assert step(edited, "look")["destructive"] is True
    assert step(edited, "look")["requires_approval"] is True


def test_a_commander_may_clear_the_destructive_flag():
    assert step(edit(purge=StepEdit(destructive=False)), "purge")["destructive"] is False


def test_a_flag_set_to_what_it_is_changes_nothing():
    edited = edit(
        look=StepEdit(destructive=False, requires_approval=False, title="Look at the queue")
    )
    assert edited == imported()


def test_a_shell_step_becomes_an_ssh_step_on_a_target():
    edited = edit(look=StepEdit(executor="ssh", target="worker-1"))
    assert step(edited, "look") == {
        "id": "look",
        "title": "Look at the queue",
        "executor": "ssh",
        "target": "worker-1",
        "script": "redis-cli LLEN jobs",
    }


def test_a_shell_step_cannot_become_an_ssh_step_without_a_target():
    assert "step look runs over ssh: it needs a target" in refusal(look=StepEdit(executor="ssh"))


def test_an_ssh_step_becomes_a_shell_step_on_the_consoles_worker():
    edited = step(edit(restart=StepEdit(executor="shell")), "restart")
    assert (edited["executor"], edited["target"]) == ("shell", "local")


def test_a_command_step_made_manual_shows_its_command_as_instructions():
    edited = step(edit(purge=StepEdit(executor="manual")), "purge")
    assert edited == {
        "id": "purge",
        "title": "Purge it",
        "executor": "manual",
        "instructions": "redis-cli DEL jobs",
        "destructive": True,
    }
    assert (
        Runbook.model_validate(edit(purge=StepEdit(executor="manual"))[0]).steps[1].script is None
    )


def test_an_argv_step_made_manual_shows_its_words_quoted():
    runbooks = imported()
    runbooks[0]["steps"][0] = {
        "id": "look",
        "title": "Look",
        "executor": "shell",
        "argv": ["grep", "a b", "{{ file }}"],
        "params": [{"name": "file"}],
    }
    edited = step(edit(runbooks, look=StepEdit(executor="manual")), "look")
    assert edited["instructions"] == "grep 'a b' {{ file }}"


def test_an_action_step_made_manual_shows_what_it_would_have_done():
    edited = step(edit(check=StepEdit(executor="manual")), "check")
    assert edited["instructions"] == "http\nurl: https://shop.example/health"
    assert "target" not in edited and "args" not in edited


def test_a_manual_step_cannot_become_a_command_step():
    assert "step tell cannot become a shell step" in refusal(tell=StepEdit(executor="shell"))


def test_an_action_step_cannot_become_a_shell_step():
    assert "step check cannot become a shell step" in refusal(check=StepEdit(executor="shell"))


def test_an_unknown_executor_is_refused():
    assert "“bash” is not an executor" in refusal(look=StepEdit(executor="bash"))


def test_a_target_that_is_not_a_name_is_refused():
    assert "“a host” is not a target name" in refusal(restart=StepEdit(target="a host"))


def test_a_manual_step_gets_no_target():
    assert "step tell is done by hand: it has no target" in refusal(
        tell=StepEdit(target="worker-1")
    )


def test_an_unknown_step_is_refused():
    assert "there is no step nope in this runbook" in refusal(nope=StepEdit(drop=True))


def test_an_unknown_runbook_is_refused():
    with pytest.raises(EditsRefused, match="there is no runbook 2 in this import"):
        apply_edits(imported(), {1: {"look": StepEdit(drop=True)}})


# Merging.


def test_merging_command_steps_joins_their_scripts_and_keeps_the_stronger_flags():
    edited = edit(look=StepEdit(merge_with_next=True))
    assert ids(edited) == ["look", "restart", "tell", "wait", "check"]
    assert step(edited, "look") == {
        "id": "look",
        "title": "Look at the queue",
        "executor": "shell",
        "script": "redis-cli LLEN jobs\nredis-cli DEL jobs",
        "destructive": True,
        "requires_approval": False,
    }


def test_approval_asked_by_either_merged_step_is_kept():
    edited = edit(look=StepEdit(merge_with_next=True), purge=StepEdit(requires_approval=True))
    assert step(edited, "look")["requires_approval"] is True


def test_merging_manual_steps_joins_their_instructions():
    edited = edit(tell=StepEdit(merge_with_next=True))
    assert step(edited, "tell")["instructions"] == "Post in #support.\n\nWait five minutes."
    assert "wait" not in ids(edited)


def test_three_steps_merge_into_the_first():
    edited = edit(
        look=StepEdit(merge_with_next=True),
        purge=StepEdit(merge_with_next=True),
        restart=StepEdit(executor="shell"),
    )
    assert step(edited, "look")["script"] == (
        "redis-cli LLEN jobs\nredis-cli DEL jobs\nsystemctl restart worker"
    )


def test_a_step_made_manual_merges_with_a_manual_step():
    edited = edit(restart=StepEdit(executor="manual", merge_with_next=True))
    assert step(edited, "restart")["instructions"] == (
        "systemctl restart worker\n\nPost in #support."
    )


def test_merging_steps_of_different_executors_is_refused():
    message = refusal(purge=StepEdit(merge_with_next=True))
    assert "steps purge and restart cannot be merged: one is a shell step, the other a ssh" in (
        message
    )


def test_merging_steps_on_different_targets_is_refused():
    message = refusal(
        look=StepEdit(executor="ssh", target="worker-2", merge_with_next=True),
        purge=StepEdit(executor="ssh", target="worker-1"),
    )
    assert "steps look and purge cannot be merged: they run on different targets" in message


def test_merging_action_steps_is_refused():
    runbooks = imported()
    runbooks[0]["steps"].append(dict(runbooks[0]["steps"][-1], id="check-again"))
    message = refusal(runbooks, check=StepEdit(merge_with_next=True))
    assert "only shell, ssh and manual steps can be" in message


def test_merging_the_last_step_is_refused():
    assert "step check is the last step" in refusal(check=StepEdit(merge_with_next=True))


def test_merging_with_a_dropped_step_is_refused():
    message = refusal(look=StepEdit(merge_with_next=True), purge=StepEdit(drop=True))
    assert "step look is merged with purge, which is dropped" in message


def test_what_needed_a_merged_step_needs_the_step_it_went_into():
    runbooks = imported()
    runbooks[0]["steps"][2]["needs"] = ["purge"]
    edited = edit(runbooks, look=StepEdit(merge_with_next=True))
    assert step(edited, "restart")["needs"] == ["look"]


# Dropping.


def test_a_step_is_dropped():
    assert ids(edit(wait=StepEdit(drop=True))) == ["look", "purge", "restart", "tell", "check"]


def test_a_needed_step_is_not_dropped_without_saying_so():
    runbooks = imported()
    runbooks[0]["steps"][2]["needs"] = ["purge"]
    message = refusal(runbooks, purge=StepEdit(drop=True))
    assert "step purge is referred to by restart" in message


def test_a_needed_step_dropped_saying_so_leaves_the_steps_that_needed_it():
    runbooks = imported()
    runbooks[0]["steps"][2]["needs"] = ["purge"]
    runbooks[0]["steps"][3]["on_failure"] = "purge"
    edited = edit(runbooks, purge=StepEdit(drop=True, drop_references=True))
    assert "needs" not in step(edited, "restart")
    assert "on_failure" not in step(edited, "tell")


def test_dropping_one_of_two_ways_makes_the_other_a_plain_step_once_said():
    runbooks = imported()
    for way in runbooks[0]["steps"][3:5]:
        way["one_of"] = "notify"
    assert "step wait is referred to by tell" in refusal(runbooks, wait=StepEdit(drop=True))
    edited = edit(runbooks, wait=StepEdit(drop=True, drop_references=True))
    assert "one_of" not in step(edited, "tell")


def test_dropping_every_step_is_refused():
    every = {step_id: StepEdit(drop=True) for step_id in ids(imported())}
    assert "every step of this runbook would be dropped" in refusal(**every)


def test_a_step_cannot_be_both_dropped_and_merged():
    message = refusal(look=StepEdit(drop=True, merge_with_next=True))
    assert "step look cannot be both dropped and merged" in message


# Validation and what is left alone.


def test_merging_steps_whose_parameter_of_one_name_differs_is_refused():
    runbooks = imported()
    runbooks[0]["steps"][0]["script"] = "echo {{ who }}"
    runbooks[0]["steps"][0]["params"] = [{"name": "who"}]
    runbooks[0]["steps"][1]["script"] = "echo {{ who }}"
    runbooks[0]["steps"][1]["params"] = [{"name": "who", "label": "another"}]
    message = refusal(runbooks, look=StepEdit(merge_with_next=True))
    assert "both have a parameter who, defined differently" in message


def test_an_edit_that_leaves_a_runbook_invalid_is_reported_for_that_runbook():
    runbooks = imported() + imported()
    runbooks[1]["slug"] = "queue-stuck-2"
    runbooks[1]["steps"][5] = {
        "id": "count",
        "title": "Count rows",
        "executor": "postgres",
        "target": "db",
        "action": "query",
        "args": {"sql": "select count(*) from {{ table | identifier }}"},
        "params": [{"name": "table"}],
    }
    with pytest.raises(EditsRefused) as refused:
        apply_edits(runbooks, {1: {"count": StepEdit(executor="manual")}})
    (problem,) = refused.value.problems
    assert problem.runbook == 1
    assert str(problem) == (
        "“Queue stuck” would not be valid, so nothing was saved: step count: Value error, "
        "a | filter in a placeholder is only allowed in a postgres query"
    )


def test_every_refused_runbook_is_reported():
    edits = {0: {"nope": StepEdit()}, 1: {"look": StepEdit(executor="bash")}}
    with pytest.raises(EditsRefused) as refused:
        apply_edits(imported() + imported(), edits)
    assert [p.runbook for p in refused.value.problems] == [0, 1]


def test_the_runbooks_given_are_never_changed():
    runbooks = imported()
    before = copy.deepcopy(runbooks)
    edit(
        runbooks,
        look=StepEdit(merge_with_next=True, title="x"),
        tell=StepEdit(drop=True),
        restart=StepEdit(executor="manual"),
    )
    assert runbooks == before


def test_a_refusal_changes_nothing():
    runbooks = imported()
    before = copy.deepcopy(runbooks)
    with pytest.raises(EditsRefused):
        edit(
            runbooks,
            look=StepEdit(title="new", executor="manual"),
            check=StepEdit(merge_with_next=True),
        )
    assert runbooks == before


def test_every_edited_runbook_loads():
    edited = edit(
        look=StepEdit(merge_with_next=True, title="Count and purge"),
        restart=StepEdit(executor="shell"),
        tell=StepEdit(merge_with_next=True),
        check=StepEdit(drop=True),
    )
    loaded = Runbook.model_validate(edited[0])
    assert [s.id for s in loaded.steps] == ["look", "restart", "tell"]


def test_a_command_step_may_become_shell_ssh_or_manual_an_action_step_only_manual():
    steps = {s["id"]: s for s in imported()[0]["steps"]}
    assert executors_for(steps["look"]) == ("shell", "ssh", "manual")
    assert executors_for(steps["check"]) == ("http", "manual")
    assert executors_for(steps["tell"]) == ("manual",)


def test_the_references_to_a_step_are_what_dropping_it_would_remove():
    runbook = imported()[0]
    runbook["steps"][2]["needs"] = ["purge"]
    runbook["escalation_rules"] = [{"id": "stuck", "notify": ["lead"], "when_step_fails": "purge"}]
    assert references_to(runbook, "purge") == ["restart", "escalation stuck"]
    assert references_to(runbook, "look") == []


def test_a_target_sent_as_it_was_is_no_change_when_the_executor_changes():
    made_manual = step(edit(restart=StepEdit(executor="manual", target="worker-1")), "restart")
    assert "target" not in made_manual
    made_shell = step(edit(restart=StepEdit(executor="shell", target="worker-1")), "restart")
    assert made_shell["target"] == "local"


def test_a_shell_step_sent_with_its_local_target_cannot_become_an_ssh_step():
    message = refusal(look=StepEdit(executor="ssh", target="local"))
    assert "step look runs over ssh: it needs a target" in message
