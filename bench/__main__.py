"""`make bench`: run every benchmark against the service-mode stack, print a table, write JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from bench import importer, streaming
from bench.stack import ROOT, service_stack

RESULTS = ROOT / "bench" / "results.json"


def main() -> int:
    quick = "--quick" in sys.argv
    sizes = {
        "throughput": 20_000 if quick else 200_000,
        "latency": 300 if quick else 3000,
        "clicks": 10 if quick else 50,
        "concurrent": 10 if quick else 50,
        "concurrent_lines": 500 if quick else 2000,
    }
    var = Path(tempfile.mkdtemp(prefix="bench-"))
    with service_stack(var) as (base, token, env):
        report = {
            "throughput": streaming.throughput(base, token, sizes["throughput"]),
            "baseline": streaming.baseline(sizes["throughput"]),
            "latency": streaming.latency(base, token, sizes["latency"], 100),
            "click_to_first_line": streaming.click_to_first_line(base, token, sizes["clicks"]),
            "concurrency": streaming.concurrency(
                base, token, sizes["concurrent"], sizes["concurrent_lines"]
            ),
            "pages": _pages(env),
            "importer": importer.importer(base, env, repeat=1 if quick else 3),
        }
    results = _summary(report)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "quick": quick,
    }
    RESULTS.write_text(json.dumps({**results, "details": report}, indent=2))
    _print(results)
    return 0


def _pages(env: dict) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from bench.pages import pages

    return pages()


def _summary(report: dict) -> dict:
    pages = report["pages"]
    return {
        "throughput_lines_per_s": report["throughput"]["lines_per_s"],
        "baseline_lines_per_s": report["baseline"]["lines_per_s"],
        "throughput_ratio": round(
            report["throughput"]["lines_per_s"] / report["baseline"]["lines_per_s"], 3
        ),
        "latency_p50_ms": report["latency"]["p50_ms"],
        "latency_p95_ms": report["latency"]["p95_ms"],
        "latency_p99_ms": report["latency"]["p99_ms"],
        "first_line_p50_ms": report["click_to_first_line"]["p50_ms"],
        "first_line_p99_ms": report["click_to_first_line"]["p99_ms"],
        "concurrent_runs": report["concurrency"]["runs"],
        "concurrent_lost_lines": report["concurrency"]["lost_lines"],
        "concurrent_duplicated_lines": report["concurrency"]["duplicated_lines"],
        "concurrent_lines_per_s": report["concurrency"]["lines_per_s"],
        "page_p50_ms": max(pages["incident"]["big"]["p50_ms"], pages["timeline"]["big"]["p50_ms"]),
        "page_queries": max(
            pages["incident"]["big"]["queries"], pages["timeline"]["big"]["queries"]
        ),
        "page_queries_small": max(
            pages["incident"]["small"]["queries"], pages["timeline"]["small"]["queries"]
        ),
        "import_max_s": max(shape["import_s"] for shape in report["importer"].values()),
        "import_preview_max_s": max(shape["preview_s"] for shape in report["importer"].values()),
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
