"""incident_console/runs/executors.py: where executors get what the worker knows."""

from incident_console.runs.executors import build_executor

TARGETS = """\
targets:
  db:
    kind: postgres
    host: 127.0.0.1
    user: ringo_admin
    dbname: ringo
"""


def test_a_postgres_executor_gets_the_workers_environment_for_its_client_programs(
    settings, tmp_path, monkeypatch
):
    (tmp_path / "targets.yaml").write_text(TARGETS)
    settings.TARGETS_FILE = str(tmp_path / "targets.yaml")
    monkeypatch.setenv("IC_WORKER_MARK", "set on the worker")
    built = build_executor("postgres", timeout=5, target="db", resolve=False)
    assert built.executor.env["IC_WORKER_MARK"] == "set on the worker"
