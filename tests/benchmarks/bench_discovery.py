"""Discovery at scale: `import plugformers` + building the registry with 1, 10 and 100 plugins.

Plugins are generated as installed distributions (a ``.dist-info`` with ``METADATA`` and
``entry_points.txt`` plus a light plugin module — exactly what ``pip install`` leaves) in a
temporary directory put on ``PYTHONPATH``. Each figure is the median of fresh processes.
Compared with ``import transformers`` measured in the same run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from measure import Row, median_of, run_python

PLUGIN_MODULE = '''
from plugformers import hookimpl


@hookimpl
def register_architectures(register):
    register(
        "gen{i}",
        config="pf_gen{i}.configuration:Gen{i}Config",
        models={{fw: {{"base": f"pf_gen{i}.modeling_{{fw}}:Gen{i}Model", "masked-lm": f"pf_gen{i}.modeling_{{fw}}:Gen{i}ForMaskedLM"}}
                for fw in ("pt", "tf", "flax")}},
        tokenizers={{"slow": "pf_gen{i}.tokenization:Gen{i}Tokenizer"}},
    )
'''


def make_plugins(root: Path, count: int) -> None:
    for i in range(count):
        package = root / f"pf_gen{i}"
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "plugin.py").write_text(PLUGIN_MODULE.format(i=i))
        info = root / f"plugformers_gen{i}-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: plugformers-gen{i}\nVersion: 0.1.0\nRequires-Dist: plugformers\n"
            "Requires-Dist: tensorflow; extra == 'tf'\n"
        )
        (info / "entry_points.txt").write_text(f"[plugformers]\ngen{i} = pf_gen{i}.plugin\n")


TIMED = """
import time, json
t = time.perf_counter()
import plugformers
registry = plugformers.get_registry()
elapsed = (time.perf_counter() - t) * 1000
assert not registry.problems, registry.problems
print(json.dumps({"ms": elapsed, "architectures": len(registry.architectures)}))
"""

TRANSFORMERS = """
import time, json
t = time.perf_counter()
import transformers
elapsed = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": elapsed}))
"""


def time_registry(count: int, repeats: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_plugins(root, count)
        run_python(TIMED, env={"PYTHONPATH": str(root)})  # warm-up (file cache, bytecode)
        runs = []
        for _ in range(repeats):
            result = run_python(TIMED, env={"PYTHONPATH": str(root)})
            assert result["architectures"] >= count
            runs.append(result["ms"])
        return median_of(runs)


def run(repeats: int = 7) -> list[Row]:
    try:
        run_python(TRANSFORMERS)
        theirs = median_of([run_python(TRANSFORMERS)["ms"] for _ in range(repeats)])
    except RuntimeError:
        theirs = None
    rows = []
    for count in (1, 10, 100):
        ours = time_registry(count, repeats)
        target = "≤ 60 ms" if count == 1 else ("≤ 150 ms, linear growth" if count == 100 else "")
        rows.append(Row("import + registry", f"{count} generated plugin{'s' if count > 1 else ''}", ours, theirs,
                        "ms", target, "theirs: `import transformers`"))
    return rows


if __name__ == "__main__":
    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        print(row.as_dict())
