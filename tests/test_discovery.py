"""Discovery end to end: real entry points of pip-installed plugins, seen by the CLI."""

from __future__ import annotations

import json
import subprocess
import sys


def test_installed_plugin_is_listed(plugin_env, run_cli):
    result = run_cli(["list"], plugin_env, check=True)
    row = next(line for line in result.stdout.splitlines() if line.startswith("toy "))
    assert "plugformers-toy" in row
    assert "2 heads" in row and "1 heads" in row  # PyTorch and TensorFlow columns
    assert "half-registered" not in result.stdout  # the failing hook's records are dropped
    assert "malformed" not in result.stdout


def test_doctor_names_each_broken_plugin(plugin_env, run_cli):
    result = run_cli(["doctor"], plugin_env)
    out = result.stdout
    assert result.returncode == 1
    assert "BROKEN: plugin 'broken-import'" in out and "broken on purpose (import)" in out
    assert "BROKEN: plugin 'broken-hook'" in out and "hook:register_architectures" in out
    assert "BROKEN: plugin 'broken-record'" in out and "not a module path" in out
    assert "CONFLICT: model_type 'toy'" in out and "'toy' wins" in out


def test_broken_plugin_hook_failure_keeps_its_other_hooks(plugin_env, run_cli):
    # broken-hook raised in register_architectures, but its register_commands still counts.
    assert run_cli(["broken-hello"], plugin_env).returncode == 0
    result = run_cli(["toy-hello", "there"], plugin_env, check=True)
    assert result.stdout.strip() == "hello from toy there"


def test_strict_mode_makes_a_broken_plugin_fatal(plugin_env, run_cli):
    env = dict(plugin_env, PLUGFORMERS_STRICT="1")
    result = run_cli(["list"], env)
    assert result.returncode != 0
    assert "broken-import" in result.stderr and "PluginError" in result.stderr


def test_deny_and_allow_lists(plugin_env, run_cli):
    env = dict(plugin_env, PLUGFORMERS_DISABLE_PLUGINS="plugformers-broken")
    result = run_cli(["doctor"], env)
    assert result.returncode == 0, result.stdout
    assert "BROKEN" not in result.stdout and "disabled: plugin 'broken-import'" in result.stdout
    env = dict(plugin_env, PLUGFORMERS_PLUGINS="rival-toy")
    result = run_cli(["list"], env, check=True)
    assert "plugformers-broken" in result.stdout and "plugformers-toy" not in result.stdout


def _python(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_auto_classes_through_a_checkpoint_source_and_lazy_names(plugin_env):
    code = """
import json, plugformers
from plugformers import AutoConfig, AutoModel, AutoModelForMaskedLM, AutoTokenizer
config = AutoConfig.from_pretrained("toy-org/toy-model")
m = AutoModelForMaskedLM.from_pretrained("toy-org/toy-model")
base = AutoModel.from_pretrained("toy-org/toy-model")
tok = AutoTokenizer.from_pretrained("toy-org/toy-model")
print(json.dumps({"config": type(config).__name__, "hidden": config.hidden_size, "head": type(m).__name__,
                  "base": type(base).__name__, "tok": type(tok).__name__,
                  "lazy": plugformers.ToyForMaskedLM is type(m)}))
"""
    result = _python(code, plugin_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "config": "ToyConfig", "hidden": 16, "head": "ToyForMaskedLM", "base": "ToyModel", "tok": "ToyTokenizer",
        "lazy": True,
    }


def test_missing_framework_error_names_the_extra(plugin_env):
    code = """
from plugformers import AutoConfig, TFAutoModel
from plugformers.errors import MissingDependencyError
config = AutoConfig.for_model("toy")
try:
    TFAutoModel.from_config(config)
except MissingDependencyError as err:
    print(err)
"""
    result = _python(code, plugin_env)
    assert result.returncode == 0, result.stderr
    assert "pip install 'plugformers-toy[tf]'" in result.stdout


def test_missing_head_and_missing_plugin_errors(plugin_env):
    code = """
from plugformers import AutoConfig, FlaxAutoModel, AutoModelForCausalLM
from plugformers.errors import MissingDependencyError
config = AutoConfig.for_model("toy")
for attempt in (lambda: FlaxAutoModel.from_config(config), lambda: AutoModelForCausalLM.from_config(config),
                lambda: AutoConfig.for_model("no-such-arch")):
    try:
        attempt()
    except MissingDependencyError as err:
        print(err)
"""
    result = _python(code, plugin_env)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stderr
    assert "plugformers-toy has no Flax implementation of 'toy'" in lines[0]
    assert "no PyTorch 'causal-lm' head" in lines[1] and "base, masked-lm" in lines[1]
    assert "pip install 'plugformers-no-such-arch'" in lines[2]
