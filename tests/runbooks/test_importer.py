"""Importing Markdown runbooks: the customer's seed document and three other shapes."""

import subprocess
import sys
from pathlib import Path

import pytest

from executors.placeholders import PLACEHOLDER
from runbooks.importer import ImportRefused, dump_yaml, import_markdown, split_commands
from runbooks.importer.slugs import Unique
from runbooks.loader import parse_runbook_text
from runbooks.schema import Runbook
from runbooks.site import site

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "markdown"
# The customer's document as it was handed over (../shared/seed/runbooks.md), kept with the tests.
SEED = FIXTURES / "ringo-runbooks.md"
# Every Markdown fixture, ours and those shaped like public runbooks (patterns/).
MARKDOWN_FIXTURES = sorted(p for p in FIXTURES.rglob("*.md") if p.name != "SOURCES.md")
# How the customer's documents name their people: the Ringo site's contacts.yaml.
ALIASES = site(ROOT / "runbooks" / "sites" / "ringo").contact_aliases()


def runbooks_of(path: Path) -> dict[str, dict]:
    result = import_markdown(path.read_text(), contact_aliases=ALIASES)
    for runbook in result.runbooks:
        Runbook.model_validate(runbook)
    return {rb["title"]: rb for rb in result.runbooks}


def steps_of(runbook: dict) -> dict[str, dict]:
    return {step["title"]: step for step in runbook["steps"]}


@pytest.fixture(scope="module")
def seed():
    return runbooks_of(SEED)


def test_the_seed_gives_its_six_scenarios_and_two_procedures(seed):
    scenarios = [t for t, rb in seed.items() if rb["kind"] == "scenario"]
    assert scenarios == [
        "Недоступность базы данных",
        "Потеря данных в базе данных",
        "Недоступность API сервера",
        "Переполнение диска",
        "Утечка секретов/компрометация",
        "Потеря S3 данных",
    ]
    assert {"Восстановление из полного бэкапа", "Тестирование восстановления"} <= set(seed)


def test_symptoms_alerts_and_recovery_time_are_mapped(seed):
    database = seed["Недоступность базы данных"]
    assert database["symptoms"][0] == "API возвращает 500 ошибки"
    assert database["alerts"] == ["DatabaseDown"]
    assert database["expected_recovery"] == {"min_minutes": 30, "max_minutes": 120}
    assert seed["Потеря S3 данных"]["expected_recovery"] == {"min_minutes": 60, "max_minutes": 1440}


def test_commands_map_to_their_executors_with_parameters(seed):
    steps = steps_of(seed["Недоступность базы данных"])
    check = steps["Проверка статуса БД: Проверка подключения"]
    assert (check["executor"], check["action"], check["args"]["sql"]) == (
        "postgres",
        "query",
        "SELECT 1;",
    )
    health = steps["Проверка статуса БД: Проверка статуса через health check"]
    assert (health["executor"], health["args"]["url"]) == ("http", "http://api:8000/api/health/")
    restart = steps[
        "Перезапуск БД (если это не поможет, переходим к восстановлению): Или для production"
    ]
    assert (restart["executor"], restart["target"], restart["script"]) == (
        "ssh",
        "prod-host",
        "systemctl restart postgresql",
    )
    assert restart["destructive"] is True
    download = steps["Восстановление из бэкапа (если БД повреждена): Скачать последний бэкап из S3"]
    assert (download["executor"], download["action"], download["args"]["key"]) == (
        "s3",
        "download",
        "postgres/full/latest.sql.gz",
    )
    logs = steps_of(seed["Недоступность базы данных"])["Проверка логов (2)"]
    assert (logs["action"], logs["args"]["container"], logs["args"]["match"]) == (
        "logs",
        "django-api",
        "database",
    )


def test_destructive_commands_are_flagged(seed):
    destructive = {s["title"] for rb in seed.values() for s in rb["steps"] if s.get("destructive")}
    for expected in (
        "Очистка Docker",
        "Блокировать подозрительные IP",
        "Отозвать скомпрометированные ключи",
    ):
        assert expected in destructive
    safe = steps_of(seed["Переполнение диска"])["Проверка использования диска (1)"]
    assert not safe.get("destructive")


def test_dollar_variables_become_declared_parameters(seed):
    steps = steps_of(seed["Потеря данных в базе данных"])
    download = steps["Восстановление из бэкапа: Скачать и восстановить"]
    assert download["args"]["key"] == "postgres/full/{{ backup_file }}"
    assert download["params"] == [{"name": "backup_file", "label": "$BACKUP_FILE"}]
    check = steps_of(seed["Недоступность базы данных"])["Проверка статуса БД: Проверка подключения"]
    assert check["action"] == "query"


def test_escalation_with_a_time_and_a_contact_becomes_a_rule_the_rest_notes(seed):
    api = seed["Недоступность API сервера"]
    assert api["escalation_rules"] == [
        {
            "id": "escalate-1",
            "after_minutes": 15,
            "until": "resolved",
            "notify": ["Lead DevOps"],
            "message": "Если проблема не решается за 15 минут → связаться с DevOps Lead",
        }
    ]
    assert "Если критично → связаться с Tech Lead" in api["escalation"]


def test_a_code_block_of_comments_only_is_a_manual_step_and_a_lone_comment_a_note(seed):
    pitr = steps_of(seed["Потеря данных в базе данных"])[
        "Point-in-Time Recovery (если используется WAL)"
    ]
    assert pitr["executor"] == "manual"
    assert "Требует настройки PITR (Point-In-Time Recovery)" in pitr["instructions"]
    leak = seed["Утечка секретов/компрометация"]["notes"]
    assert any("Django автоматически обработает через token_blacklist" in note for note in leak)


def test_an_english_document_with_third_level_headings_imports(tmp_path):
    runbooks = runbooks_of(FIXTURES / "english.md")
    payments = runbooks["Payment API returns 502"]
    assert payments["alerts"] == ["PaymentsDown"]
    assert payments["expected_recovery"] == {"min_minutes": 10, "max_minutes": 45}
    steps = steps_of(payments)
    assert steps["Diagnosis: Is the service healthy?"]["executor"] == "http"
    assert steps["Diagnosis: Recent errors"]["args"] == {
        "container": "payments-api",
        "tail": "200",
        "match": "error",
    }
    restart = steps["Mitigation: Restart the worker pool"]
    assert (restart["executor"], restart["target"], restart["destructive"]) == (
        "ssh",
        "payments-host",
        True,
    )
    purge = steps["Mitigation: Purge the stuck queue"]
    assert purge["script"] == "redis-cli -h {{ redis_host }} DEL payments:queue"
    assert purge["params"] == [{"name": "redis_host", "label": "redis host"}]
    assert payments["escalation_rules"][0]["notify"] == ["Tech Lead"]
    assert "Tell finance if refunds were affected" in payments["escalation"]


def test_prompts_are_stripped_output_dropped_and_multi_line_commands_kept_whole():
    runbooks = runbooks_of(FIXTURES / "prompts.md")
    redis = runbooks["Redis out of memory"]
    scripts = [s["script"] for s in redis["steps"]]
    assert scripts[0] == "redis-cli info memory | grep used_memory_human"
    assert scripts[1] == "redis-cli config get maxmemory"
    assert scripts[2].startswith("for key in $(redis-cli --scan --pattern 'tmp:*'); do")
    assert scripts[2].endswith("done")
    assert scripts[3] == "cat > /tmp/redis-note.txt <<EOF\nflushed tmp keys\nEOF"
    assert scripts[4] == "redis-cli memory purge \\\n  && echo purged"
    assert redis["expected_recovery"] == {"min_minutes": 120, "max_minutes": 120}
    assert not any("used_memory_human:3.98G" in s for s in scripts)


def test_a_runbook_without_code_becomes_manual_steps_without_losing_text():
    office = runbooks_of(FIXTURES / "no-code.md")["Office internet is down"]
    assert [s["executor"] for s in office["steps"]] == ["manual"] * 3
    assert office["steps"][1]["instructions"] == "Power-cycle the router and wait five minutes."
    assert office["escalation"] == [
        "If it is not back in 2 hours, tell the office manager to send people home."
    ]


@pytest.mark.parametrize(
    "text", ["", "   \n\n", "just a sentence, no headings or code", "\x00\x01"]
)
def test_an_empty_or_broken_document_is_refused_with_a_clear_error(text):
    with pytest.raises(ImportRefused):
        import_markdown(text)


def test_split_commands_keeps_comments_as_titles():
    commands = split_commands(["# check", "df -h", "", "du -sh /x"])
    assert [(command.comment, command.text) for command in commands] == [
        ("check", "df -h"),
        ("", "du -sh /x"),
    ]


# Placeholders stand only where the loader accepts them (executors/shellwords.py).


def placeholders_in_single_quotes(script: str) -> list[int]:
    """Offsets of the {{ placeholders }} of a script that stand inside '…'."""
    found, quote, i = [], None, 0
    while i < len(script):
        char = script[i]
        if char == "\\" and quote != "'":
            i += 2
            continue
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
        elif quote == "'" and PLACEHOLDER.match(script, i):
            found.append(i)
        i += 1
    return found


@pytest.mark.parametrize("path", MARKDOWN_FIXTURES, ids=lambda p: p.name)
def test_no_imported_script_has_a_placeholder_inside_single_quotes(path):
    for runbook in import_markdown(path.read_text()).runbooks:
        for step in runbook["steps"]:
            assert placeholders_in_single_quotes(step.get("script", "")) == [], step


@pytest.mark.parametrize("path", MARKDOWN_FIXTURES, ids=lambda p: p.name)
def test_every_imported_runbook_loads(path, tmp_path):
    for runbook in import_markdown(path.read_text(), contact_aliases=ALIASES).runbooks:
        _, error = parse_runbook_text(dump_yaml(runbook), tmp_path / "x.yaml")
        assert error is None


@pytest.fixture(scope="module")
def quoting():
    return steps_of(runbooks_of(FIXTURES / "quoting.md")["A customer cannot find their order"])


def test_a_placeholder_inside_double_quotes_becomes_a_parameter(quoting):
    step = quoting["Diagnosis: Find the search term in the log"]
    assert step["script"] == 'grep -F "{{ search_term }}" /var/log/search/app.log'
    assert step["params"] == [{"name": "search_term", "label": "search term"}]


@pytest.mark.parametrize(
    ("title", "script"),
    [
        ("Diagnosis: Echo the customer's name back", "echo '<quoted name>'"),
        (
            "Diagnosis: Write a note for the next shift",
            "cat > /tmp/search-note.txt <<EOF\nlooked for <search term>\nEOF",
        ),
        (
            "Diagnosis: Look on the search host",
            "ssh -i ~/.ssh/ops search-1 \"grep -c '<search term>' /var/log/search/app.log\"",
        ),
        (
            "Diagnosis: Run the reindex job for one customer",
            'bash -c "reindex --customer <customer id>"',
        ),
    ],
)
def test_a_placeholder_where_no_value_is_safe_stays_text(quoting, title, script):
    assert quoting[title]["script"] == script
    assert "params" not in quoting[title]


def test_a_placeholder_left_as_text_is_a_note_to_review():
    runbook = runbooks_of(FIXTURES / "quoting.md")["A customer cannot find their order"]
    notes = [note for note in runbook["notes"] if "was left as text" in note]
    assert notes[0] == (
        "step diagnosis-echo-the-customer-s-name-back: <quoted name> was left as text, "
        "not made a parameter: it is inside single quotes: close the quotes before it, "
        "or use double quotes"
    )
    assert len(notes) == 4


# Linear time on any input.

ADVERSARIAL = {
    "digits after an escalation label": "# S\n**Symptoms:**\n- x\n**Escalation:**\n- "
    + "1" * 1_000_000,
    "a recovery time of a million digits": "# S\n**Symptoms:**\n- x\n**Recovery time:** "
    + "1" * 1_000_000,
    "repeated code blocks": "# S\n**Actions:**\n" + "```\nls /tmp\n```\n" * 70_000,
    "a heading padded with spaces": "# S" + " " * 1_000_000 + "x\n**Actions:**\n- a\n",
    "a fence padded with spaces": "# S\n```" + " " * 1_000_000 + "!\nls\n```\n",
    "one giant paragraph": "# S\n**Actions:**\n" + "word " * 200_000,
    "deeply nested lists": "# S\n**Symptoms:**\n"
    + "".join("  " * (i % 500) + "- item\n" for i in range(5000)),
    "many headings": "".join(f"## H{i}\n**Symptoms:**\n- x\n```\nls\n```\n" for i in range(30_000)),
    "many placeholders": "# S\n```\necho " + " ".join(f"<p{i}>" for i in range(30_000)) + "\n```\n",
    "many backticked symptoms": "# S\n**Symptoms:**\n- " + "`AB` " * 200_000 + "\n",
}
IMPORT_ONE = """
import sys
from runbooks.importer import ImportRefused, import_markdown
try:
    result = import_markdown(sys.stdin.read())
    print(len(result.runbooks), sum(len(rb["steps"]) for rb in result.runbooks))
except ImportRefused as exc:
    print("refused:", exc)
"""


@pytest.mark.parametrize("shape", ADVERSARIAL)
def test_an_adversarial_megabyte_is_imported_or_refused_at_once(shape):
    # A guard, not a benchmark (bench/ measures): before the fix some of these ran for hours.
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ONE],
        input=ADVERSARIAL[shape],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_numbering_equal_step_titles_costs_one_look_up_more_per_title():
    def look_ups(count: int) -> int:
        unique = Unique()
        for _ in range(count):
            unique.take("ls-tmp")
        return unique.probes

    assert look_ups(2000) == 2 * look_ups(1000) + 1


def test_equal_step_titles_are_numbered():
    result = import_markdown("# S\n```\n" + "ls /tmp\n" * 12 + "```\n")
    ids = [step["id"] for step in result.runbooks[0]["steps"]]
    assert ids == ["ls-tmp"] + [f"ls-tmp-{n}" for n in range(2, 13)]


def test_a_heading_keeps_its_text_without_closing_hashes():
    result = import_markdown("## Disk full ##\n```\ndf -h\n```\n")
    assert result.runbooks[0]["title"] == "Disk full"


def test_an_escalation_rule_still_reads_its_minutes():
    text = "# S\n**Symptoms:**\n- x\n**Escalation:**\n- After 20 minutes call the Tech Lead\n"
    result = import_markdown(text, contact_aliases=ALIASES)
    assert result.runbooks[0]["escalation_rules"][0]["after_minutes"] == 20


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("# S\n```\n" + "ls /tmp\n" * 1001 + "```\n", "more than 1000 steps"),
        ("# S\n" + "```\nls\n```\n" * 2001, "more than 2000 code blocks"),
        ("".join(f"# S{i}\n```\nls\n```\n" for i in range(101)), "more than 100 scenarios"),
        ("# S\n```\necho " + "x" * 300_000 + "\n```\n", "more than 262144 characters of commands"),
        (
            "# S\n```\n" + "".join(f"echo $A{i} $B{i} $C{i}\n" for i in range(400)) + "```\n",
            "more than 1000 parameters",
        ),
    ],
    ids=["steps", "code blocks", "scenarios", "command characters", "parameters"],
)
def test_a_document_past_a_limit_is_refused_clearly(text, refusal):
    with pytest.raises(ImportRefused, match=f"the document has {refusal}: split it"):
        import_markdown(text)


def test_a_long_title_gives_a_slug_a_scenario_row_can_hold():
    title = "Payments are failing for every customer in every region " * 3
    result = import_markdown(f"# {title}\n```\nls\n```\n")
    assert result.runbooks[0]["slug"] == "payments-are-failing-for-every-customer-in-every-r"


def test_without_the_site_s_aliases_an_escalation_stays_text():
    text = "# S\n**Symptoms:**\n- x\n**Escalation:**\n- After 20 minutes call the Tech Lead\n"
    runbook = import_markdown(text).runbooks[0]
    assert (runbook.get("escalation_rules"), runbook["escalation"]) == (
        None,
        ["After 20 minutes call the Tech Lead"],
    )
