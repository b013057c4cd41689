"""Makes ``bert_test_support`` (shared cases and inputs) importable from the BERT tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
