from django.core.management.base import BaseCommand, CommandError

from incident_console.site import current_site, site_load
from runbooks.site import SiteError


class Command(BaseCommand):
    help = (
        "Write the site's contacts, escalation levels and duty schedules into the console "
        "(what exists is kept as edited in the admin unless --update)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--update", action="store_true", help="Overwrite existing rows with the site's."
        )

    def handle(self, *args, update: bool = False, **options):
        try:
            name = current_site().settings.name
            summary = site_load(update=update)
        except SiteError as error:
            raise CommandError(str(error)) from None
        for what, items in (
            ("created", summary.created),
            ("updated", summary.updated),
            ("disabled", summary.disabled),
        ):
            for item in items:
                self.stdout.write(f"{what} {item}")
        self.stdout.write(
            f"site {name}: {len(summary.created)} created, {len(summary.updated)} updated, "
            f"{len(summary.disabled)} disabled"
        )
