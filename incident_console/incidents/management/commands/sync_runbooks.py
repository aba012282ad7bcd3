from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incident_console.incidents.services import scenarios_sync
from runbooks.targets import load_targets


class Command(BaseCommand):
    help = "Load the runbook files into the console; report every file that does not validate."

    def add_arguments(self, parser):
        parser.add_argument("--strict", action="store_true", help="Exit non-zero on any error.")

    def handle(self, *args, strict: bool = False, **options):
        report = scenarios_sync()
        targets_file = Path(settings.TARGETS_FILE) if settings.TARGETS_FILE else None
        targets, target_errors = load_targets(targets_file)
        self.stdout.write(f"targets: {', '.join(sorted(targets))}")
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
