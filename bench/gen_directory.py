"""Write synthetic national directory files (both formats), reproducible by seed.

    python bench/gen_directory.py OUT_DIR --persons 1000000 --mailboxes 500000 --seed 1 [--zip]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory.synthetic import write_synthetic_files  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--persons", type=int, default=10_000,
                   help="lines of PS_LibreAcces_Personne_activite (one per activity)")
    p.add_argument("--mailboxes", type=int, default=5_000,
                   help="lines of Extraction_Correspondance_MSSante")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--zip", action="store_true", help="wrap each file in the agency's ZIP")
    args = p.parse_args(argv)
    started = time.monotonic()
    paths = write_synthetic_files(args.out_dir, persons=args.persons, mailboxes=args.mailboxes,
                                  seed=args.seed, as_zip=args.zip)
    for path in paths:
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"generated in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
