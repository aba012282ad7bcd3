"""The import contracts of .importlinter, and the cycle contract type they rely on."""

import subprocess
import sys
from pathlib import Path

import grimp

from lint.import_contracts import NoModuleCyclesContract

ROOT = Path(__file__).resolve().parents[2]


def contract(*packages: str) -> NoModuleCyclesContract:
    return NoModuleCyclesContract("no cycles", {}, {"packages": list(packages)})


def package(tmp_path, monkeypatch, name: str, modules: dict[str, str]) -> grimp.ImportGraph:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for module, text in modules.items():
        (folder / f"{module}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return grimp.build_graph(name, cache_dir=None)


def test_it_finds_a_cycle_closed_by_an_import_inside_a_function(tmp_path, monkeypatch):
    graph = package(
        tmp_path,
        monkeypatch,
        "cyclic",
        {
            "a": "from cyclic import b\n",
            "b": "def later():\n    from cyclic import c\n",
            "c": "import cyclic.a\n",
            "d": "from cyclic import a\n",
        },
    )
    check = contract("cyclic").check(graph, verbose=False)
    assert not check.kept
    assert check.metadata["cycles"] == [["cyclic.a", "cyclic.b", "cyclic.c"]]


def test_it_keeps_a_package_whose_imports_only_go_one_way(tmp_path, monkeypatch):
    graph = package(
        tmp_path, monkeypatch, "acyclic", {"a": "from acyclic import b\n", "b": "import json\n"}
    )
    assert contract("acyclic").check(graph, verbose=False).kept


def test_the_console_keeps_every_import_contract():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:]
