import threading

import pytest

from executors.base import ExecutorError, Result
from executors.manual import ManualExecutor


def test_marking_a_manual_step_done_records_who_and_the_note():
    executor = ManualExecutor()
    spec = executor.render(
        {"instructions": "Call the lead"},
        {"outcome": "done", "note": "Called Ivan\nHe is on it", "actor": "alice"},
    )
    lines = []
    result = executor.run(spec, lambda s, t: lines.append(t), threading.Event())
    assert result == Result("succeeded", None)
    assert lines == ["Marked done by alice\n", "Called Ivan\n", "He is on it\n"]
    assert executor.describe(spec) == "manual: Call the lead"


def test_skipping_a_manual_step_is_recorded_as_skipped():
    executor = ManualExecutor()
    spec = executor.render({"instructions": ""}, {"outcome": "skipped", "actor": "bob"})
    assert executor.run(spec, lambda s, t: None, threading.Event()).status == "skipped"


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ExecutorError):
        ManualExecutor().render({}, {"outcome": "maybe"})
