"""The on-call rotation's maths: plain Python, in the site's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from runbooks.rotation import Cover, LevelRotation, RotationFile, on_call, on_call_next

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year: no DST since 2014
DEVOPS = LevelRotation(
    level=1, people=["Lead DevOps", "Backup DevOps"], starts=date(2025, 1, 6), handover=time(10)
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_first_week_has_the_first_person_primary_and_the_second_secondary():
    now = on_call(DEVOPS, [], utc(2025, 1, 8, 12), MOSCOW)
    assert (now.primary, now.secondary) == ("Lead DevOps", "Backup DevOps")


def test_the_turn_passes_at_the_handover_hour_in_the_site_time_zone():
    # Monday 13 January, 10:00 in Moscow is 07:00 UTC.
    before = on_call(DEVOPS, [], utc(2025, 1, 13, 6, 59), MOSCOW)
    after = on_call(DEVOPS, [], utc(2025, 1, 13, 7, 0), MOSCOW)
    assert before.primary == "Lead DevOps"
    assert (after.primary, after.secondary) == ("Backup DevOps", "Lead DevOps")
    assert after.since == datetime(2025, 1, 13, 10, tzinfo=MOSCOW)
    assert after.until == datetime(2025, 1, 20, 10, tzinfo=MOSCOW)


def test_a_sunday_night_in_utc_that_is_already_monday_in_moscow_is_still_before_the_handover():
    # 23:30 UTC on Sunday is 02:30 Monday in Moscow: the handover at 10:00 has not come.
    assert on_call(DEVOPS, [], utc(2025, 1, 12, 23, 30), MOSCOW).primary == "Lead DevOps"


def test_the_rotation_cycles_through_more_than_two_people():
    three = DEVOPS.model_copy(update={"people": ["A", "B", "C"]})
    weeks = [on_call(three, [], utc(2025, 1, 6 + 7 * n, 12), MOSCOW) for n in range(4)]
    assert [(w.primary, w.secondary) for w in weeks] == [
        ("A", "B"),
        ("B", "C"),
        ("C", "A"),
        ("A", "B"),
    ]


def test_a_moment_before_the_rotation_starts_counts_weeks_backwards():
    assert on_call(DEVOPS, [], utc(2025, 1, 1, 12), MOSCOW).primary == "Backup DevOps"


def test_an_override_puts_its_person_on_duty_for_its_days_only():
    cover = Cover(level=1, role="Tech Lead", first_day=date(2025, 1, 8), last_day=date(2025, 1, 9))
    before = on_call(DEVOPS, [cover], utc(2025, 1, 7, 20, 59), MOSCOW)  # 23:59 on the 7th
    during = on_call(DEVOPS, [cover], utc(2025, 1, 7, 21, 0), MOSCOW)  # 00:00 on the 8th
    after = on_call(DEVOPS, [cover], utc(2025, 1, 9, 21, 0), MOSCOW)  # 00:00 on the 10th
    assert before.primary == after.primary == "Lead DevOps"
    assert (during.primary, during.secondary) == ("Tech Lead", "Backup DevOps")
    assert during.covering == {"primary": "Lead DevOps"}


def test_the_secondary_covering_the_primary_swaps_with_him():
    cover = Cover(
        level=1, role="Backup DevOps", first_day=date(2025, 1, 6), last_day=date(2025, 1, 12)
    )
    now = on_call(DEVOPS, [cover], utc(2025, 1, 8, 12), MOSCOW)
    assert (now.primary, now.secondary) == ("Backup DevOps", "Lead DevOps")


def test_an_override_of_another_level_changes_nothing():
    cover = Cover(level=2, role="Tech Lead", first_day=date(2025, 1, 6), last_day=date(2025, 1, 12))
    assert on_call(DEVOPS, [cover], utc(2025, 1, 8, 12), MOSCOW).primary == "Lead DevOps"


def test_next_is_who_takes_over_at_the_next_handover_with_its_overrides():
    cover = Cover(
        level=1,
        role="Tech Lead",
        first_day=date(2025, 1, 13),
        last_day=date(2025, 1, 13),
        duty="secondary",
    )
    upcoming = on_call_next(DEVOPS, [cover], utc(2025, 1, 8, 12), MOSCOW)
    assert upcoming.since == datetime(2025, 1, 13, 10, tzinfo=MOSCOW)
    assert (upcoming.primary, upcoming.secondary) == ("Backup DevOps", "Tech Lead")


def test_the_file_reads_overrides_with_from_to_and_as():
    parsed = RotationFile.model_validate(
        {
            "rotations": [{"level": 1, "people": ["A", "B"], "starts": "2025-01-06"}],
            "overrides": [
                {
                    "level": 1,
                    "role": "B",
                    "from": "2025-02-01",
                    "to": "2025-02-03",
                    "as": "secondary",
                }
            ],
            "ack_minutes": {"sev1": 5},
        }
    )
    assert parsed.overrides[0].duty == "secondary"
    assert parsed.for_level(1).handover == time(10)


def test_an_override_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValidationError, match="ends before it starts"):
        Cover.model_validate({"level": 1, "role": "A", "from": "2025-02-03", "to": "2025-02-01"})
