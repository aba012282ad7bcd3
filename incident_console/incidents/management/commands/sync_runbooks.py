from django.core.management.base import BaseCommand, CommandError

from incident_console.incidents.services import scenarios_sync
from incident_console.runs.targets_sync import targets_sync


class Command(BaseCommand):
    help = "Load the runbook files into the console; report every file that does not validate."

    def add_arguments(self, parser):
        parser.add_argument("--strict", action="store_true", help="Exit non-zero on any error.")

    def handle(self, *args, strict: bool = False, **options):
        report = scenarios_sync()
        target_names, target_errors = targets_sync()
        self.stdout.write(f"targets: {', '.join(target_names)}")
        report.errors.extend(target_errors)
        for loaded in report.runbooks:
            self.stdout.write(
                f"loaded {loaded.runbook.slug} ({loaded.path.name}, {loaded.version})"
            )
        for error in report.errors:
            self.stderr.write(self.style.ERROR(str(error)))
        summary = f"{len(report.runbooks)} runbooks loaded, {len(report.errors)} with errors"
        if report.errors and strict:
            raise CommandError(summary)
        self.stdout.write(summary)
