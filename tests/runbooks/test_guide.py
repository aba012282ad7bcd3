"""The guided order: progress, the next step, needs and alternatives, from runs' statuses."""

from runbooks.guide import runbook_guide
from runbooks.schema import Runbook


def shell(step_id: str, **fields) -> dict:
    return {
        "id": step_id,
        "title": step_id.title(),
        "executor": "shell",
        "argv": ["true"],
        **fields,
    }


RESTORE = Runbook.model_validate(
    {
        "slug": "restore",
        "title": "Restore",
        "steps": [
            shell("stop-writes", on_failure="call-lead"),
            shell("list-backups"),
            shell("download-script", one_of="download", option="with the team's script"),
            shell("download-builtin", one_of="download", option="built in"),
            shell("restore", needs=["download-script"]),
            {"id": "call-lead", "title": "Call the lead", "executor": "manual"},
        ],
    }
)


def guide(statuses: dict, last_failed: str | None = None):
    return runbook_guide(RESTORE, statuses, last_failed)


def states(statuses: dict) -> dict:
    return {step_id: step.state for step_id, step in guide(statuses).steps.items()}


def test_nothing_run_is_none_of_five_done_a_group_counting_once():
    assert (guide({}).done, guide({}).total) == (0, 5)


def test_the_first_step_is_next_when_nothing_has_run():
    assert guide({}).next_step == "stop-writes"
    assert guide({}).steps["stop-writes"].is_next


def test_a_succeeded_step_is_done_and_the_next_one_becomes_next():
    result = guide({"stop-writes": "succeeded"})
    assert result.steps["stop-writes"].state == "done"
    assert result.next_step == "list-backups"
    assert (result.done, result.total) == (1, 5)


def test_a_running_step_stays_next_until_it_succeeds():
    assert guide({"stop-writes": "running"}).next_step == "stop-writes"


def test_a_failed_step_is_open_again():
    assert states({"list-backups": "failed"})["list-backups"] == "open"


def test_after_a_failure_the_step_its_on_failure_names_is_next():
    result = guide({"stop-writes": "failed"}, last_failed="stop-writes")
    assert result.next_step == "call-lead"
    assert result.after_failure_of == "stop-writes"


def test_a_failure_of_a_step_without_on_failure_leaves_the_first_open_step_next():
    result = guide({"stop-writes": "succeeded", "list-backups": "failed"}, "list-backups")
    assert result.next_step == "list-backups"
    assert result.after_failure_of is None


def test_the_on_failure_step_once_done_is_not_next_again():
    statuses = {"stop-writes": "failed", "call-lead": "succeeded"}
    assert guide(statuses, last_failed="stop-writes").next_step == "stop-writes"


def test_a_manual_step_marked_done_counts_as_done():
    result = guide({"call-lead": "succeeded"})
    assert result.steps["call-lead"].state == "done"
    assert result.done == 1


def test_a_skipped_step_is_neither_done_nor_next():
    result = guide({"stop-writes": "skipped"})
    assert result.steps["stop-writes"].state == "skipped"
    assert (result.done, result.next_step) == (0, "list-backups")


def test_a_step_whose_need_has_not_succeeded_is_blocked_with_the_unmet_need():
    restore = guide({"download-script": "failed"}).steps["restore"]
    assert restore.state == "blocked"
    assert restore.unmet_needs == ("download-script",)


def test_a_blocked_step_is_never_next():
    statuses = {"stop-writes": "succeeded", "list-backups": "succeeded"}
    statuses |= {"download-script": "failed", "download-builtin": "failed"}
    assert guide(statuses).next_step == "download-script"
    assert (
        guide({**statuses, "download-script": "skipped", "download-builtin": "skipped"}).next_step
        == "call-lead"
    )


def test_a_need_is_met_when_it_succeeded():
    restore = guide({"download-script": "succeeded"}).steps["restore"]
    assert (restore.state, restore.unmet_needs) == ("open", ())


def test_a_step_needing_a_way_not_taken_is_not_needed_and_leaves_the_progress():
    result = guide({"download-builtin": "succeeded"})
    restore = result.steps["restore"]
    assert (restore.state, restore.unmet_needs) == ("not_needed", ("download-script",))
    assert (result.done, result.total) == (1, 4)


def test_a_step_needing_a_step_that_is_not_needed_is_not_needed_either():
    runbook = Runbook.model_validate(
        {
            "slug": "chain",
            "title": "Chain",
            "steps": [
                shell("script", one_of="way"),
                shell("download", one_of="way"),
                shell("restore", needs=["download"]),
                shell("count-rows", needs=["restore"]),
            ],
        }
    )
    result = runbook_guide(runbook, {"script": "succeeded"})
    assert {k: v.state for k, v in result.steps.items()} == {
        "script": "done",
        "download": "alternative_done",
        "restore": "not_needed",
        "count-rows": "not_needed",
    }
    assert (result.done, result.total, result.next_step) == (1, 1, None)


def test_one_way_succeeding_marks_the_other_done_another_way_and_counts_the_group_once():
    result = guide({"download-builtin": "succeeded"})
    script = result.steps["download-script"]
    assert (script.state, script.done_by) == ("alternative_done", "download-builtin")
    assert result.steps["download-builtin"].state == "done"
    assert result.done == 1


def test_both_ways_succeeding_still_count_the_group_once():
    assert guide({"download-script": "succeeded", "download-builtin": "succeeded"}).done == 1


def test_each_way_names_the_other_ways_of_its_group():
    result = guide({})
    assert result.steps["download-script"].other_ways == ("download-builtin",)
    assert result.steps["download-builtin"].other_ways == ("download-script",)
    assert result.steps["restore"].other_ways == ()


def test_the_next_step_skips_a_group_done_another_way():
    statuses = {"stop-writes": "succeeded", "list-backups": "succeeded"}
    assert guide({**statuses, "download-script": "succeeded"}).next_step == "restore"


def test_when_every_step_is_done_there_is_no_next_step():
    done = dict.fromkeys(["stop-writes", "list-backups", "download-script"], "succeeded")
    result = guide({**done, "restore": "succeeded", "call-lead": "succeeded"})
    assert (result.done, result.total, result.next_step) == (5, 5, None)


def test_a_step_running_before_its_need_succeeded_is_open_not_blocked():
    restore = guide({"restore": "running"}).steps["restore"]
    assert (restore.state, restore.unmet_needs) == ("open", ("download-script",))
