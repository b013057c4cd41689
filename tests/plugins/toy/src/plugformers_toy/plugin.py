"""Registration only: imports no framework."""

from pathlib import Path

from plugformers import hookimpl


@hookimpl
def register_architectures(register):
    register(
        "toy",
        config="plugformers_toy.configuration:ToyConfig",
        models={
            "pt": {"base": "plugformers_toy.modeling:ToyModel", "masked-lm": "plugformers_toy.modeling:ToyForMaskedLM"},
            "tf": {"base": "plugformers_toy.modeling_tf:TFToyModel"},
        },
        tokenizers={"slow": "plugformers_toy.modeling:ToyTokenizer"},
    )


@hookimpl
def register_checkpoint_sources(register):
    register("toy-source", serves=["toy-org/toy-model"], resolver="plugformers_toy.plugin:resolve")


@hookimpl
def register_commands(register):
    register("toy-hello", entry="plugformers_toy.plugin:hello", help="say hello from the toy plugin")


def resolve(reference):
    return Path(__file__).parent / "checkpoint"


def hello(argv):
    print("hello from toy", *argv)
    return 0
