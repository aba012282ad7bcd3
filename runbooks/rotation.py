"""Who is on call: a weekly primary/secondary rotation per escalation level, with overrides.

The site's ``rotation.yaml`` is parsed here, and the maths over it is plain Python.  Every
moment is turned into the site's wall-clock time first: a handover at Monday 10:00 happens at
10:00 where the team lives, and an override's dates are the team's calendar days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from runbooks.schema import Severity

WEEK = timedelta(days=7)
Duty = Literal["primary", "secondary"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LevelRotation(_Strict):
    """The people of one level taking turns: week 0 starts on ``starts`` at ``handover``, with
    ``people[0]`` primary and ``people[1]`` secondary; each handover moves everyone one on."""

    level: Annotated[int, Field(ge=1)]
    people: list[str] = Field(min_length=2)
    starts: date
    handover: time = time(10, 0)


class Cover(_Strict):
    """A person covering a duty from one day to another (both included, the site's calendar)."""

    level: Annotated[int, Field(ge=1)]
    role: str
    first_day: date = Field(alias="from")
    last_day: date = Field(alias="to")
    duty: Duty = Field(default="primary", alias="as")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Cover:
        if self.last_day < self.first_day:
            raise ValueError("an override ends before it starts")
        return self

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


class RotationFile(_Strict):
    """rotation.yaml: the rotations, the site's own overrides, and per severity the minutes a
    page waits for an acknowledgement before the next person is paged (a severity left out is
    not paged)."""

    rotations: list[LevelRotation] = Field(default_factory=list)
    overrides: list[Cover] = Field(default_factory=list)
    ack_minutes: dict[Severity, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_rotation_per_level(self) -> RotationFile:
        levels = [rotation.level for rotation in self.rotations]
        if len(levels) != len(set(levels)):
            raise ValueError("two rotations for the same level")
        return self

    def for_level(self, level: int) -> LevelRotation | None:
        return next((r for r in self.rotations if r.level == level), None)


@dataclass(frozen=True)
class OnCall:
    level: int
    primary: str
    secondary: str
    since: datetime
    until: datetime
    # Whom an override put in place of the rotation's own person, by duty.
    covering: dict[str, str]


def on_call(
    rotation: LevelRotation, overrides: Sequence[Cover], at: datetime, zone: ZoneInfo
) -> OnCall:
    """Who is primary and secondary of ``rotation`` at ``at`` (aware), overrides applied; the
    later of two overrides of the same duty and day wins."""
    local = at.astimezone(zone)
    first = datetime.combine(rotation.starts, rotation.handover, tzinfo=zone)
    # Both ends carry the same tzinfo, so the difference is in wall-clock time: a handover
    # stays at its hour on either side of a DST change.
    week = (local - first) // WEEK
    people = rotation.people
    duties = {"primary": people[week % len(people)], "secondary": people[(week + 1) % len(people)]}
    covering: dict[str, str] = {}
    for cover in overrides:
        if cover.level == rotation.level and cover.covers(local.date()):
            covering[cover.duty] = duties[cover.duty]
            duties = _with_cover(duties, cover)
    since = first + week * WEEK
    return OnCall(
        level=rotation.level,
        primary=duties["primary"],
        secondary=duties["secondary"],
        since=since,
        until=since + WEEK,
        covering=covering,
    )


def _with_cover(duties: dict[str, str], cover: Cover) -> dict[str, str]:
    other: Duty = "secondary" if cover.duty == "primary" else "primary"
    if duties[other] == cover.role:
        # Covering the other duty's person: the two swap rather than one doing both.
        return {cover.duty: cover.role, other: duties[cover.duty]}
    return {cover.duty: cover.role, other: duties[other]}


def on_call_next(
    rotation: LevelRotation, overrides: Sequence[Cover], at: datetime, zone: ZoneInfo
) -> OnCall:
    """Who takes over at the next handover."""
    return on_call(rotation, overrides, on_call(rotation, overrides, at, zone).until, zone)
