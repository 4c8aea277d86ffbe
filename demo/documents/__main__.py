"""`python -m demo.documents OUT_DIR [--count N] [--seed S]`: write the benchmark's document set and its truth."""

import argparse
from collections import Counter
from pathlib import Path

from demo.documents.sets import render_benchmark_set


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.documents", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--seed", type=int, default=15)
    arguments = parser.parse_args()
    documents = render_benchmark_set(arguments.out_dir, count=arguments.count, seed=arguments.seed)
    kinds = Counter(document.kind for document in documents)
    print(f"{len(documents)} documents in {arguments.out_dir}: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))


if __name__ == "__main__":
    main()
