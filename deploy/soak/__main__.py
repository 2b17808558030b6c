"""`python -m deploy.soak`: run a soak (see the package docstring)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import deploy.soak as package
from deploy.interrupts import stops_on_ctrl_c
from deploy.soak.run import Soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.soak", description=package.__doc__)
    parser.add_argument("--minutes", type=float, default=3.0, help="how long faults run")
    parser.add_argument("--seed", type=int, default=None, help="repeat a schedule")
    parser.add_argument("--rate", type=float, default=15.0, help="meetings posted per second")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(datetime.now(UTC).timestamp()) % 100_000
    soak = Soak(args.minutes, seed, args.rate, args.keep)
    with stops_on_ctrl_c(f"what the soak did so far is not checked; logs and data in {soak.work}"):
        return asyncio.run(soak.run())


if __name__ == "__main__":
    sys.exit(main())
