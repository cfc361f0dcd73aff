"""The house as its map: which package may talk to which third party, how big a module may grow, and no
import cycle between modules (also not through an import inside a function)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.factories import ROOT

PACKAGE = ROOT / "src" / "opendata"
MAX_LINES = 400
# SQLAlchemy: the ledger package (its models, migrations, the one repository of its queries), the
# agency-database source and its URLs, and the dag.test reading of Airflow's own metadata (local_run)
SQLALCHEMY_HOMES = ("ledger/", "sources/sql.py", "sources/connections.py", "airflow/local_run.py")


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in PACKAGE.rglob("*.py")}


def imports(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, resolved to absolute names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def test_only_the_portal_client_imports_ckanapi() -> None:
    users = {str(p.relative_to(PACKAGE)) for n, p in modules().items()
             if any(i == "ckanapi" or i.startswith("ckanapi.") for i in imports(p, n))}
    assert users == {"publish/client.py"}, users


def test_sqlalchemy_is_imported_only_where_the_sql_lives() -> None:
    users = {str(p.relative_to(PACKAGE)) for n, p in modules().items()
             if any(i == "sqlalchemy" or i.startswith("sqlalchemy.") for i in imports(p, n))}
    strays = {u for u in users if not u.startswith(SQLALCHEMY_HOMES)}
    assert not strays, strays


def test_no_module_grows_past_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in [*PACKAGE.rglob("*.py"), *(ROOT / "dags").glob("*.py"),
                                                   *(ROOT / "plugins").rglob("*.py")]
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_no_import_cycle_between_the_packages_modules() -> None:
    mods = modules()
    graph = {n: {i for i in imports(p, n) if i in mods and i != n} for n, p in mods.items()}
    # a package's __init__ importing its own modules is how a package shows its face, not a cycle
    graph = {n: {i for i in deps if not (mods[n].name == "__init__.py" and i.startswith(n + "."))} for n, deps in graph.items()}
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(" → ".join([*path[path.index(dep):], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = "done"

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert not cycles, cycles[:10]


def test_no_public_name_is_defined_in_two_modules() -> None:
    """One home per name: a constant, class or function the package shares is defined once and imported
    elsewhere (a package's __init__ re-exporting its modules' names defines nothing; Alembic revisions
    share their fixed hooks by design)."""
    homes: dict[str, list[str]] = {}
    for name, path in modules().items():
        if path.name == "__init__.py" or "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined = [node.name]
            elif isinstance(node, ast.Assign):
                defined = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined = [node.target.id]
            else:
                continue
            for n in defined:
                if not n.startswith("_") and n != "log":
                    homes.setdefault(n, []).append(name)
    twice = {n: where for n, where in homes.items() if len(where) > 1}
    assert not twice, twice


def environment_reads(source: str) -> list[int]:
    """The lines that read the process environment: ``os.environ`` in any use but setting one variable's
    default, ``os.getenv``, ``environ``/``getenv`` imported from os."""
    tree = ast.parse(source)
    setting = {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Attribute) and n.func.attr == "setdefault"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "environb", "getenv", "getenvb") and id(node) not in setting:
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" \
                and {a.name for a in node.names} & {"environ", "environb", "getenv", "getenvb"}:
            found.append(node.lineno)
    return found


def test_no_module_reads_the_environment_outside_settings() -> None:
    """Issue 32: every variable the platform reads is named in opendata.settings."""
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "dags").glob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    readers = {str(p.relative_to(ROOT)): lines for p in files if p != PACKAGE / "settings.py"
               and (lines := environment_reads(p.read_text(encoding="utf-8")))}
    assert not readers, readers
    # the rule sees each way of reading
    for stray in ("import os\nos.environ.get('X')", "import os\nos.getenv('X')", "import os\n'X' in os.environ",
                  "from os import environ", "import os\nos.environ['X']", "import os\nfor k in os.environ: pass"):
        assert environment_reads(stray), stray
    assert not environment_reads("import os\nos.environ.setdefault('OPENBLAS_NUM_THREADS', '1')")


VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def word_tables(source: str) -> list[str]:
    """The module-level tables (dict, list, tuple, set displays) that hold two or more Vietnamese words, or two
    or more colours: user-facing words and colours, whose one home is opendata.vocabulary."""
    found = []
    for node in ast.parse(source).body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if not isinstance(value, ast.Dict | ast.List | ast.Tuple | ast.Set | ast.DictComp):
            continue
        texts = [c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
        words = [t for t in texts if VIETNAMESE.search(t) and sum(ch.isalpha() for ch in t) >= 2]
        colours = [t for t in texts if COLOUR.match(t)]
        if len(words) >= 2 or len(colours) >= 2:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            found.append(f"{ast.unparse(target)} (line {node.lineno})")
    return found


def test_no_table_of_user_facing_words_outside_the_vocabulary() -> None:
    """Issue 32: the dashboard, reports, mapping, receipts, checks, casting, the publisher and the CKAN plugin
    take their words and colours from opendata.vocabulary (the plugin through the file it generates)."""
    plugin = ROOT / "deploy" / "ckanext-opendata" / "ckanext" / "opendata"
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "dags").glob("*.py"), *(ROOT / "plugins").rglob("*.py"), *plugin.rglob("*.py")]
    home = PACKAGE / "vocabulary"
    strays = {str(p.relative_to(ROOT)): tables for p in files if not p.is_relative_to(home)
              and p != PACKAGE / "normalise" / "legacy.py"  # the legacy fonts' letter maps: letters, not words
              and (tables := word_tables(p.read_text(encoding="utf-8")))}
    assert not strays, strays
    # the rule sees a table of labels and one of colours, and lets a letter map and a sentence pass
    assert word_tables('LABELS = {"a": ("Đúng", "Correct"), "b": ("Đủ", "Complete")}')
    assert word_tables('COLOURS = {"fresh": "#1a7f37", "due": "#9a6700"}')
    assert not word_tables('BASES = ("ă", "â", "ê")') and not word_tables('MESSAGE = "Đúng"')


def test_the_plugins_words_are_the_ones_the_vocabulary_generates() -> None:
    from opendata.vocabulary.export import PLUGIN_FILE, render

    assert PLUGIN_FILE.read_text(encoding="utf-8") == render(), "run: python -m opendata.vocabulary.export"
