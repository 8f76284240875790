"""Start-up time of ``kiln --help`` beside ``koji --help``, measured in the same run.

    .venv/bin/python -m bench.bench_cli [--runs N]

Each command is run N times (alternating, after one warm-up each, so that a
busy moment of the machine falls on both alike); the median wall time of
each and their ratio are printed.  The issue's target is a ratio under 0.5:
``kiln --help`` must not import the command modules or the client library,
only the index of commands.  Both run from this virtualenv's bin directory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET_RATIO = 0.5


def time_once(command: list[str]) -> float:
    """Wall seconds of one run; its output is discarded, its failure is fatal."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Each command ``runs`` times, interleaved, after one untimed warm-up run each."""
    for command in commands.values():
        time_once(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(time_once(command))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each command (default %(default)s)")
    options = parser.parse_args(argv)
    commands = {"kiln --help": [str(BIN / "kiln"), "--help"], "koji --help": [str(BIN / "koji"), "--help"]}
    times = measure(commands, options.runs)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"CLI start-up, median of {options.runs} runs each (same run, interleaved)")
    for name, median in medians.items():
        print(f"  {name:<12} {median * 1000:7.1f} ms   (min {min(times[name]) * 1000:.1f} ms)")
    ratio = medians["kiln --help"] / medians["koji --help"]
    verdict = "meets" if ratio < TARGET_RATIO else "MISSES"
    print(f"  kiln / koji  {ratio:7.2f}      ({verdict} the target of < {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
