"""Targets: the hosts, databases, buckets and endpoints steps act on, from one YAML file.

Credentials are references (``env:NAME`` or ``file:PATH``), never values: they are resolved by
the worker when a step runs, so no secret is stored in the database or shown anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runbooks.loader import FastSafeLoader, RunbookError, _dotted, _line_for, _line_map

TargetKind = Literal["local", "ssh", "postgres", "s3", "http", "docker"]
CREDENTIAL_FIELDS = {
    "ssh": {"private_key", "password"},
    "postgres": {"password"},
    "s3": {"access_key", "secret_key"},
    "http": {"token"},
    "docker": set(),
    "local": set(),
}
LOCAL = "local"


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    kind: TargetKind
    description: str = ""
    # ssh
    host: str | None = None
    port: int | None = None
    user: str | None = None
    known_hosts: str | None = None
    trust_on_first_use: bool = False
    # postgres
    dbname: str | None = None
    sslmode: str = "prefer"
    backups: str | None = Field(default=None, description="an s3 target restores can fetch from")
    # s3
    bucket: str | None = None
    endpoint_url: str | None = None
    region: str = "us-east-1"
    # http
    base_url: str | None = None
    health_path: str | None = Field(default=None, description="what a readiness check GETs")
    # docker
    compose_dir: str | None = None
    via: str | None = Field(default=None, description="an ssh target to run docker on")
    credentials: dict[str, str] = Field(default_factory=dict)

    @field_validator("credentials")
    @classmethod
    def _references_only(cls, credentials: dict[str, str]) -> dict[str, str]:
        for name, reference in credentials.items():
            scheme, _, rest = reference.partition(":")
            if scheme not in ("env", "file") or not rest:
                raise ValueError(
                    f"credential {name} must be a reference (env:NAME or file:PATH), not a value"
                )
        return credentials

    def model_post_init(self, context: Any) -> None:
        required = {
            "ssh": ("host", "user"),
            "postgres": ("host", "dbname", "user"),
            "s3": ("bucket",),
            "http": ("base_url",),
        }.get(self.kind, ())
        missing = [name for name in required if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.kind} target needs {', '.join(missing)}")
        unknown = set(self.credentials) - CREDENTIAL_FIELDS[self.kind]
        if unknown:
            raise ValueError(f"a {self.kind} target has no credential {', '.join(sorted(unknown))}")


DEFAULT_LOCAL = Target(name=LOCAL, kind="local", description="the console's own worker host")


def load_targets(path: Path | None) -> tuple[dict[str, Target], list[RunbookError]]:
    """Targets by name (``local`` always exists) and the errors of the file, if any."""
    targets = {LOCAL: DEFAULT_LOCAL}
    if path is None or not Path(path).exists():
        return targets, [] if path is None else [
            RunbookError(Path(path), None, "targets file does not exist")
        ]
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Loader=FastSafeLoader) or {}
        lines = _line_map(yaml.compose(text, Loader=FastSafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return targets, [
            RunbookError(Path(path), mark.line + 1 if mark else None, f"invalid YAML: {exc}")
        ]
    errors = []
    entries = data.get("targets", {}) if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return targets, [RunbookError(Path(path), 1, "expected a mapping under 'targets'")]
    for name, fields in entries.items():
        try:
            targets[name] = Target.model_validate({"name": name, **(fields or {})})
        except (ValidationError, ValueError) as exc:
            loc: tuple[str | int, ...] = ("targets", name)
            reason = str(exc)
            if isinstance(exc, ValidationError):
                first = exc.errors()[0]
                loc = ("targets", name, *first["loc"])
                reason = f"{_dotted(loc)}: {first['msg']}"
            errors.append(RunbookError(Path(path), _line_for(lines, loc), reason))
    for target in targets.values():
        if target.via and targets.get(target.via, DEFAULT_LOCAL).kind != "ssh":
            errors.append(
                RunbookError(Path(path), None, f"{target.name}: via must name an ssh target")
            )
    return targets, errors
