"""Memory benchmark: one step prints 1 GiB while a browser watches it on the incident page.

Reports the worker's resident memory (before, peak while streaming, the kernel's high-water
mark) and the page's JavaScript heap sampled through Chrome's DevTools protocol, plus how long
the page took to answer a trivial script while the output poured in (is it responsive?).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from bench.stack import Stack, manage
from bench.streaming import open_incident

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"]
STEP = "megabytes"


def memory(stack: Stack, mebibytes: int) -> dict:
    if not Path(CHROMIUM).exists():
        return {"skipped": "Debian's chromium is not installed"}
    from playwright.sync_api import sync_playwright

    username, password = "bench-browser", secrets.token_urlsafe(16)
    manage(
        stack.env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g; "
        f"g().objects.create_superuser({username!r}, '', {password!r})",
    )
    incident = open_incident(stack.base, stack.token)
    worker = stack.workers[0].pid
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = _logged_in_page(browser, stack.base, username, password)
            page.goto(f"{stack.base}/incidents/{incident}/")
            report = _watch(page, worker, mebibytes)
        finally:
            browser.close()
    return {**report, "mebibytes": mebibytes}


def _logged_in_page(browser, base: str, username: str, password: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _watch(page, worker: int, mebibytes: int) -> dict:
    """Run the step from its card and sample the worker and the page until it finishes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    # The nodes of the page left before (a dashboard of 1,000 incidents after the pages
    # benchmark) stay counted until collected: they are not this page's.
    cdp.send("HeapProfiler.collectGarbage")
    rss_before = _rss_mib(worker)
    page.fill(f"#step-{STEP} input[name=mib]", str(mebibytes))
    started = time.perf_counter()
    page.click(f"#step-{STEP} [data-action=run]")
    samples = []
    while not page.query_selector(f"#step-{STEP}.run-succeeded, #step-{STEP}.run-failed"):
        asked = time.perf_counter()
        page.evaluate("1")
        answered_ms = (time.perf_counter() - asked) * 1000
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        samples.append(
            {
                "at_s": round(time.perf_counter() - started, 1),
                "worker_rss_mib": _rss_mib(worker),
                "js_heap_mib": round(metrics["JSHeapUsedSize"] / 2**20, 1),
                "dom_nodes": int(metrics["Nodes"]),
                "evaluate_ms": round(answered_ms, 1),
            }
        )
        page.wait_for_timeout(1000)
    seconds = time.perf_counter() - started
    heap = cdp.send("Runtime.getHeapUsage")
    return {
        "seconds": round(seconds, 1),
        "mib_per_s": round(mebibytes / seconds, 1),
        "status": page.inner_text(f"#step-{STEP} [data-role=status]"),
        "worker_rss_before_mib": rss_before,
        "worker_rss_peak_sampled_mib": max(s["worker_rss_mib"] for s in samples),
        "worker_vmhwm_mib": _status_mib(worker, "VmHWM"),
        "page_js_heap_peak_mib": max(s["js_heap_mib"] for s in samples),
        "page_js_heap_end_mib": round(heap["usedSize"] / 2**20, 1),
        "page_dom_nodes_peak": max(s["dom_nodes"] for s in samples),
        "page_evaluate_p50_ms": sorted(s["evaluate_ms"] for s in samples)[len(samples) // 2],
        "page_evaluate_max_ms": max(s["evaluate_ms"] for s in samples),
        "page_output_lines_shown": page.eval_on_selector(
            f"#step-{STEP} [data-role=output]", "el => el.textContent.split('\\n').length - 1"
        ),
        "samples": samples,
    }


def _rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS")


def _status_mib(pid: int, field: str) -> float:
    """A memory figure of /proc/<pid>/status (kB) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no {field} for process {pid}")
