"""An import-linter contract type: no import cycle between modules.

import-linter's own ``acyclic_siblings`` compares whole packages, where Django apps share
models both ways (a run belongs to an incident; the incident page shows runs).  What makes
code hard to change is a chain of imports that comes back to where it started, as
runs.services → notifications.escalation → notifications.services → runs.dispatch did; this
contract refuses exactly that, at the level of modules, lazy imports included.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class NoModuleCyclesContract(Contract):
    type_name = "no_module_cycles"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        roots = tuple(self.packages)  # type: ignore[call-overload]
        modules = {m for m in graph.modules if m.split(".")[0] in roots}
        cycles = [sorted(c) for c in _strongly_connected(graph, modules) if len(c) > 1]
        return ContractCheck(kept=not cycles, metadata={"cycles": sorted(cycles)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error("These modules import each other in a cycle:")
            for module in cycle:
                output.print_error(f"- {module}")
            output.new_line()


def _strongly_connected(graph: ImportGraph, modules: set[str]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that reach each other by imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def targets(module: str) -> list[str]:
        return sorted(m for m in graph.find_modules_directly_imported_by(module) if m in modules)

    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(targets(root)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, pending = work[-1]
            child = next(pending, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == module:
                            break
                    found.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(targets(child))))
            elif child in on_stack:
                low[module] = min(low[module], index[child])
    return found
