"""A site: one customer's setup, as one directory the console reads through this module.

    site.yaml         notification defaults, time zone, language
    targets.yaml      hosts, databases, buckets, endpoints (runbooks/targets.py)
    contacts.yaml     people and escalation levels
    rotation.yaml     who of a level is on call each week, overrides, minutes to acknowledge
                      (optional: runbooks/rotation.py)
    maintenance.yaml  the scheduled duties and the scenarios alerts and failed duties open
    runbooks/         the scenarios (runbooks/loader.py)
    notices/          customer notice templates a customer_notice step drafts from
                      (<name>.txt; <name>.ru.txt when the site speaks Russian)

The console's code names no site's thing: every bucket, prefix, scenario and person comes from
here, and ``site_problems`` reports each name that points nowhere, with its file and line.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runbooks.loader import FastSafeLoader, Path_, RunbookError, _dotted, _line_for, _line_map
from runbooks.rotation import RotationFile
from runbooks.schema import legacy_title_ru
from runbooks.targets import Target
from runbooks.text import EMPTY, Text

FILES = ("site.yaml", "contacts.yaml", "maintenance.yaml", "rotation.yaml")
OPTIONAL_FILES = ("rotation.yaml",)
CheckKind = Literal[
    "backups", "retention", "alerts", "resources", "test_restore", "dr_drill", "sla_review"
]
# What each check needs from its duty, and the target kinds it can act on.
CHECK_NEEDS: dict[str, tuple[str, ...]] = {
    "backups": ("target", "prefix"),
    "dr_drill": ("scenario",),
    "retention": ("target",),
    "resources": ("target",),
    "test_restore": ("scenario",),
}
CHECK_TARGET_KINDS: dict[str, tuple[str, ...]] = {
    "backups": ("s3",),
    "retention": ("s3",),
    "resources": ("local", "ssh"),
}
Cron = Annotated[str, Field(pattern=r"^[0-9*/,-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Notifications(_Strict):
    slack_channel: str = ""
    oncall_email: str = ""


class SiteSettings(_Strict):
    """site.yaml: what settings.py takes as defaults (each still overridable by environment)."""

    name: str
    notifications: Notifications = Notifications()
    time_zone: str = "UTC"
    language: str = "en-us"


class Person(_Strict):
    role: str
    team: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    slack: str = ""
    telegram: str = ""
    url: str = ""
    notes: str = ""
    # How a Markdown runbook may name this person ("devops lead"): the importer's escalations.
    aliases: list[str] = Field(default_factory=list)


class Level(_Strict):
    level: Annotated[int, Field(ge=1)]
    name: str
    after_minutes: Annotated[int, Field(ge=0)] = 0
    description: str = ""
    contacts: list[str] = Field(default_factory=list)


class Contacts(_Strict):
    people: list[Person] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)
    # The role of the person customer notices (a customer_notice step) are emailed to.
    customer: str | None = None


class Schedule(_Strict):
    """A crontab in UTC, as django-celery-beat stores it."""

    minute: Cron = "*"
    hour: Cron = "*"
    day_of_week: Cron = "*"
    day_of_month: Cron = "*"
    month_of_year: Cron = "*"

    @property
    def period(self) -> str:
        if self.day_of_month != "*" or self.month_of_year != "*":
            return "monthly"
        return "weekly" if self.day_of_week != "*" else "daily"


class Duty(_Strict):
    check: CheckKind
    title: str = ""
    description: str = ""
    schedule: Schedule | None = None
    target: str | None = None
    prefix: str | None = None
    scenario: str | None = None
    # Which way of each one_of group of the scenario the duty takes (group → step id).
    ways: dict[str, str] = Field(default_factory=dict)
    opens_incident: bool = False
    max_use_percent: Annotated[int, Field(ge=1, le=100)] = 95

    @model_validator(mode="after")
    def _has_what_its_check_needs(self) -> Duty:
        missing = [name for name in CHECK_NEEDS.get(self.check, ()) if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.check} duty needs {', '.join(missing)}")
        return self


class Checklist(_Strict):
    """A duty a person does: every item ticked, a note written, recorded with their name.

    Its texts come in languages as a runbook's do (a plain string is English, or
    ``{ru: …, en: …}``; ``title_ru`` is still read); an item is ticked by its English."""

    title: Text
    description: Text = EMPTY
    every: Literal["day", "week", "month"]
    items: list[Text] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _title_ru(cls, data: object) -> object:
        return legacy_title_ru(data)


class Maintenance(_Strict):
    # An alert that no runbook lists under `alerts:` opens this scenario.
    unrouted_alert_scenario: str
    # A failed duty with `opens_incident: true` opens this one (default: the one above).
    failed_duty_scenario: str | None = None
    duties: dict[str, Duty] = Field(default_factory=dict)
    checklists: dict[str, Checklist] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names_are_unique(self) -> Maintenance:
        both = sorted(set(self.duties) & set(self.checklists))
        if both:
            raise ValueError(f"a duty and a checklist share the name {', '.join(both)}")
        return self

    @property
    def failure_scenario(self) -> str:
        return self.failed_duty_scenario or self.unrouted_alert_scenario


class Site(_Strict):
    path: Path
    settings: SiteSettings
    contacts: Contacts
    maintenance: Maintenance
    rotation: RotationFile = RotationFile()
    lines: dict[str, dict[Path_, int]] = Field(default_factory=dict, repr=False)

    @property
    def runbooks_dir(self) -> Path:
        return self.path / "runbooks"

    @property
    def targets_file(self) -> Path:
        return self.path / "targets.yaml"

    def notice_template(self, name: str, language: str = "") -> str | None:
        """The text of the customer notice template ``name`` in ``language``
        (notices/<name>.<language>.txt), else its default (notices/<name>.txt), or None."""
        names = [f"{name}.{language}.txt"] if language else []
        for file in [*names, f"{name}.txt"]:
            try:
                return (self.path / "notices" / file).read_text(encoding="utf-8")
            except OSError:
                continue
        return None

    def contact_aliases(self) -> dict[str, str]:
        return {alias.lower(): p.role for p in self.contacts.people for alias in p.aliases}

    def error(self, file: str, loc: Path_, reason: str) -> RunbookError:
        """An error about one field of one of the site's files, with its line."""
        line = _line_for(self.lines.get(file, {}), loc)
        return RunbookError(self.path / file, line, f"{_dotted(loc)}: {reason}")


class SiteError(Exception):
    def __init__(self, errors: list[RunbookError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


def _read(path: Path) -> tuple[object, dict[Path_, int], RunbookError | None]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=FastSafeLoader)
        lines = _line_map(yaml.compose(text, Loader=FastSafeLoader))
    except OSError as exc:
        return None, {}, RunbookError(path, None, f"cannot read file: {exc.strerror}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, {}, RunbookError(path, mark.line + 1 if mark else None, f"invalid YAML: {exc}")
    return data, lines, None


def read_site_settings(path: Path) -> SiteSettings:
    """site.yaml alone, for settings.py; raises SiteError."""
    data, lines, error = _read(Path(path) / "site.yaml")
    if error:
        raise SiteError([error])
    try:
        return SiteSettings.model_validate(data)
    except ValidationError as exc:
        raise SiteError([_validation_error(Path(path) / "site.yaml", (), lines, exc)]) from None


def read_site(path: Path) -> tuple[Site | None, list[RunbookError]]:
    """The site in a directory, or None and every file's first error."""
    path = Path(path)
    models: dict[str, type[BaseModel]] = {
        "site.yaml": SiteSettings,
        "contacts.yaml": Contacts,
        "maintenance.yaml": Maintenance,
        "rotation.yaml": RotationFile,
    }
    parsed: dict[str, BaseModel] = {}
    lines: dict[str, dict[Path_, int]] = {}
    errors: list[RunbookError] = []
    for file, model in models.items():
        if file in OPTIONAL_FILES and not (path / file).exists():
            continue
        data, lines[file], error = _read(path / file)
        if error is None:
            try:
                parsed[file] = model.model_validate(data)
            except ValidationError as exc:
                error = _validation_error(path / file, (), lines[file], exc)
        if error:
            errors.append(error)
    if errors:
        return None, errors
    loaded = Site.model_validate(
        {
            "path": path,
            "settings": parsed["site.yaml"],
            "contacts": parsed["contacts.yaml"],
            "maintenance": parsed["maintenance.yaml"],
            "rotation": parsed.get("rotation.yaml", RotationFile()),
            "lines": lines,
        }
    )
    return loaded, []


def _validation_error(
    path: Path, prefix: Path_, lines: dict[Path_, int], exc: ValidationError
) -> RunbookError:
    first = exc.errors()[0]
    loc = (*prefix, *first["loc"])
    return RunbookError(path, _line_for(lines, loc), f"{_dotted(loc) or 'file'}: {first['msg']}")


def site(path: Path) -> Site:
    """The site in a directory, read again only when one of its files changed."""
    path = Path(path)
    stamps = tuple(_mtime(path / file) for file in FILES)
    return _cached(str(path), stamps)


def _mtime(path: Path) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


@lru_cache(maxsize=4)
def _cached(path: str, stamps: tuple[float | None, ...]) -> Site:
    loaded, errors = read_site(Path(path))
    if loaded is None:
        raise SiteError(errors)
    return loaded


def site_problems(
    site: Site, *, targets: Mapping[str, Target], scenarios: Collection[str]
) -> list[RunbookError]:
    """Every name the site's duties, alert route and levels use that points nowhere."""
    problems: list[RunbookError] = []
    maintenance = site.maintenance
    for field in ("unrouted_alert_scenario", "failed_duty_scenario"):
        slug = getattr(maintenance, field)
        if slug and slug not in scenarios:
            problems.append(site.error("maintenance.yaml", (field,), f"no scenario {slug!r}"))
    for name, duty in maintenance.duties.items():
        problems += _duty_problems(site, name, duty, targets, scenarios)
    roles = {person.role for person in site.contacts.people}
    for index, level in enumerate(site.contacts.levels):
        for position, role in enumerate(level.contacts):
            if role not in roles:
                loc: Path_ = ("levels", index, "contacts", position)
                problems.append(site.error("contacts.yaml", loc, f"no person with role {role!r}"))
    problems += _rotation_problems(site, roles)
    customer = site.contacts.customer
    if customer is not None and customer not in roles:
        problems.append(
            site.error("contacts.yaml", ("customer",), f"no person with role {customer!r}")
        )
    return problems


def _rotation_problems(site: Site, roles: set[str]) -> list[RunbookError]:
    """Each rotation's level and person, and each override's, must exist."""
    problems = []
    levels = {level.level for level in site.contacts.levels}
    named: list[tuple[Path_, int, list[str]]] = [
        (("rotations", index), rotation.level, rotation.people)
        for index, rotation in enumerate(site.rotation.rotations)
    ]
    named += [
        (("overrides", index), cover.level, [cover.role])
        for index, cover in enumerate(site.rotation.overrides)
    ]
    for where, level, people in named:
        if level not in levels:
            reason = f"no escalation level {level} in contacts.yaml"
            problems.append(site.error("rotation.yaml", (*where, "level"), reason))
        for role in people:
            if role not in roles:
                reason = f"no person with role {role!r} in contacts.yaml"
                problems.append(site.error("rotation.yaml", where, reason))
    return problems


def _duty_problems(
    site: Site,
    name: str,
    duty: Duty,
    targets: Mapping[str, Target],
    scenarios: Collection[str],
) -> list[RunbookError]:
    problems = []
    where: Path_ = ("duties", name)
    if duty.target is not None:
        target = targets.get(duty.target)
        kinds = CHECK_TARGET_KINDS.get(duty.check, ())
        if target is None:
            reason = f"no target {duty.target!r} in {site.targets_file.name}"
            problems.append(site.error("maintenance.yaml", (*where, "target"), reason))
        elif target.kind not in kinds:
            reason = (
                f"target {duty.target!r} is a {target.kind} target; "
                f"a {duty.check} duty needs {' or '.join(kinds)}"
            )
            problems.append(site.error("maintenance.yaml", (*where, "target"), reason))
    if duty.scenario is not None and duty.scenario not in scenarios:
        reason = f"no scenario {duty.scenario!r}"
        problems.append(site.error("maintenance.yaml", (*where, "scenario"), reason))
    return problems
