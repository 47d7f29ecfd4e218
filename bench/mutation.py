"""`make mutation`: mutation testing (mutmut) of the pure modules, and a score per module.

A test suite that passes says little about whether it would notice a bug. mutmut plants one small bug at a
time (a `<` for a `<=`, a `+ 1` for a `- 1`, a dropped argument) and runs the tests that reach the changed
function; a mutant the tests do not fail on "survived", and names a behaviour no test pins down.

The configuration is `[tool.mutmut]` in pyproject.toml. mutmut names a mutant after its file's path and expects
the tests to import the module under that same name, so it cannot run from the repository root, where the
engine is `lambda/thumbprint_remediator/` and the tests import `thumbprint_remediator`. This script builds a
stage, build/mutation/, with the package at its top and links to what the tests import, runs mutmut there
one module at a time with at most two workers (the machine is shared), then prints the table.

The score leaves out message-only mutants (see `is_message_only`): a mutant that only alters the prose of a
message or remedy changes what a reader sees, not what the engine decides, and pinning every sentence in a
test would make the tests a copy of the text. They are counted in their own columns.

    python -m bench.mutation                    # every module, then the table
    python -m bench.mutation rules trust        # those modules only
    python -m bench.mutation --report           # the table of the last run, nothing rerun
    python -m bench.mutation --survivors rules  # each surviving mutant of rules.py as a diff
    python -m bench.mutation --retest rules     # after new tests: rerun only the survivors of the last run
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutation"
PACKAGE = "thumbprint_remediator"

# Functions to mutate per module; None is the whole module. organization.py is whole now that its alert is
# rendered in alerts.py: its planning (the work list, the Distributed Map's results, the accounts with none) and
# its aggregation (each account's bounded entry, the caught error, the summary). status.py's traits are
# properties, which mutmut does not mutate (a decorated function), and a table, which is data: only its
# functions are mutants; tests/unit/test_status.py pins the table, written out. memory.py is whole: the outbox
# (what was observed against what was told) decides which finding is news, and a slip there is a silent alert.
# alerts.py is whole as well: its size plumbing (TextBudget, compose_alert, trimmed_json, _overhead) is where an
# alert either fits SNS's 256 KB or is refused, so it is behaviour, not formatting to leave out.
MODULES: dict[str, tuple[str, ...] | None] = {
    "rules": None,
    "request": None,
    "trust": None,
    "remediation": None,
    "organization": None,
    "status": None,
    "memory": None,
    "alerts": None,
}
# The folder (layer) each measured module lives in.
FOLDER: dict[str, str] = {
    "rules": "domain",
    "request": "app",
    "trust": "tls",
    "remediation": "domain",
    "organization": "domain",
    "status": "domain",
    "memory": "domain",
    "alerts": "report",
}

# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code), folded into what the table shows.
KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {24, -24, 152, 255, 36}
NO_TESTS = {5, 33}
PROSE = re.compile(r"\w \w")


def package_dir() -> Path:
    """Where the engine package is: lambda/ today, wherever an installed package points otherwise."""
    in_tree = ROOT / "lambda" / PACKAGE
    if (in_tree / "__init__.py").is_file():
        return in_tree
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"cannot find the {PACKAGE} package")
    return Path(spec.origin).parent


def build_stage() -> None:
    """build/mutation/: the package at the top, links to tests/ and to what the tests import, pyproject.toml copied.

    mutmut copies all of it into build/mutation/mutants/ and runs pytest there; the links mean a new test is
    picked up without rebuilding the stage.
    """
    STAGE.mkdir(parents=True, exist_ok=True)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    links = {PACKAGE: package_dir(), "tests": ROOT / "tests"}
    links.update({name: ROOT / name for name in config.get("also_copy", [])})
    for name, target in links.items():
        link = STAGE / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.exists():
            shutil.rmtree(link)
        link.symlink_to(target)
    shutil.copy2(ROOT / "pyproject.toml", STAGE / "pyproject.toml")


def mutant_patterns(module: str) -> list[str]:
    functions = MODULES[module]
    if functions is None:
        return [f"{PACKAGE}.{FOLDER[module]}.{module}.*"]
    return [f"{PACKAGE}.{FOLDER[module]}.{module}.x_{function}__mutmut_*" for function in functions]


def run_module(module: str, workers: int, *, retest: bool = False) -> None:
    """One `mutmut run` for the module's mutants (`retest`: only those that survived the last run, as a new test
    cannot revive a killed one); its progress output goes to build/mutation/<module>.log."""
    patterns = tally(module).survivors if retest else mutant_patterns(module)
    if not patterns:
        return
    log = STAGE / f"{module}.log"
    command = [str(Path(sys.executable).with_name("mutmut")), "run", "--max-children", str(workers)]
    print(f"mutmut: {module} ({log.relative_to(ROOT)})", flush=True)
    with log.open("w") as output:
        finished = subprocess.run(
            [*command, *mutant_patterns(module)], check=False, cwd=STAGE, stdout=output, stderr=output
        )
    if finished.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        raise SystemExit(f"mutmut failed on {module} (exit {finished.returncode}):\n" + "\n".join(tail))


@dataclass
class Tally:
    killed: int = 0
    survived: int = 0
    timeout: int = 0
    no_tests: int = 0
    other: int = 0
    message_killed: int = 0
    message_survived: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        """Killed (a timeout counts: the mutant was noticed) over every judged mutant, messages aside."""
        judged = self.killed + self.timeout + self.survived + self.no_tests
        return None if judged == 0 else (self.killed + self.timeout) / judged


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function mutmut generated, top-level or in a class, by its name (`x_assess__mutmut_3`, ...)."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            found[node.name] = node
    return found


def _prose(value: object) -> bool:
    """A human-readable sentence or phrase: text with a space between two words."""
    return isinstance(value, str) and PROSE.search(value) is not None


def is_message_only(original: ast.AST, mutant: ast.AST) -> bool:
    """True when the mutant differs from the original only in the text of string literals that are prose.

    The rule: walk both functions node by node; every node must be of the same kind with the same names,
    operators and non-string constants, and every differing constant must be a string that, in the original,
    holds words separated by a space (a message, a remedy, a note) and is still a string in the mutant. A
    changed code word ("expiring", "thumbprint_missing"), a key, a separator ("; "), a date format, a message
    replaced by None or a removed argument is not message-only: those change what the engine decides, or
    what it emits for a machine to read.
    """
    left, right = list(ast.walk(original)), list(ast.walk(mutant))
    if len(left) != len(right):
        return False
    changed = False
    for a, b in zip(left, right, strict=True):
        if type(a) is not type(b):
            return False
        if isinstance(a, ast.Constant) and isinstance(b, ast.Constant):
            if a.value == b.value and type(a.value) is type(b.value):
                continue
            if not _prose(a.value) or not isinstance(b.value, str):  # a message made None is no longer text
                return False
            changed = True
            continue
        for name, value in ast.iter_fields(a):
            if name == "name" and isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if not isinstance(value, ast.AST | list) and value != getattr(b, name):
                return False
    return changed


def _key_function(key: str) -> str:
    """`thumbprint_remediator.domain.rules.x_assess__mutmut_3` -> `assess`; methods keep their class (`Cls.method`)."""
    mangled = key.rsplit(".", 1)[-1].partition("__mutmut_")[0]
    if mangled.startswith("x_"):
        return mangled[2:]
    _, cls, method = mangled.split("ǁ")
    return f"{cls}.{method}"


def tally(module: str) -> Tally:
    """The module's verdicts from mutmut's meta file, message-only mutants classified from the mutated source."""
    base = STAGE / "mutants" / PACKAGE / FOLDER[module] / f"{module}.py"
    meta_path = base.with_name(base.name + ".meta")
    result = Tally()
    if not meta_path.is_file():
        return result
    exit_codes: dict[str, int | None] = json.loads(meta_path.read_text())["exit_code_by_key"]
    functions = _functions(ast.parse(base.read_text()))
    wanted = MODULES[module]
    for key, code in exit_codes.items():
        if wanted is not None and _key_function(key) not in wanted:
            continue
        name = key.rsplit(".", 1)[-1]
        original = functions.get(name.partition("__mutmut_")[0] + "__mutmut_orig")
        mutant = functions.get(name)
        message = original is not None and mutant is not None and is_message_only(original, mutant)
        if message and code in KILLED | TIMEOUT:
            result.message_killed += 1
        elif message and code in SURVIVED:
            result.message_survived += 1
        elif code in KILLED:
            result.killed += 1
        elif code in TIMEOUT:
            result.timeout += 1
        elif code in SURVIVED:
            result.survived += 1
            result.survivors.append(key)
        elif code in NO_TESTS:
            result.no_tests += 1
            result.survivors.append(key)
        else:
            result.other += 1
    return result


def table(modules: list[str]) -> str:
    header = (
        f"| {'module':<16} | killed | timeout | survived | no tests | not run | score  | messages killed/survived |"
    )
    rule = "|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|"
    lines = [header, rule]
    for module in modules:
        t = tally(module)
        score = "-" if t.score is None else f"{t.score:.1%}"
        lines.append(
            f"| {module + '.py':<16} | {t.killed:>6} | {t.timeout:>7} | {t.survived:>8} | {t.no_tests:>8} |"
            f" {t.other:>7} | {score:>6} | {f'{t.message_killed}/{t.message_survived}':>24} |"
        )
    return "\n".join(lines)


def survivor_diffs(module: str) -> str:
    """Each surviving (or untested) mutant of the module as a unified diff against the original function."""
    base = STAGE / "mutants" / PACKAGE / FOLDER[module] / f"{module}.py"
    functions = _functions(ast.parse(base.read_text()))
    out: list[str] = []
    for key in tally(module).survivors:
        name = key.rsplit(".", 1)[-1]
        original = functions[name.partition("__mutmut_")[0] + "__mutmut_orig"]
        diff = difflib.unified_diff(
            ast.unparse(original).splitlines()[1:], ast.unparse(functions[name]).splitlines()[1:], lineterm="", n=1
        )
        out.append(f"# {key}\n" + "\n".join(list(diff)[2:]))
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"modules to run, of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--report", action="store_true", help="print the table of the last run, run nothing")
    parser.add_argument("--survivors", action="store_true", help="print the surviving mutants as diffs")
    parser.add_argument("--retest", action="store_true", help="rerun only the mutants that survived the last run")
    parser.add_argument("--workers", type=int, default=2, help="mutmut's --max-children (default 2)")
    args = parser.parse_args(argv)
    modules: list[str] = list(args.modules) or list(MODULES)
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        parser.error(f"unknown modules: {', '.join(unknown)}")
    if args.survivors:
        for module in modules:
            print(survivor_diffs(module))
        return 0
    if not args.report:
        build_stage()
        for module in modules:
            run_module(module, args.workers, retest=args.retest)
    print(table(modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
