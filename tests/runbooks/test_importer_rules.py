"""The importer's rules, each against a table: which commands are destructive, which only read,
how prompts and database shells are read, what a placeholder becomes."""

import pytest

from runbooks.importer import import_markdown, split_commands
from runbooks.importer.destructive import classify
from runbooks.importer.placeholders import typed

DESTRUCTIVE = [
    "rm -rf /var/lib/app/cache",
    "sudo rm /etc/nginx/sites-enabled/default",
    "kubectl delete pod web-0 -n shop",
    "kubectl -n shop delete pvc data-web-0",
    "oc adm drain node-3 --ignore-daemonsets",
    "kubectl drain node-3",
    "kubectl cordon node-3",
    "kubectl scale deploy/web --replicas=0",
    "kubectl scale deploy/web --replicas 0",
    "kubectl rollout restart deploy/web",
    "helm uninstall web -n shop",
    "helm rollback web 41",
    "redis-cli -h cache FLUSHALL",
    "redis-cli -n 2 flushdb",
    "redis-cli -h cache del session:1",
    "terraform apply -auto-approve",
    "terraform -chdir=infra destroy",
    "terraform state rm aws_instance.web",
    "sudo systemctl stop postgresql",
    "systemctl restart nginx",
    "service nginx stop",
    "pg_restore --clean -d shop dump.custom",
    "pg_restore -c -d shop dump.custom",
    "psql -c 'DELETE FROM orders'",
    "psql -c 'UPDATE users SET active = false;'",
    "psql -c 'TRUNCATE orders'",
    "psql -c 'DROP TABLE orders'",
    "select pg_terminate_backend(4242);",
    "docker rm -f web",
    "docker rmi web:1.2",
    "docker system prune -af",
    "docker compose down",
    "docker-compose restart api",
    "aws s3 rm s3://bucket/key",
    "aws s3 sync . s3://bucket --delete",
    "aws ec2 terminate-instances --instance-ids i-1",
    "gcloud sql instances restart db-1",
    "az vm deallocate -g rg -n vm",
    "find /backups -mtime +7 -delete",
    "kill -9 4242",
    "pkill -f worker",
    "journalctl --vacuum-time=7d",
    "git reset --hard origin/main",
    "iptables -F",
    "ufw deny from 10.0.0.1",
    "mkfs.ext4 /dev/sdb1",
    "dd if=/dev/zero of=/dev/sdb bs=1M",
    "crontab -r",
    "kubectl delete pod web-0 --force --grace-period=0",
    "ssh db-1 'sudo systemctl stop postgresql'",
    "./scripts/restore-postgres.sh latest",
]
READ_ONLY = [
    "kubectl get pods -n shop",
    "kubectl -n shop logs web-0 --since=15m | grep -c timeout",
    "kubectl describe node node-3",
    "oc get clusteroperators",
    "helm list -A",
    "helm history web",
    "redis-cli -h cache INFO memory",
    "redis-cli -h cache CONFIG GET maxmemory",
    "redis-cli --bigkeys",
    "terraform plan",
    "systemctl status nginx",
    "journalctl -u nginx -n 100",
    "psql -c 'SELECT count(*) FROM orders'",
    "docker logs web --tail 100",
    "docker ps",
    "docker compose ps",
    "aws s3 ls s3://bucket/",
    "aws ec2 describe-instances",
    "aws s3 cp s3://bucket/dump.gz /tmp/dump.gz",
    "gcloud compute instances list",
    "az vm show -g rg -n vm",
    "df -h",
    "du -sh /var/lib/postgresql/*",
    "curl -fsS https://shop.example/health",
    "cat /var/log/syslog | tail -n 50",
    "ssh db-1 'df -h'",
    "for host in a b; do ssh $host uptime; done",
    "echo 'the update was dropped'",
]
NEEDS_CONFIRMATION = [
    "kubectl apply -f web.yaml",
    "kubectl scale deploy/web --replicas=3",
    "helm upgrade web ./chart",
    "redis-cli -h cache CONFIG SET maxmemory 2gb",
    "redis-cli -h cache SET key value",
    "psql -c 'DELETE FROM orders WHERE id = 4'",
    "psql -f fix.sql",
    "curl -X POST https://shop.example/api/reindex",
    "sed -i 's/a/b/' /etc/app.conf",
    "echo ok > /etc/motd",
    "lanternfish-admin queue stats",
    "systemctl start nginx",
    "gcloud run services update web --max-instances=10",
]


@pytest.mark.parametrize("command", DESTRUCTIVE)
def test_a_command_a_rule_of_the_table_matches_is_destructive(command):
    assert classify(command).level == "destructive"


@pytest.mark.parametrize("command", READ_ONLY)
def test_a_command_known_to_only_read_runs_with_one_click(command):
    assert classify(command).level == "safe"


@pytest.mark.parametrize("command", NEEDS_CONFIRMATION)
def test_a_command_not_known_to_only_read_needs_confirmation(command):
    assert classify(command).level == "confirm"


def test_an_unknown_command_is_imported_as_needing_confirmation_with_a_note():
    result = import_markdown(
        "# Queue stuck\n## Mitigation\n```bash\nlanternfish-admin drain\n```\n"
    )
    step = result.runbooks[0]["steps"][0]
    assert step["destructive"] is True
    assert any("needs confirmation" in note for note in result.unmapped)


def test_a_terminal_session_gives_commands_and_their_output_apart():
    block = [
        "ops@bastion:~$ kubectl get pods",
        "NAME    READY",
        "web-0   1/1",
        "$ kubectl delete pod web-0 \\",
        ">   --wait=false",
        'pod "web-0" deleted',
    ]
    commands = split_commands(block, "console")
    assert [(c.text, c.expected_output) for c in commands] == [
        ("kubectl get pods", "NAME    READY\nweb-0   1/1"),
        ("kubectl delete pod web-0 \\\n  --wait=false", 'pod "web-0" deleted'),
    ]


def test_in_a_console_block_without_dollar_prompts_a_hash_is_roots_prompt():
    commands = split_commands(["# systemctl status nginx", "active (running)"], "console")
    assert [(c.text, c.expected_output) for c in commands] == [
        ("systemctl status nginx", "active (running)")
    ]


def test_a_string_left_open_continues_the_command_on_the_next_lines():
    block = [
        'psql -qtc "SELECT count(*)',
        "FROM pg_stat_activity",
        "WHERE state <> 'idle';\"",
        "df -h",
    ]
    assert [c.text for c in split_commands(block)] == [
        "psql -qtc \"SELECT count(*)\nFROM pg_stat_activity\nWHERE state <> 'idle';\"",
        "df -h",
    ]


def test_sql_typed_at_psqls_prompt_is_a_query_and_its_output_expected():
    text = (
        "# Sessions\n## Mitigation\n```\nshop=# SELECT count(*)\nshop-#   FROM sessions;\n"
        " count\n-------\n    12\n(1 row)\n\nshop=# \\x\n```\n"
    )
    steps = import_markdown(text).runbooks[0]["steps"]
    query = steps[0]
    assert (query["executor"], query["action"]) == ("postgres", "query")
    assert query["args"]["sql"] == "SELECT count(*)\n  FROM sessions;"
    assert "(1 row)" in query["expected_output"]
    assert steps[1]["executor"] == "manual"  # \x only changes how psql shows rows


def test_a_log_excerpt_or_message_template_without_a_language_is_never_a_command():
    text = (
        "# API errors\n## Diagnosis\nThe log shows:\n\n```\n"
        "2025-03-05T10:12:44Z api WARN store READONLY\n2025-03-05T10:12:49Z api WARN retrying\n"
        "```\n\nPost this:\n\n```\n"
        "Incident: API errors\nStatus: investigating\nImpact: checkout\n```\n"
    )
    result = import_markdown(text)
    assert result.commands == []
    assert [s["executor"] for s in result.runbooks[0]["steps"]] == ["manual", "manual"]


def test_a_document_of_prose_only_is_one_procedure_of_manual_steps():
    text = "# Leaked key\n\n## People\n\nCall the owner.\n\n## Timeline\n\n- found\n- fixed\n"
    result = import_markdown(text)
    (runbook,) = result.runbooks
    assert runbook["title"] == "Leaked key"
    assert {s["executor"] for s in runbook["steps"]} == {"manual"}
    assert any("no commands" in note for note in result.unmapped)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("my_namespace", {"pattern": "[a-z0-9]([-a-z0-9.]*[a-z0-9])?"}),
        ("worker_pod", {"pattern": "[a-z0-9]([-a-z0-9.]*[a-z0-9])?"}),
        ("db_port", {"type": "integer", "min": 0}),
        ("replicas", {"type": "integer", "min": 0}),
        ("backup_dir", {"type": "path"}),
        ("bucket_name", {}),
    ],
)
def test_a_placeholder_is_typed_by_its_name(name, expected):
    param = typed(name, name)
    assert {k: v for k, v in param.items() if k in ("type", "min", "pattern")} == expected


def test_each_placeholder_form_becomes_a_parameter_where_a_value_is_safe():
    text = (
        "# Bucket\n## Mitigation\n```bash\n"
        'aws s3api list-objects --bucket "[BUCKET_NAME]" --region {{region}} '
        "--profile YOUR_PROFILE\n"
        "kubectl -n <my-namespace> get pods\n```\n"
    )
    steps = import_markdown(text).runbooks[0]["steps"]
    assert steps[0]["script"] == (
        'aws s3api list-objects --bucket "{{ bucket_name }}" --region {{ region }} '
        "--profile {{ profile }}"
    )
    assert steps[1]["script"] == "kubectl -n {{ my_namespace }} get pods"
    assert steps[1]["params"][0]["name"] == "my_namespace"


def test_a_placeholder_in_single_quotes_stays_text_and_is_never_a_value():
    text = "# S\n## Mitigation\n```bash\necho '<name>' {{region}}\n```\n"
    result = import_markdown(text)
    step = result.runbooks[0]["steps"][0]
    assert step["script"] == "echo '<name>' {{ region }}"
    assert [p["name"] for p in step["params"]] == ["region"]
    assert any("<name> was left as text" in note for note in result.unmapped)


def test_a_documents_own_braces_in_single_quotes_are_written_so_they_are_not_a_parameter():
    text = "# S\n## Mitigation\n```bash\necho '{{region}}'\n```\n"
    step = import_markdown(text).runbooks[0]["steps"][0]
    assert step["script"] == "echo '<region>'"
    assert "params" not in step


def test_every_line_of_the_seed_is_accounted_for_with_where_it_went():
    from tests.runbooks.test_importer import SEED

    text = SEED.read_text()
    result = import_markdown(text)
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    assert [n for n in lines if n not in result.ledger] == []
    assert result.ledger[37].endswith(
        "title of the code that follows"
    )  # 1. **Проверка статуса БД:**
    assert "notes to review" in result.ledger[10]


def test_a_redis_session_opened_from_a_host_prompt_gives_what_was_typed_and_its_output():
    block = [
        "worker$ redis-cli -h 10.0.0.1",
        "10.0.0.1:6379> info replication",
        "# Replication",
        "role:master",
        "10.0.0.1:6379>",
    ]
    commands = split_commands(block)
    assert [(c.text, c.shell, c.expected_output) for c in commands] == [
        ("redis-cli -h 10.0.0.1", "", ""),
        ("info replication", "redis", "# Replication\nrole:master"),
    ]


def test_a_document_of_thousands_of_prose_sections_lists_a_hundred_and_counts_the_rest():
    text = "## Real\n```\nls\n```\n" + "## Heading\nSome text under it.\n" * 3000
    result = import_markdown(text)
    kept_out = [note for note in result.unmapped if "is not a scenario" in note]
    assert len(kept_out) == 100
    assert result.unmapped[-1] == "… and 2900 more sections that are not scenarios: kept out"
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    assert all(n in result.ledger for n in lines)


def test_an_angle_bracket_placeholder_is_not_read_as_a_redirection():
    assert classify("kubectl -n <my-namespace> get pods").level == "safe"
