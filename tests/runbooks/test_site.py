"""The site's files read into typed objects, and every name they use checked, without Django."""

import shutil
from pathlib import Path

import pytest

from runbooks.site import read_site, site, site_problems
from runbooks.targets import load_targets
from tests.conftest import lines_naming

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "runbooks" / "sites"


@pytest.fixture
def copy(tmp_path):
    """A copy of the shipped site to break."""
    return Path(shutil.copytree(SITES / "ringo", tmp_path / "ringo"))


def problems(path: Path, scenarios=None) -> list[str]:
    loaded, errors = read_site(path)
    assert not errors
    targets, _ = load_targets(path / "targets.yaml")
    slugs = {p.stem for p in (path / "runbooks").glob("*.yaml")} if scenarios is None else scenarios
    return [str(problem) for problem in site_problems(loaded, targets=targets, scenarios=slugs)]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("name", ["ringo", "example"])
def test_the_shipped_sites_name_only_what_exists(name):
    assert problems(SITES / name) == []


def test_the_default_site_is_the_ringo_one():
    assert (SITES / "default").resolve() == (SITES / "ringo").resolve()


def test_the_ringo_duties_name_their_bucket_prefix_and_scenarios():
    duties = site(SITES / "ringo").maintenance.duties
    assert (duties["backups"].target, duties["backups"].prefix) == (
        "backups-bucket",
        "postgres/full/",
    )
    assert duties["test_restore"].scenario == "test-restore"
    assert duties["dr_drill"].scenario == "database-down"


def test_renaming_the_bucket_target_reports_each_duty_that_names_it(copy):
    replace(copy / "targets.yaml", "  backups-bucket:", "  backup-store:")
    backups, retention = lines_naming(copy / "maintenance.yaml", "target: backups-bucket")
    assert problems(copy) == [
        f"{copy}/maintenance.yaml:{backups}: duties.backups.target: "
        "no target 'backups-bucket' in targets.yaml",
        f"{copy}/maintenance.yaml:{retention}: duties.retention.target: "
        "no target 'backups-bucket' in targets.yaml",
    ]


def test_a_duty_on_a_target_of_the_wrong_kind_is_reported(copy):
    replace(
        copy / "maintenance.yaml",
        "target: backups-bucket\n    prefix:",
        "target: prod-db\n    prefix:",
    )
    assert problems(copy) == [
        f"{copy}/maintenance.yaml:12: duties.backups.target: "
        "target 'prod-db' is a postgres target; a backups duty needs s3"
    ]


def test_a_scenario_that_does_not_exist_is_reported_for_duties_and_alerts(copy):
    slugs = {p.stem for p in (copy / "runbooks").glob("*.yaml")} - {"unknown-alert"}
    assert problems(copy, slugs) == [
        f"{copy}/maintenance.yaml:5: unrouted_alert_scenario: no scenario 'unknown-alert'",
        f"{copy}/maintenance.yaml:6: failed_duty_scenario: no scenario 'unknown-alert'",
    ]


def test_a_level_naming_nobody_of_the_site_is_reported(copy):
    replace(copy / "contacts.yaml", "contacts: [Tech Lead, Backend Lead]", "contacts: [CTO]")
    assert problems(copy) == [
        f"{copy}/contacts.yaml:27: levels[1].contacts[0]: no person with role 'CTO'"
    ]


def test_a_rotation_naming_nobody_of_the_site_is_reported_with_its_line(copy):
    replace(
        copy / "rotation.yaml", "people: [Lead DevOps, Backup DevOps]", "people: [Lead DevOps, CTO]"
    )
    assert problems(copy) == [
        f"{copy}/rotation.yaml:9: rotations[0]: no person with role 'CTO' in contacts.yaml"
    ]


def test_a_site_without_rotation_yaml_pages_nobody(copy):
    (copy / "rotation.yaml").unlink()
    loaded, errors = read_site(copy)
    assert errors == [] and loaded.rotation.rotations == [] and loaded.rotation.ack_minutes == {}


def test_a_backups_duty_without_its_prefix_is_refused_with_file_and_line(copy):
    replace(copy / "maintenance.yaml", "    prefix: postgres/full/\n", "")
    loaded, errors = read_site(copy)
    assert loaded is None
    assert [str(e) for e in errors] == [
        f"{copy}/maintenance.yaml:8: duties.backups: Value error, a backups duty needs prefix"
    ]


def test_an_unknown_field_is_refused_with_file_and_line(copy):
    replace(copy / "site.yaml", "time_zone: Europe/Moscow", "timezone: UTC")
    _, errors = read_site(copy)
    assert [str(e) for e in errors] == [
        f"{copy}/site.yaml:7: timezone: Extra inputs are not permitted"
    ]


def test_the_site_is_read_again_when_a_file_changes(copy):
    assert site(copy).settings.name == "Ringo Uchet"
    replace(copy / "site.yaml", "name: Ringo Uchet", "name: Renamed")
    assert site(copy).settings.name == "Renamed"
