"""The runs' Celery tasks: thin, each imports its service when it runs."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, name="runs.run_step")
def run_step(self, run_id: int) -> None:
    """Execute one queued run.  A redelivered or duplicate message finds it claimed and returns."""
    from incident_console.runs.execution import step_run_execute

    step_run_execute(run_id=run_id, task_id=self.request.id)


@shared_task(name="runs.reap_lost_runs")
def reap_lost_runs() -> int:
    """Housekeeping of runs: declare silent ones lost, send stranded queued ones again, expire
    unanswered approval requests."""
    from incident_console.runs.approvals import approvals_expire
    from incident_console.runs.execution import runs_reap_lost, runs_resend_queued

    runs_resend_queued()
    approvals_expire()
    return runs_reap_lost()
