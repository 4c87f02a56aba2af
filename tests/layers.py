"""The layer check: which parts of `brevo_sync` may import which (run by `.ci/run` and pytest).

domain/       the standard library, pydantic (the rules file's models), itself, errors
service/      the standard library, structlog, domain, errors, itself; never adapters,
              entrypoints, the sandbox, SQLAlchemy, httpx or the Brevo SDK
adapters/     anything but entrypoints, the sandbox and the use cases (service/ports.py,
              the protocols they implement, is the one service module they may see)
entrypoints/  services, domain (types to format), bootstrap, config, errors, logs; never
              adapters (they go through services and the composition root)
sandbox       imported by production code only in the `sandbox` and `demo` commands
service/ports.py  protocols and type aliases only (value types live in domain/)

python -m tests.layers [SRC]    prints every breach, exits 1 if there is one
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "brevo_sync"
STDLIB = sys.stdlib_module_names

DOMAIN_LIBRARIES = {"pydantic"}
SERVICE_LIBRARIES = {"structlog"}
SANDBOX_USERS = {"entrypoints/cli/sandbox_cmd.py", "entrypoints/cli/demo_cmd.py"}


@dataclass(frozen=True, slots=True)
class Breach:
    module: str  # path below the package, e.g. "service/pull.py"
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{PACKAGE}/{self.module}:{self.line}: imports {self.imported}: {self.rule}"


def imports(path: Path, package_path: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = [PACKAGE, *package_path.split("/")[:-1]]  # the package the file is in
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from brevo_sync import sandbox` imports a module
                yield node.lineno, f"{module}.{alias.name}"


def _inside(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def _third_party(name: str) -> bool:
    return _top(name) not in STDLIB and _top(name) != PACKAGE


def breaches_of(module: str, name: str) -> Iterator[str]:
    """The rules `module` (a path below the package) breaks by importing `name`."""
    own = f"{PACKAGE}."
    sandbox = _inside(name, f"{PACKAGE}.sandbox")
    if sandbox and module not in SANDBOX_USERS and not module.startswith("sandbox/"):
        yield "production code never needs the emulator (only the sandbox and demo commands)"
    if module.startswith("domain/"):
        if name.startswith(own) and not _inside(name, f"{PACKAGE}.domain", f"{PACKAGE}.errors"):
            yield "the domain is the bottom floor (domain and errors only)"
        elif _third_party(name) and _top(name) not in DOMAIN_LIBRARIES:
            yield "the domain does no I/O: standard library and pydantic only"
    elif module.startswith("service/"):
        if _inside(name, f"{PACKAGE}.adapters", f"{PACKAGE}.entrypoints", f"{PACKAGE}.bootstrap"):
            yield "use cases see ports only"
        elif _third_party(name) and _top(name) not in SERVICE_LIBRARIES:
            yield "use cases see ports only (no database, HTTP or SDK library)"
    elif module.startswith("adapters/"):
        if _inside(name, f"{PACKAGE}.entrypoints", f"{PACKAGE}.bootstrap"):
            yield "one-way layers: an adapter never imports an entrypoint"
        elif _inside(name, f"{PACKAGE}.service") and not _inside(name, f"{PACKAGE}.service.ports"):
            yield "adapters implement ports; they do not call use cases"
    elif module.startswith("entrypoints/") and _inside(name, f"{PACKAGE}.adapters"):
        yield "entrypoints go through services and the composition root"


def ports_breaches(path: Path) -> Iterator[Breach]:
    """Classes in the ports module must be protocols (values belong in domain/)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases}
            if "Protocol" not in bases:
                yield Breach(
                    "service/ports.py", node.lineno, node.name, "ports hold protocols only"
                )


def check(src: Path) -> list[Breach]:
    """Every breach under `src` (the folder holding the `brevo_sync` package)."""
    root = src / PACKAGE
    found: list[Breach] = []
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root).as_posix()
        seen: set[tuple[int, str]] = set()  # `from a import b` is one import, named once
        for line, name in imports(path, module):
            for rule in breaches_of(module, name):
                if (line, rule) not in seen:
                    seen.add((line, rule))
                    found.append(Breach(module, line, name, rule))
    ports = root / "service" / "ports.py"
    if ports.exists():
        found += ports_breaches(ports)
    return sorted(set(found), key=lambda b: (b.module, b.line, b.imported))


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "src"
    found = check(src)
    for breach in found:
        print(breach)
    print(f"layers: {len(found)} breach(es) in {src / PACKAGE}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
