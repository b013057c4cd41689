"""The main job: a chat answer from SmolLM2-135M-Instruct and a small semantic search with
all-MiniLM-L6-v2, both offline (the models come from the PyPI packages that carry them).

    python examples/main_job.py [--framework pt|tf|flax]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from plugformers import pipeline  # noqa: E402

DOCUMENTS = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris, France.",
    "Photosynthesis converts light energy into chemical energy in plants.",
    "The Great Wall of China stretches thousands of kilometres across northern China.",
    "Python is a programming language that emphasises readability.",
    "Mount Everest is Earth's highest mountain above sea level.",
    "A transformer is a neural network architecture based on attention.",
]
QUERIES = ["Which landmark is in France?", "How do plants make energy?", "What is attention used for in deep learning?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", default="pt", choices=["pt", "tf", "flax"])
    args = parser.parse_args()

    chat = pipeline("text-generation", framework=args.framework)
    messages = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
    answer = chat(messages, max_new_tokens=40)[0]["generated_text"][-1]["content"]
    print(f"[chat, SmolLM2-135M-Instruct, {args.framework}]")
    print(f"user: {messages[0]['content']}")
    print(f"assistant: {answer.strip()}\n")

    search = pipeline("sentence-similarity", framework=args.framework)
    print(f"[semantic search, all-MiniLM-L6-v2, {args.framework}]")
    for query in QUERIES:
        scores = search({"source_sentence": query, "sentences": DOCUMENTS})
        best = max(range(len(DOCUMENTS)), key=scores.__getitem__)
        print(f"{query}\n  -> {DOCUMENTS[best]}  (cosine {scores[best]:.3f})")


if __name__ == "__main__":
    main()
