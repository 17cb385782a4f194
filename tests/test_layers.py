"""The code's layers run one way, read from the imports themselves (every import, including those inside
functions): data → inputs → engine → uncertainty/analysis → views → charts & exports → command line → ui →
pages. A module imports only from its own layer or below; nothing in the core (everything outside
chokepoint/ui, pages/ and app.py) imports Streamlit, chokepoint.ui, tests or the benchmark."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [  # lowest first; a name is a module of the package (a package counts with all its modules)
    ("base", {"chokepoint.__init__", "chokepoint.formatting", "chokepoint.safetext"}),
    ("data", {"chokepoint.data", "chokepoint.store"}),
    ("inputs", {"chokepoint.params", "chokepoint.migrations"}),
    ("engine", {"chokepoint.engine"}),
    ("uncertainty", {"chokepoint.uncertainty", "chokepoint.validation", "chokepoint.check", "chokepoint.corners",
                     "chokepoint.claims", "chokepoint.systems"}),
    ("views", {"chokepoint.views"}),
    ("charts", {"chokepoint.specs", "chokepoint.charts", "chokepoint.catalogue", "chokepoint.exports",
                "chokepoint.briefing", "chokepoint.workers"}),
    ("cli", {"chokepoint.cli", "chokepoint.__main__"}),
    ("ui", {"chokepoint.ui"}),
    ("pages", {"pages", "app"}),
]
CORE = {"base", "data", "inputs", "engine", "uncertainty", "views", "charts", "cli"}
NEVER_IN_CORE = ("streamlit", "chokepoint.ui", "tests", "bench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    if module == "chokepoint":  # the package itself (its __init__: the model version)
        module = "chokepoint.__init__"
    best = None
    for rank, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > best[1]):
                best = (rank, len(name))
    return None if best is None else best[0]


def sources() -> list[Path]:
    return sorted([*(ROOT / "chokepoint").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"])


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file; `from a import b` gives a.b when a.b is a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                dotted = ROOT.joinpath(*candidate.split("."))
                if dotted.with_suffix(".py").exists() or (dotted / "__init__.py").exists():
                    found.append((node.lineno, candidate))
    return found


def test_every_module_has_a_layer():
    assert [module_name(p) for p in sources() if layer_of(module_name(p)) is None] == []


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path):
    own = layer_of(module_name(path))
    wrong = []
    for line, module in imports(path):
        if LAYERS[own][0] in CORE and module.split(".")[0] in ("streamlit", "tests", "bench"):
            wrong.append(f"line {line}: {module} (the core never imports Streamlit, tests or the benchmark)")
        target = layer_of(module)
        if target is not None and target > own:
            wrong.append(f"line {line}: {module} ({LAYERS[target][0]}) from a {LAYERS[own][0]} module")
        if module.startswith("pages") and module_name(path) != "app":
            wrong.append(f"line {line}: {module} (pages are laid out by the shell, never imported)")
    assert wrong == [], f"{path.relative_to(ROOT)} imports against the layers:\n" + "\n".join(wrong)


def test_the_layer_check_finds_an_import_against_the_layers(tmp_path, monkeypatch):
    """The check itself can fail: an engine module importing the views is caught."""
    bad = ROOT / "chokepoint" / "_layer_probe.py"
    LAYERS[3][1].add("chokepoint._layer_probe")
    try:
        bad.write_text("def f():\n    from chokepoint import views\n    import streamlit\n")
        with pytest.raises(AssertionError, match="chokepoint.views \\(views\\) from a engine module"):
            test_imports_run_one_way(bad)
    finally:
        bad.unlink()
        LAYERS[3][1].discard("chokepoint._layer_probe")


def test_a_scenario_value_does_no_io(monkeypatch, inputs):
    """Scenario.create validates against the inputs it is given; it never loads data/ itself."""
    from chokepoint import data, params

    def no_io(*args, **kwargs):
        raise AssertionError("Scenario.create touched the database")
    monkeypatch.setattr(data, "get_database", no_io)
    monkeypatch.setattr(params, "get_database", no_io, raising=False)
    monkeypatch.setattr(params, "run_query", no_io, raising=False)
    assert params.Scenario.create(40, 70, {"budget_growth": 0.3}, inputs).settings()["budget_growth"] == 0.3
    with pytest.raises(TypeError, match="needs inputs="):
        params.Scenario.create(40, 70, {"budget_growth": 0.3})
