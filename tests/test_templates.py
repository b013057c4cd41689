"""templates/model-plugin and ``plugformers new-plugin``: what the template renders installs with pip,
is discovered, shows in ``plugformers list``, passes ruff, and passes its generated tests (the SDK
conformance kit) in every framework it was rendered with; ``--like bert`` renders a renamed working
copy of BERT; ``copier update`` brings a template change into a rendered plugin; the SDK wheel ships
the template.

The rendered plugins are pip-installed into a temporary target directory and tested in subprocesses
(their own pytest rootdir), as a third-party author would. Costs (2 CPU cores): the all-frameworks
kit run dominates; the ``--like bert`` copy runs the kit on every head in PyTorch and the base
model's cross-framework equivalence in all three frameworks (BERT's own tests run its full kit
everywhere, and the copy differs from it only by the renaming, checked file by file).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from template_support import (
    BIN,
    ROOT,
    TEMPLATE,
    environment,
    new_plugin,
    passed,
    pip_install,
    run,
    run_plugin_tests,
)

from plugformers.errors import PlugformersError, PluginError

copier = pytest.importorskip("copier", reason="copier not installed: pip install 'plugformers-sdk[templates]'")

from plugformers_sdk.templates.location import template_path  # noqa: E402
from plugformers_sdk.templates.renaming import Names, Renaming, drop_class_assignments  # noqa: E402
from plugformers_sdk.templates.rendering import render_plugin  # noqa: E402

HEADS = ("base", "masked-lm", "sequence-classification", "token-classification")
PAIRS = ("pt-vs-tf", "pt-vs-flax", "tf-vs-flax")
BERT_HEADS = ("base", "pretraining", "masked-lm", "causal-lm", "next-sentence-prediction", "sequence-classification",
              "multiple-choice", "token-classification", "question-answering")


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def _package_files(plugin: Path) -> set[str]:
    """The plugin's files, without what ``pip install`` built in place (build/, *.egg-info)."""
    files = {p.relative_to(plugin) for p in plugin.rglob("*") if p.is_file()}
    return {f.as_posix() for f in files if f.parts[0] != "build" and not any(x.endswith(".egg-info") for x in f.parts)}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> SimpleNamespace:
    """Four plugins from the template's own architecture, rendered by the CLI and pip-installed."""
    root = tmp_path_factory.mktemp("rendered")
    plugins = {
        "acme_pt": new_plugin("acme_pt", root / "acme_pt", "--frameworks", "pt", "--tokenizer", "sentencepiece"),
        "acme_all": new_plugin("acme_all", root / "acme_all"),  # defaults: pt,tf,flax and wordpiece
        "acme_bpe": new_plugin("acme_bpe", root / "acme_bpe", "--frameworks", "flax,tf", "--tokenizer", "bpe"),
        "acme_bare": new_plugin("acme_bare", root / "acme_bare", "--frameworks", "pt", "--tokenizer", "none"),
    }
    target = root / "site-packages"
    pip_install(target, *plugins.values())
    return SimpleNamespace(plugins=plugins, env=environment(target))


@pytest.fixture(scope="module")
def like_bert(tmp_path_factory) -> SimpleNamespace:
    """``plugformers new-plugin acme_lm --like bert``, pip-installed."""
    from plugformers.registry import get_registry

    if "bert" not in get_registry().architectures:
        pytest.skip("--like bert needs plugformers-bert installed from plugins/bert (pip install -e plugins/bert)")
    root = tmp_path_factory.mktemp("like")
    plugin = new_plugin("acme_lm", root / "acme_lm", "--like", "bert")
    target = root / "site-packages"
    pip_install(target, plugin)
    return SimpleNamespace(plugin=plugin, env=environment(target))


# -- what is rendered ------------------------------------------------------------------------------
def test_rendered_files_follow_the_options(rendered):
    package = "src/plugformers_{}/"
    common = {".copier-answers.yml", ".gitignore", "README.md", "pyproject.toml", "tests/test_conformance.py", "tests/test_plugin.py"}
    modules = ("__init__.py", "plugin.py", "configuration.py")

    def expected(name: str, modeling: tuple[str, ...], tokenizer: bool) -> set[str]:
        files = set(common) | {package.format(name) + m for m in (*modules, *modeling)}
        if tokenizer:
            files |= {package.format(name) + "tokenization.py", package.format(name) + "tokenization_fast.py",
                      "tests/test_tokenization.py"}
        return files

    p = rendered.plugins
    assert _package_files(p["acme_pt"]) == expected("acme_pt", ("modeling_torch.py",), True)
    assert _package_files(p["acme_all"]) == expected(
        "acme_all", ("modeling_torch.py", "modeling_tf.py", "modeling_flax.py"), True)
    assert _package_files(p["acme_bpe"]) == expected("acme_bpe", ("modeling_tf.py", "modeling_flax.py"), True)
    assert _package_files(p["acme_bare"]) == expected("acme_bare", ("modeling_torch.py",), False)
    pyproject = (p["acme_bpe"] / "pyproject.toml").read_text()
    assert 'name = "plugformers-acme-bpe"' in pyproject
    assert 'acme_bpe = "plugformers_acme_bpe.plugin"' in pyproject
    assert "tf = [" in pyproject and "flax = [" in pyproject and "torch = [" not in pyproject
    answers = (p["acme_bpe"] / ".copier-answers.yml").read_text()
    assert "frameworks:\n- tf\n- flax\n" in answers and "tokenizer: bpe" in answers
    assert "class AcmeBpeTokenizer(ByteLevelBPETokenizer)" in (p["acme_bpe"] / package.format("acme_bpe")
                                                                 ).joinpath("tokenization.py").read_text()


def test_rendered_plugins_pass_ruff_with_the_repository_config(rendered, like_bert):
    ruff = BIN / "ruff"
    if not ruff.exists():
        pytest.skip(f"ruff not installed beside {sys.executable}: pip install ruff")
    plugins = [*rendered.plugins.values(), like_bert.plugin]
    run([str(ruff), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), *map(str, plugins)])


def test_rendered_plugins_are_discovered_and_listed(rendered):
    table = run([str(BIN / "plugformers"), "list"], env=rendered.env).stdout
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.strip()}
    heads = ["4", "heads"]
    assert rows["acme_pt"] == ["plugformers-acme-pt", "yes", "yes", *heads, "-", "-"]
    assert rows["acme_all"] == ["plugformers-acme-all", "yes", "yes", *heads, *heads, *heads]
    assert rows["acme_bpe"] == ["plugformers-acme-bpe", "yes", "yes", "-", *heads, *heads]
    assert rows["acme_bare"] == ["plugformers-acme-bare", "-", "-", *heads, "-", "-"]


# -- the generated tests: the conformance kit -------------------------------------------------------
def test_pytorch_plugin_passes_the_kit_and_its_own_tests(rendered, tmp_path):
    if not _installed("torch"):
        pytest.skip("PyTorch not installed: pip install torch")
    outcomes = run_plugin_tests(rendered.plugins["acme_pt"], rendered.env, tmp_path / "report.xml")
    for head in HEADS:
        for test in ("save_load_round_trip", "padding_invariance"):
            assert passed(outcomes, f"test_{test}[{head}-pt]"), (test, head, outcomes)
    tf_cases = {t: o for t, o in outcomes.items() if "-tf]" in t}
    assert tf_cases and all("registers no TensorFlow class" in o for o in tf_cases.values()), tf_cases
    assert passed(outcomes, "test_config_round_trip")
    assert len(passed(outcomes, "test_plugin::")) == 2 and passed(outcomes, "::test_registration"), outcomes
    if _installed("sentencepiece", "tokenizers"):
        tokenization = {t: o for t, o in outcomes.items() if t.startswith("test_tokenization::")}
        assert len(tokenization) >= 8 and all(o == "passed" for o in tokenization.values()), tokenization


def test_all_frameworks_plugin_passes_the_kit(rendered, tmp_path):
    missing = [m for m in ("torch", "tensorflow", "jax", "flax") if not _installed(m)]
    if missing:
        pytest.skip(f"the all-frameworks kit run needs {', '.join(missing)}: pip install torch tensorflow-cpu jax flax")
    outcomes = run_plugin_tests(rendered.plugins["acme_all"], rendered.env, tmp_path / "report.xml")
    for head in HEADS:
        for pair in PAIRS:
            assert passed(outcomes, f"test_cross_framework_equivalence[{head}-{pair}]"), (head, pair, outcomes)
        for framework in ("pt", "tf", "flax"):
            for test in ("save_load_round_trip", "padding_invariance"):
                assert passed(outcomes, f"test_{test}[{head}-{framework}]"), (test, head, framework)
        for framework in ("tf", "flax"):
            assert passed(outcomes, f"test_canonical_names[{head}-{framework}]"), (head, framework)
    if _installed("tokenizers"):
        assert passed(outcomes, "test_slow_and_fast_agree"), outcomes
        assert passed(outcomes, "test_slow_tokenizer_matches_the_algorithm_by_hand")


def test_registration_and_tokenizer_tests_of_the_other_options(rendered, tmp_path):
    """TensorFlow+Flax with byte-level BPE, and PyTorch without a tokenizer: the generated registration
    and tokenizer tests (the kit is what the two tests above run)."""
    for name in ("acme_bpe", "acme_bare"):
        outcomes = run_plugin_tests(rendered.plugins[name], rendered.env, tmp_path / f"{name}.xml",
                                    "-k", "not Conformance or test_registration")  # the kit: registration only
        assert len(passed(outcomes, "test_plugin::")) == 2 and passed(outcomes, "::test_registration"), outcomes
        if name == "acme_bpe" and _installed("tokenizers"):
            assert passed(outcomes, "test_slow_tokenizer_matches_the_algorithm_by_hand"), outcomes
            assert len(passed(outcomes, "test_slow_and_fast_agree")) == 5, outcomes


# -- --like bert ---------------------------------------------------------------------------------------
def test_like_copy_is_renamed_by_the_rules(like_bert):
    plugin = like_bert.plugin
    renaming = Renaming(Names("bert", "Bert", "plugformers-bert"), Names("acme_lm", "AcmeLm", "plugformers-acme-lm"))
    source = ROOT / "plugins" / "bert" / "src" / "plugformers_bert"
    copied = plugin / "src" / "plugformers_acme_lm"
    assert {p.name for p in copied.glob("*.py")} == {p.name for p in source.glob("*.py")}
    for path in [*copied.glob("*.py"), plugin / "tests" / "test_conformance.py"]:
        assert renaming.leftovers(path.read_text()) == [], path
    plugin_py = (copied / "plugin.py").read_text()
    assert '"acme_lm",' in plugin_py and "configuration:AcmeLmConfig" in plugin_py
    assert "class TFAcmeLmForMaskedLM(" in (copied / "modeling_tf.py").read_text()
    assert 'base_model_prefix = "acme_lm"' in (copied / "modeling_flax.py").read_text()
    assert 'model_type: ClassVar[str] = "acme_lm"' in (copied / "configuration.py").read_text()
    test = (plugin / "tests" / "test_conformance.py").read_text()
    assert "class TestAcmeLmConformance(ModelTester)" in test and 'model_type = "acme_lm"' in test
    assert "transformers_classes =" not in test
    assert "like: bert" in (plugin / ".copier-answers.yml").read_text()


def test_like_copy_is_discovered_listed_and_passes_the_kit(like_bert, tmp_path):
    missing = [m for m in ("torch", "tensorflow", "jax", "flax") if not _installed(m)]
    if missing:
        pytest.skip(f"the --like bert kit run needs {', '.join(missing)}")
    table = run([str(BIN / "plugformers"), "list"], env=like_bert.env).stdout
    assert any(line.split()[:2] == ["acme_lm", "plugformers-acme-lm"] for line in table.splitlines()), table
    outcomes = run_plugin_tests(like_bert.plugin, like_bert.env, tmp_path / "pt.xml", "--conformance-frameworks=pt")
    assert len(passed(outcomes, "test_plugin::")) == 2 and passed(outcomes, "::test_registration"), outcomes
    for head in BERT_HEADS:
        assert passed(outcomes, f"test_save_load_round_trip[{head}-pt]"), (head, outcomes)
        assert passed(outcomes, f"test_padding_invariance[{head}-pt]"), (head, outcomes)
    assert passed(outcomes, "test_cache_equivalence[causal-lm-pt]")
    outcomes = run_plugin_tests(like_bert.plugin, like_bert.env, tmp_path / "base.xml", "-k",
                                "cross_framework_equivalence and base")
    for pair in PAIRS:
        assert passed(outcomes, f"test_cross_framework_equivalence[base-{pair}]"), (pair, outcomes)


# -- the renaming rules -----------------------------------------------------------------------------
def test_renaming_rules():
    bert = Renaming(Names("bert", "Bert", "plugformers-bert"), Names("acme_lm", "AcmeLm", "plugformers-acme-lm"))
    cases = {
        "TFBertModel FlaxBertForMaskedLM BertConfig": "TFAcmeLmModel FlaxAcmeLmForMaskedLM AcmeLmConfig",
        "from plugformers_bert.configuration import X": "from plugformers_acme_lm.configuration import X",
        'self.bert = x; prefix = "bert"; r"^bert\\.pooler\\."': 'self.acme_lm = x; prefix = "acme_lm"; r"^acme_lm\\.pooler\\."',
        "pip install plugformers-bert": "pip install plugformers-acme-lm",
        "BERT's paper; class TestBertConformance": "ACME_LM's paper; class TestAcmeLmConformance",
        "Albert albert RoBERTa roberta Bertha berts ROBERTA": "Albert albert RoBERTa roberta Bertha berts ROBERTA",
    }
    for old, new in cases.items():
        assert bert.text(old) == new, old
        assert bert.leftovers(bert.text(old)) == [], old
    gpt2 = Renaming(Names("gpt2", "GPT2", "plugformers-gpt2"), Names("acme", "Acme", "plugformers-acme"))
    assert gpt2.text("TFGPT2LMHeadModel gpt2_test_cases self.gpt2 GPT2") == "TFAcmeLMHeadModel acme_test_cases self.acme Acme"


def test_dropping_a_class_assignment_is_found_by_parsing():
    source = ('class TestX(ModelTester):\n    model_type = "x"\n    transformers_classes = {\n        "base": "XModel",\n'
              '    }\n    seed = 1\n\n\ntransformers_classes = "module level stays"\n')
    dropped = drop_class_assignments(source, ("transformers_classes",), "why")
    assert dropped == ('class TestX(ModelTester):\n    model_type = "x"\n    # transformers_classes removed by '
                       '`plugformers new-plugin --like`: why\n    seed = 1\n\n\ntransformers_classes = "module level stays"\n')


# -- bad input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Acme", "1acme", "acme-lm", "acme__lm", "acme_", ""])
def test_bad_name_is_a_plugin_error_naming_it(name, tmp_path):
    with pytest.raises(PluginError, match="NAME"):
        render_plugin(name, tmp_path / "out")


def test_bad_options_are_errors_naming_the_option(tmp_path):
    with pytest.raises(PluginError, match="--frameworks"):
        render_plugin("acme", tmp_path / "a", frameworks=("pt", "jax"))
    with pytest.raises(PluginError, match="--tokenizer"):
        render_plugin("acme", tmp_path / "b", tokenizer="unigram")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(PluginError, match="--output"):
        render_plugin("acme", tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    with pytest.raises(PlugformersError, match="no_such_arch"):
        render_plugin("acme", tmp_path / "c", like="no_such_arch")


def test_cli_reports_bad_input(tmp_path):
    exe = str(BIN / "plugformers")
    result = subprocess.run([exe, "new-plugin", "Bad-Name", "--output", str(tmp_path / "x")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and "NAME 'Bad-Name'" in result.stderr, result.stderr
    assert not (tmp_path / "x").exists()
    result = subprocess.run([exe, "new-plugin", "acme", "--like", "bert", "--frameworks", "pt"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "--like" in result.stderr, result.stderr


# -- copier update -------------------------------------------------------------------------------------
def _git(directory: Path, *args: str) -> None:
    run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
         "-c", "tag.gpgsign=false", *args], cwd=directory)


def test_copier_update_brings_a_template_change_and_keeps_local_edits(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed (copier update needs git)")
    template = tmp_path / "template"
    shutil.copytree(TEMPLATE, template, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git(template, "init", "-q")
    _git(template, "add", "-A")
    _git(template, "commit", "-q", "-m", "template v1")
    _git(template, "tag", "v1.0.0")

    plugin = tmp_path / "plugin"
    render_plugin("acme_up", plugin, frameworks=("pt",), tokenizer="none", template=template)
    assert "_commit: v1.0.0" in (plugin / ".copier-answers.yml").read_text()
    _git(plugin, "init", "-q")
    _git(plugin, "add", "-A")
    _git(plugin, "commit", "-q", "-m", "rendered")
    configuration = plugin / "src" / "plugformers_acme_up" / "configuration.py"
    configuration.write_text(configuration.read_text() + "\n# the author's own note\n")
    _git(plugin, "commit", "-q", "-am", "author's edit")

    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\n## Changelog\n\nFollows template v2 ({{ name }}).\n")
    (template / "template" / "CHANGELOG.md.jinja").write_text("# {{ distribution_name }} changelog\n")
    _git(template, "add", "-A")
    _git(template, "commit", "-q", "-m", "template v2")
    _git(template, "tag", "v2.0.0")

    copier.run_update(str(plugin), defaults=True, overwrite=True, unsafe=False, quiet=True)
    assert "Follows template v2 (acme_up)." in (plugin / "README.md").read_text()
    assert (plugin / "CHANGELOG.md").read_text() == "# plugformers-acme-up changelog\n"
    assert configuration.read_text().endswith("\n# the author's own note\n")
    answers = (plugin / ".copier-answers.yml").read_text()
    assert "_commit: v2.0.0" in answers and "frameworks:\n- pt\n" in answers and "tokenizer: none" in answers


# -- where the template lives -----------------------------------------------------------------------------
def test_command_uses_the_repository_template_and_is_registered():
    from plugformers.registry import get_registry

    assert template_path() == TEMPLATE
    record = get_registry().commands["new-plugin"]
    assert record.entry == "plugformers_sdk.templates.new_plugin_command:new_plugin_command"


def test_sdk_wheel_ships_the_template(tmp_path):
    """Built from a copy of the repository layout (sdk/ beside templates/), as pip builds it."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "sdk", repo / "sdk",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", "tests"))
    shutil.copytree(TEMPLATE, repo / "templates" / "model-plugin", ignore=shutil.ignore_patterns("__pycache__"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir",
         str(tmp_path / "dist"), str(repo / "sdk")])
    (wheel,) = (tmp_path / "dist").glob("plugformers_sdk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    packaged = "plugformers_sdk/templates/model-plugin/"
    template_files = {p.relative_to(TEMPLATE).as_posix() for p in TEMPLATE.rglob("*") if p.is_file()
                      and "__pycache__" not in p.parts}
    assert {packaged + f for f in template_files} <= names, sorted(n for n in names if n.startswith(packaged))
    assert "plugformers_sdk/plugin.py" in names and "plugformers_sdk/templates/rendering.py" in names
    assert "sdk = plugformers_sdk.plugin" in entry_points
