import logging

from celery import shared_task

from incident_console.runs import services

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, name="runs.run_step")
def run_step(self, run_id: int) -> None:
    """Execute one queued run.  A redelivered or duplicate message finds it claimed and returns."""
    services.step_run_execute(run_id=run_id, task_id=self.request.id)


@shared_task(name="runs.reap_lost_runs")
def reap_lost_runs() -> int:
    """Housekeeping of runs: declare silent ones lost, send stranded queued ones again."""
    services.runs_resend_queued()
    return services.runs_reap_lost()
