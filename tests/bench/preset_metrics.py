#!/usr/bin/env python3
"""Trains every preset in experiments/ and records its final test loss and accuracy.

A refactor that claims to change no number is checked with it: run it before and after on the
same machine and compare (--compare). The runtime is pinned (one LibTorch thread, one BLAS thread,
oneDNN's gemm), because the summation order of a matrix product depends on the kernel and its
threads: with "auto" two runs could choose differently and differ in the last digits.

Presets that name another preset's run (distillation teachers, "upcycle_from", a section's
"from_run") run after it, in one store, as a user would run them.

  tests/bench/preset_metrics.py --cli build/release/app/cli/slimlab-cli --out /tmp/before.json
  tests/bench/preset_metrics.py --cli ... --out /tmp/after.json --compare /tmp/before.json

Takes about 25-35 minutes on two cores (every preset at full length). --only NAME,... runs a few.
The comparison prints one line per preset and exits 1 when any final figure differs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PINNED = ["--set", "runtime.threads=1", "--set", "runtime.blas_threads=1",
          "--set", "runtime.gemm=onednn"]


def references(spec):
    """Names of the runs a spec trains from (teachers, upcycling, runs to compress)."""
    names = [t["run"] for t in spec.get("distill", {}).get("teachers", []) if "run" in t]
    for section in spec.values():
        if isinstance(section, dict) and section.get("from_run"):
            names.append(section["from_run"])
    upcycle = spec.get("model", {}).get("upcycle_from")
    if upcycle:
        names.append(upcycle)
    return names


def ordered(presets):
    """Presets with every referenced run trained first (a topological order, ties by name)."""
    done, order = set(), []
    pending = sorted(presets)
    while pending:
        ready = [p for p in pending if all(r in done or r not in presets
                                           for r in references(presets[p]))]
        if not ready:
            sys.exit(f"presets reference each other in a cycle: {pending}")
        for p in ready:
            order.append(p)
            done.add(p)
            pending.remove(p)
    return order


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--compare", help="an earlier --out file: report every difference")
    parser.add_argument("--only", help="comma-separated preset names (their references run too)")
    args = parser.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    folder = os.path.join(root, "experiments")
    presets = {}
    for f in os.listdir(folder):
        if f.endswith(".json"):
            with open(os.path.join(folder, f)) as h:
                presets[f[:-5]] = json.load(h)
    # A preset's store name is its spec's "name"; teachers are found by that name.
    by_run_name = {spec.get("name", p): p for p, spec in presets.items()}
    wanted = set(presets)
    if args.only:
        wanted = set()
        stack = args.only.split(",")
        while stack:
            p = stack.pop()
            if p not in presets:
                sys.exit(f"--only: no preset {p!r} in experiments/")
            wanted.add(p)
            stack += [by_run_name.get(r, r) for r in references(presets[p])]

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "runs.sqlite")
        for p in ordered({k: v for k, v in presets.items() if k in wanted}):
            started = time.monotonic()
            out = subprocess.run([args.cli, "--db", db, "run", os.path.join(folder, p + ".json"),
                                  "--json", "--quiet"] + PINNED,
                                 capture_output=True, text=True)
            wall = time.monotonic() - started
            lines = [line for line in out.stdout.splitlines() if line.strip()]
            if out.returncode != 0 or not lines:
                sys.exit(f"{p}: slimlab-cli exited {out.returncode}: {out.stderr.strip()}")
            j = json.loads(lines[-1])
            results[p] = {"test_loss": j["test_loss"], "test_accuracy": j["test_accuracy"],
                          "wall_seconds": round(wall, 1)}
            print(f"{p:24s} test loss {j['test_loss']:.6f}  accuracy {100 * j['test_accuracy']:.2f}%"
                  f"  ({wall:.0f} s)", flush=True)
    with open(args.out, "w") as h:
        json.dump({"pinned_runtime": PINNED[1::2], "presets": results}, h, indent=1)

    if args.compare:
        with open(args.compare) as h:
            before = json.load(h)["presets"]
        differ = 0
        for p, now in results.items():
            then = before.get(p)
            if then is None:
                print(f"{p:24s} new (not in {args.compare})")
                continue
            same = (then["test_loss"] == now["test_loss"]
                    and then["test_accuracy"] == now["test_accuracy"])
            differ += not same
            print(f"{p:24s} {'identical' if same else 'DIFFERS'}: loss {then['test_loss']!r} -> "
                  f"{now['test_loss']!r}, accuracy {then['test_accuracy']!r} -> "
                  f"{now['test_accuracy']!r}")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
