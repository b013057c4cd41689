"""``plugformers run TASK [--model REF] [--framework pt|tf|flax] [INPUT ...]``.

Inputs come from the command line or, when none are given, one per line from standard input.
``--json`` prints one JSON document (a list of results, in input order); otherwise results are
printed readably, one per input. A progress bar goes to standard error for more than a few
inputs. Task-specific inputs: ``sentence-similarity`` takes the source sentence first and the
candidates after it; ``question-answering`` takes questions and ``--context``;
``zero-shot-classification`` takes ``--labels a,b,c``; ``text-generation`` takes prompts, or
user messages with ``--chat``. ``--param KEY=VALUE`` passes any other pipeline argument (the
value is parsed as JSON when it can be).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import PipelineError

PROGRESS_MIN = 8


def parse_param(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise PipelineError(f"--param expects KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def progress(items: list[Any], enabled: bool) -> Iterator[Any]:
    total = len(items)
    for done, item in enumerate(items, 1):
        yield item
        if enabled:
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stderr.flush()
    if enabled:
        sys.stderr.write("\n")


def build_inputs(task: str, values: list[str], args: argparse.Namespace) -> tuple[list[Any], dict]:
    params: dict[str, Any] = dict(parse_param(p) for p in args.param)
    if task == "sentence-similarity":
        if len(values) < 2:
            raise PipelineError("sentence-similarity needs a source sentence and at least one sentence to compare")
        return [{"source_sentence": values[0], "sentences": values[1:]}], params
    if task == "question-answering":
        if not args.context:
            raise PipelineError("question-answering needs --context")
        return [{"question": q, "context": args.context} for q in values], params
    if task == "zero-shot-classification":
        if not args.labels:
            raise PipelineError("zero-shot-classification needs --labels a,b,c")
        params["candidate_labels"] = [label.strip() for label in args.labels.split(",") if label.strip()]
    if task == "text-generation" and args.chat:
        return [[{"role": "user", "content": v}] for v in values], params
    return values, params


def render(result: Any) -> str:
    if isinstance(result, list) and result and isinstance(result[0], dict) and "generated_text" in result[0]:
        text = result[0]["generated_text"]
        return text[-1]["content"] if isinstance(text, list) else text
    return json.dumps(result, ensure_ascii=False)


def read_stdin(stream: Iterable[str]) -> list[str]:
    return [line.rstrip("\n") for line in stream if line.strip()]


def run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="plugformers run", description="Run a pipeline task on inputs.")
    parser.add_argument("task")
    parser.add_argument("inputs", nargs="*", help="inputs; read one per line from standard input when absent")
    parser.add_argument("--model", help="directory, Hub id or checkpoint-source name (default: the task's)")
    parser.add_argument("--framework", choices=["pt", "tf", "flax"], default="pt")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--context", help="question-answering: the context")
    parser.add_argument("--labels", help="zero-shot-classification: comma-separated candidate labels")
    parser.add_argument("--chat", action="store_true", help="text-generation: treat inputs as user messages")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_intermixed_args(argv)  # options may come before or after the inputs
    values = args.inputs or read_stdin(sys.stdin)
    if not values:
        raise PipelineError("no input: give inputs as arguments or on standard input")
    from ..pipelines import pipeline

    inputs, params = build_inputs(args.task, values, args)
    pipe = pipeline(args.task, model=args.model, framework=args.framework, batch_size=args.batch_size)
    results = []
    show = len(inputs) >= PROGRESS_MIN
    for item in progress(inputs, show):
        result = pipe(item, **params)
        results.append(result)
        if not args.json:
            print(render(result), flush=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0
