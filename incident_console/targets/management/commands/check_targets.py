from django.core.management.base import BaseCommand, CommandError

from incident_console.targets.services import targets_check


class Command(BaseCommand):
    # A diagnosis of the configuration must run when the configuration is wrong.
    requires_system_checks: list[str] = []

    help = (
        "Check every target of the targets file (SSH, PostgreSQL, S3, HTTP, docker): one line "
        "each; exit status 1 when any is not ready."
    )

    def handle(self, *args, **options):
        checks = targets_check()
        for check in checks:
            self.stdout.write(
                f"{check.name}\t{check.kind}\t{check.host}\t{check.get_state_display()}\t"
                f"{check.reason}"
            )
        not_ready = [check.name for check in checks if not check.is_ready]
        if not_ready:
            raise CommandError(f"not ready: {', '.join(not_ready)}", returncode=1)
