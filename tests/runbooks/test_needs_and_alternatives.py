"""What the schema accepts for needs, one_of and option, and what it refuses with a reason."""

import pytest
from pydantic import ValidationError

from runbooks.schema import Runbook


def runbook(*steps: dict) -> Runbook:
    return Runbook.model_validate({"slug": "x", "title": "X", "steps": list(steps)})


def step(step_id: str, **fields) -> dict:
    return {"id": step_id, "title": step_id, "executor": "manual", **fields}


def test_a_step_may_need_an_earlier_step():
    loaded = runbook(step("download"), step("restore", needs=["download"]))
    assert loaded.step("restore").needs == ["download"]


def test_a_step_may_not_need_a_later_step():
    with pytest.raises(ValidationError, match="step restore: needs check, which is not an earlier"):
        runbook(step("restore", needs=["check"]), step("check"))


def test_a_step_may_not_need_itself():
    with pytest.raises(
        ValidationError, match="step restore: needs restore, which is not an earlier"
    ):
        runbook(step("restore", needs=["restore"]))


def test_a_step_may_not_need_an_unknown_step():
    with pytest.raises(ValidationError, match="needs nowhere, which is not an earlier step"):
        runbook(step("restore", needs=["nowhere"]))


def test_a_one_of_group_of_two_ways_lists_them_in_runbook_order():
    loaded = runbook(
        step("compose", one_of="restart", option="with compose"),
        step("between"),
        step("host", one_of="restart", option="on the production host"),
    )
    assert [way.id for way in loaded.ways("restart")] == ["compose", "host"]
    assert [way.option for way in loaded.ways("restart")] == [
        "with compose",
        "on the production host",
    ]


def test_a_one_of_group_with_a_single_way_is_refused():
    with pytest.raises(ValidationError, match="one_of group restart has a single step"):
        runbook(step("compose", one_of="restart", option="with compose"), step("other"))


def test_an_option_without_one_of_is_refused():
    with pytest.raises(ValidationError, match="option names one way of a one_of group"):
        runbook(step("compose", option="with compose"))


def test_a_one_of_name_must_be_a_slug():
    with pytest.raises(ValidationError, match="one_of"):
        runbook(step("a", one_of="Re Start"), step("b", one_of="Re Start"))
