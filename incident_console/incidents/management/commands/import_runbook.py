from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incident_console.site import current_site
from runbooks.importer import ImportRefused, import_markdown


class Command(BaseCommand):
    help = "Turn a Markdown runbook into runbook YAML files; print what could not be mapped."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="directory for the YAML files (default: the site's runbooks/)",
        )
        parser.add_argument("--force", action="store_true", help="overwrite existing files")

    def handle(self, *args, file: Path, out: Path | None, force: bool, **options):
        limit = settings.IMPORT_MAX_BYTES
        try:
            size = file.stat().st_size
            if size > limit:
                raise CommandError(
                    f"{file} is {size} bytes, more than IMPORT_MAX_BYTES ({limit}): "
                    "split it, or raise IMPORT_MAX_BYTES"
                )
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            result = import_markdown(text, contact_aliases=current_site().contact_aliases())
        except ImportRefused as exc:
            raise CommandError(f"{file}: {exc}") from None
        out = out or settings.SITE_DIR / "runbooks"
        out.mkdir(parents=True, exist_ok=True)
        for name, content in result.yaml_files().items():
            path = out / name
            if path.exists() and not force:
                self.stderr.write(f"exists, not overwritten (use --force): {path}")
                continue
            path.write_text(content, encoding="utf-8")
            self.stdout.write(f"wrote {path}")
        for line in result.unmapped:
            self.stdout.write(f"not mapped: {line}")
        self.stdout.write(
            f"{len(result.runbooks)} runbooks, {len(result.unmapped)} notes to review"
        )
