"""Importer benchmark: Markdown documents of about 1 MB in shapes that once made the importer
backtrack or go quadratic, imported in-process and previewed over HTTP on the running console.

Each shape is either imported or refused (past the importer's limits); either answer must come
in under 2 s.  The in-process figure is the importer alone; the HTTP figure is what a responder
waits for: upload, parse, import, validate, render the preview.
"""

from __future__ import annotations

import http.cookiejar
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from bench.stack import manage

SIZE = 1_000_000  # under IMPORT_MAX_BYTES (1 MiB): a bigger one is answered 413 at once
PASSWORD = "bench-importer-password"


def _fill(text: str, unit: str) -> str:
    return text + unit * ((SIZE - len(text)) // len(unit))


def shapes() -> dict[str, str]:
    command = 'grep -F "<term>" /var/log/' + "app/" * 50 + "x.log | tail -n 50\n"
    scenario = "## Scenario {n}\n**Symptoms:**\n- it broke\n**Actions:**\n```\n{commands}```\n"
    largest = "".join(scenario.format(n=n, commands=command * 10) for n in range(99))
    return {
        "digits after **Escalation:**": _fill("# S\n**Symptoms:**\n- x\n**Escalation:**\n- ", "1"),
        "repeated code blocks": _fill("# S\n**Actions:**\n", "```\nls /tmp\n```\n"),
        "one giant paragraph": _fill("# S\n**Actions:**\n", "word "),
        "deeply nested lists": _fill(
            "# S\n**Symptoms:**\n",
            "".join("  " * depth + "- item\n" for depth in range(200)),
        ),
        "many headings": _fill("## Real\n```\nls\n```\n", "## Heading\nSome text under it.\n"),
        "many scenario headings": _fill("", "## H\n**Symptoms:**\n- x\n```\nls\n```\n"),
        "heading padded with spaces": _fill("# S", " ")[:-20] + "x\n**Actions:**\n- a\n",
        # 250 KB of leading assignments in one command once took the shell scanner 18 s.
        "one command of assignments": "# S\n**Actions:**\n```\n"
        + "a= " * 80_000
        + "echo <name>\n```\n",
        "largest accepted (99 scenarios, 990 commands)": _fill(largest + "\n", "Prose. "),
    }


def importer(base: str, env: dict, repeat: int) -> dict:
    from runbooks.importer import ImportRefused, import_markdown

    session = _login(base, env)
    report = {}
    for name, text in shapes().items():
        local, outcome = [], ""
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                result = import_markdown(text)
                result.yaml_files()
                steps = sum(len(rb["steps"]) for rb in result.runbooks)
                outcome = f"{len(result.runbooks)} runbooks, {steps} steps"
            except ImportRefused as exc:
                outcome = f"refused: {exc}"
            local.append(time.perf_counter() - started)
        http = [_preview(base, session, text) for _ in range(repeat)]
        report[name] = {
            "bytes": len(text.encode()),
            "outcome": outcome,
            "import_s": round(statistics.median(local), 3),
            "preview_s": round(statistics.median(seconds for seconds, _ in http), 3),
            "preview_status": http[-1][1],
        }
    return report


def _login(base: str, env: dict) -> urllib.request.OpenerDirector:
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g; "
        "from incident_console.accounts.roles import role_assign; "
        f"u, _ = g().objects.get_or_create(username='bench-importer'); "
        f"u.set_password('{PASSWORD}'); u.save(); role_assign(u, 'responder')",
    )
    jar = http.cookiejar.CookieJar()
    session = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    session.open(f"{base}/login/", timeout=30).read()
    body = urllib.parse.urlencode(
        {"username": "bench-importer", "password": PASSWORD, "csrfmiddlewaretoken": _csrf(jar)}
    ).encode()
    session.open(f"{base}/login/", body, timeout=30).read()
    session.jar = jar
    return session


def _csrf(jar: http.cookiejar.CookieJar) -> str:
    return next(cookie.value for cookie in jar if cookie.name == "csrftoken")


def _preview(base: str, session, text: str) -> tuple[float, int]:
    boundary = uuid.uuid4().hex
    fields = {"action": "preview", "csrfmiddlewaretoken": _csrf(session.jar)}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="doc.md"\r\n'
        "Content-Type: text/markdown\r\n\r\n".encode()
        + text.encode()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/runbooks/import/",
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    started = time.perf_counter()
    try:
        with session.open(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:  # a refused document is answered 400
        exc.read()
        status = exc.code
    return time.perf_counter() - started, status
