"""Handing tasks over from a process that has not imported its tasks modules yet."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh process, as a web process just started: eight requests start runs at the same moment.
EIGHT_AT_ONCE = """
import threading, django
django.setup()
from incident_console.background.enqueue import registered_task
barrier, failures = threading.Barrier(8), []
def look_up():
    barrier.wait()
    try:
        registered_task("runs.run_step")
    except Exception as error:
        failures.append(repr(error))
threads = [threading.Thread(target=look_up) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(failures)
"""


def test_eight_threads_finding_a_task_at_once_in_a_fresh_process_all_find_it(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incident_console.settings",
        "VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    for attempt in range(5):
        found = subprocess.run(
            [sys.executable, "-c", EIGHT_AT_ONCE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert found.stdout.strip() == "[]", (attempt, found.stdout, found.stderr[-2000:])
