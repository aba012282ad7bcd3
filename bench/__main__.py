"""`make bench`: run every benchmark against the service-mode stack, print a table, write JSON."""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import tempfile
from pathlib import Path

from bench import importer, memory, scaleout, streaming
from bench.stack import ROOT, service_stack

RESULTS = ROOT / "bench" / "results.json"


def main() -> int:
    # The stack's processes run in sessions of their own: a SIGTERM (timeout, kill) must still
    # reach service_stack's cleanup, or they outlive the benchmark and serve its Redis db.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    quick = "--quick" in sys.argv
    only = _only(sys.argv)
    sizes = {
        "throughput": 20_000 if quick else 200_000,
        "latency": 300 if quick else 3000,
        "clicks": 10 if quick else 50,
        "concurrent": 10 if quick else 50,
        "concurrent_lines": 500 if quick else 2000,
        "fanout_lines": 300 if quick else 1000,
        "memory_mib": 128 if quick else 1024,
        "scaleout_runs": 100,
        "scaleout_lines": 500 if quick else 2000,
    }
    benchmarks = {
        "throughput": lambda stack: streaming.throughput(
            stack.base, stack.token, sizes["throughput"]
        ),
        "baseline": lambda stack: streaming.baseline(sizes["throughput"]),
        "latency": lambda stack: streaming.latency(stack.base, stack.token, sizes["latency"], 100),
        "click_to_first_line": lambda stack: streaming.click_to_first_line(
            stack.base, stack.token, sizes["clicks"]
        ),
        "concurrency": lambda stack: streaming.concurrency(
            stack.base, stack.token, sizes["concurrent"], sizes["concurrent_lines"]
        ),
        "fanout": lambda stack: streaming.fanout(
            stack.base, stack.token, watchers=100, joiners=20, lines=sizes["fanout_lines"], rate=100
        ),
        "pages": lambda stack: _pages(stack.env),
        "memory": lambda stack: memory.memory(stack, sizes["memory_mib"]),
        "importer": lambda stack: importer.importer(
            stack.base, stack.env, repeat=1 if quick else 3
        ),
    }
    # These start stacks of their own, after the shared one has stopped.
    on_their_own_stacks = {
        "scaleout": lambda var: scaleout.scaleout(
            var, runs=sizes["scaleout_runs"], lines=sizes["scaleout_lines"]
        ),
    }
    var = Path(tempfile.mkdtemp(prefix="bench-"))
    wanted = {name for name in benchmarks if only is None or name in only}
    report = {}
    if wanted:
        with service_stack(var) as stack:
            report = {name: benchmarks[name](stack) for name in benchmarks if name in wanted}
    for name, benchmark in on_their_own_stacks.items():
        if only is None or name in only:
            report[name] = benchmark(var)
    results = _summary(report)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "quick": quick,
    }
    RESULTS.write_text(json.dumps({**results, "details": report}, indent=2))
    _print(results)
    return 0


def _only(argv: list[str]) -> set[str] | None:
    """``--only latency,throughput`` runs just those benchmarks (for a look while working)."""
    if "--only" not in argv:
        return None
    return set(argv[argv.index("--only") + 1].split(","))


def _pages(env: dict) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from bench.pages import pages

    return pages()


def _summary(report: dict) -> dict:
    summary: dict = {}
    for name, summarise in SUMMARIES.items():
        if all(part in report for part in name.split("+")):
            summary.update(summarise(report))
    return summary


def _throughput(report: dict) -> dict:
    return {
        "throughput_lines_per_s": report["throughput"]["lines_per_s"],
        "baseline_lines_per_s": report["baseline"]["lines_per_s"],
        "throughput_ratio": round(
            report["throughput"]["lines_per_s"] / report["baseline"]["lines_per_s"], 3
        ),
    }


def _latency(report: dict) -> dict:
    return {
        "latency_p50_ms": report["latency"]["p50_ms"],
        "latency_p95_ms": report["latency"]["p95_ms"],
        "latency_p99_ms": report["latency"]["p99_ms"],
    }


def _first_line(report: dict) -> dict:
    return {
        "first_line_p50_ms": report["click_to_first_line"]["p50_ms"],
        "first_line_p99_ms": report["click_to_first_line"]["p99_ms"],
    }


def _concurrency(report: dict) -> dict:
    return {
        "concurrent_runs": report["concurrency"]["runs"],
        "concurrent_lost_lines": report["concurrency"]["lost_lines"],
        "concurrent_duplicated_lines": report["concurrency"]["duplicated_lines"],
        "concurrent_lines_per_s": report["concurrency"]["lines_per_s"],
    }


def _fanout(report: dict) -> dict:
    return {
        "fanout_watchers": report["fanout"]["watchers"],
        "fanout_p50_ms": report["fanout"]["p50_ms"],
        "fanout_p99_ms": report["fanout"]["p99_ms"],
        "fanout_lost_lines": report["fanout"]["lost_lines"],
        "fanout_duplicated_lines": report["fanout"]["duplicated_lines"],
        "fanout_joiners_ok": f"{report['fanout']['joiners_ok']}/{report['fanout']['joiners']}",
    }


def _pages_summary(report: dict) -> dict:
    pages = report["pages"]
    return {
        "page_p50_ms": max(pages["incident"]["big"]["p50_ms"], pages["timeline"]["big"]["p50_ms"]),
        "page_queries": max(
            pages["incident"]["big"]["queries"], pages["timeline"]["big"]["queries"]
        ),
        "page_queries_small": max(
            pages["incident"]["small"]["queries"], pages["timeline"]["small"]["queries"]
        ),
        # 1,000 open incidents on the dashboard; 100,000 past ones behind the review list.
        "pages_dashboard_p50_ms": pages["dashboard"]["big"]["p50_ms"],
        "pages_dashboard_queries": pages["dashboard"]["big"]["queries"],
        "pages_dashboard_queries_small": pages["dashboard"]["small"]["queries"],
        "pages_review_p50_ms": pages["review"]["big"]["p50_ms"],
        "pages_review_queries": pages["review"]["big"]["queries"],
        "pages_review_queries_small": pages["review"]["small"]["queries"],
    }


def _memory(report: dict) -> dict:
    found = report["memory"]
    if "skipped" in found:
        return {"memory_skipped": found["skipped"]}
    return {
        "memory_mib_printed": found["mebibytes"],
        "memory_worker_rss_before_mb": found["worker_rss_before_mib"],
        "memory_worker_peak_rss_mb": found["worker_vmhwm_mib"],
        "memory_page_js_heap_mb": found["page_js_heap_peak_mib"],
        "memory_page_dom_nodes": found["page_dom_nodes_peak"],
        "memory_page_evaluate_max_ms": found["page_evaluate_max_ms"],
    }


def _scaleout(report: dict) -> dict:
    found = report["scaleout"]
    one, two = found["1+1"], found["2+2"]
    return {
        "scaleout_runs": two["runs"],
        "scaleout_1x1_lines_per_s": one["lines_per_s"],
        "scaleout_2x2_lines_per_s": two["lines_per_s"],
        "scaleout_ratio": found["ratio"],
        "scaleout_2x2_per_web_lines_per_s": two["per_web_lines_per_s"],
        "scaleout_2x2_per_worker_lines_per_s": two["per_worker_lines_per_s"],
        "scaleout_lost_lines": one["lost_lines"] + two["lost_lines"],
        "scaleout_duplicated_lines": one["duplicated_lines"] + two["duplicated_lines"],
    }


def _importer(report: dict) -> dict:
    return {
        "import_max_s": max(shape["import_s"] for shape in report["importer"].values()),
        "import_preview_max_s": max(shape["preview_s"] for shape in report["importer"].values()),
    }


# Which summary keys come from which benchmarks ("a+b": needs both).
SUMMARIES = {
    "throughput+baseline": _throughput,
    "latency": _latency,
    "click_to_first_line": _first_line,
    "concurrency": _concurrency,
    "fanout": _fanout,
    "pages": _pages_summary,
    "memory": _memory,
    "scaleout": _scaleout,
    "importer": _importer,
}


def _print(results: dict) -> None:
    width = max(len(key) for key in results)
    print(f"{'metric'.ljust(width)}  value")
    for key, value in results.items():
        if key != "machine":
            print(f"{key.ljust(width)}  {value}")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
