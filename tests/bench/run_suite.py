#!/usr/bin/python3
"""SlimLab's benchmark suite: SlimLab and its PyTorch-from-Python peer, side by side, in one run.

    bash packaging/bench.sh            # installs python3-torch, builds, runs this
    /usr/bin/python3 tests/bench/run_suite.py --build build/release [--rounds 3] [--quick]

Writes docs/benchmarks.json (every measurement) and docs/benchmarks.md (the tables). Each
comparison alternates the two sides round by round (SlimLab first in even rounds, the peer
first in odd ones) and reports medians, so drift on a shared machine hits both alike.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRESETS = ["mlp-fashion", "cnn-fashion", "moe-fashion-top2"]
BATCHES = [128, 512]


def run_json(cmd, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    out = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"run_suite: {' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine(build):
    doctor = run_json([f"{build}/app/cli/slimlab-cli", "doctor", "--json", "--db",
                       os.path.join(tempfile.gettempdir(), "slimlab-bench-doctor.sqlite")])
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    flags = open("/proc/cpuinfo").read()
    torch_py = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
                              capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu, "cores": len(os.sched_getaffinity(0)),
        "avx2": " avx2" in flags, "avx512f": " avx512f" in flags,
        "kernel": platform.release(), "libtorch": doctor["torch"], "python_torch": torch_py,
        "python": platform.python_version(),
        "blas": doctor["blas"], "blas_path": doctor["blas_path"], "blas_config": doctor["blas_config"],
        "parallel_backend": doctor["torch_parallel_backend"],
        "run_threads": doctor["run_threads"], "run_blas_threads": doctor["run_blas_threads"],
        "run_gemm": doctor["run_gemm"],
        "env": {k: os.environ.get(k, "") for k in
                ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OMP_WAIT_POLICY"]},
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def steps_for(preset, batch, quick):
    # About 3-6 s per measurement; the CNN is ~15x slower per step than the MLP.
    base = 40 if preset.startswith("cnn") else 300
    steps = base if batch == 128 else base // 4
    if quick:
        steps = max(10, steps // 4)
    return 10 * max(1, steps // 10)


def training(build, m, rounds, quick):
    """SlimLab against the peer at the same threads; plus SlimLab with the BLAS gemm and the peer
    at PyTorch's own default threads, to show where the difference comes from."""
    bench = f"{build}/tests/slimlab-bench-train"
    peer = [f"/usr/bin/python3", "tests/bench/peer_pytorch.py"]
    threads, blas = m["run_threads"], m["run_blas_threads"]
    cases = []
    for preset in PRESETS:
        for batch in BATCHES:
            steps = steps_for(preset, batch, quick)
            warmup = 10 if preset.startswith("cnn") else 20
            spec = f"experiments/{preset}.json"
            common = ["--batch", str(batch), "--warmup", str(warmup), "--steps", str(steps)]
            run_json([bench, "train", spec] + common)  # Measures and caches its runtime choice.
            # The peer at every LibTorch thread count (OpenBLAS one thread beside several, else
            # every core, SlimLab's rule), so it is compared at its best, not at SlimLab's.
            peer_sides = {f"pytorch_{t}": t for t in range(1, m["cores"] + 1)}
            runs = {"slimlab": [], "slimlab_blas_gemm": [], "pytorch_default": []}
            runs.update({side: [] for side in peer_sides})
            sides = ["slimlab"] + list(peer_sides)
            for r in range(rounds):
                order = sides if r % 2 == 0 else sides[::-1]
                for side in order:
                    if side == "slimlab":
                        runs[side].append(run_json([bench, "train", spec] + common))
                    else:
                        t = peer_sides[side]
                        runs[side].append(run_json(peer + [spec, "--threads", str(t)] + common,
                                                   env={"OPENBLAS_NUM_THREADS":
                                                        str(1 if t > 1 else m["cores"])}))
            runs["slimlab_blas_gemm"].append(
                run_json([bench, "train", spec] + common + ["--set", "runtime.gemm=blas",
                                                            "--set", f"runtime.threads={threads}"]))
            runs["pytorch_default"].append(run_json(peer + [spec] + common))
            med = {k: statistics.median(x["steps_per_second"] for x in v) for k, v in runs.items()}
            best_peer = max(peer_sides, key=lambda side: med[side])
            med["pytorch"] = med[best_peer]
            case = {"preset": preset, "batch": batch, "steps": steps, "warmup": warmup,
                    "threads": threads, "blas_threads": blas,
                    "slimlab_runtime": runs["slimlab"][0]["runtime"],
                    "pytorch_best_threads": peer_sides[best_peer],
                    "steps_per_second": med,
                    "all_steps_per_second": {k: [x["steps_per_second"] for x in v]
                                             for k, v in runs.items()},
                    "ratio": med["slimlab"] / med["pytorch"],
                    "ratio_vs_pytorch_default": med["slimlab"] / med["pytorch_default"],
                    "macs_per_sample": runs["slimlab"][0]["macs_per_sample"],
                    "nominal_gflops": statistics.median(x["nominal_gflops"] for x in runs["slimlab"])}
            if "gflops" in runs["slimlab"][0]:
                case["gflops"] = statistics.median(x["gflops"] for x in runs["slimlab"])
                case["training_macs_per_sample"] = runs["slimlab"][0]["training_macs_per_sample"]
            print(f"  {preset:18s} batch {batch:3d}: SlimLab {med['slimlab']:7.1f} steps/s, "
                  f"PyTorch {med['pytorch']:7.1f} at {peer_sides[best_peer]} threads "
                  f"({case['ratio']:.2f}x)", file=sys.stderr)
            cases.append(case)
    return cases


RUNTIME_PRESETS = ["mlp-fashion", "cnn-fashion", "moe-fashion-top2", "vit-fashion"]


def runtime_choice(build, m, rounds, quick):
    """The automatic runtime choice (threads and gemm measured per model, cached) against every
    fixed choice it picks from, alternating rounds; and what the measurement cost on a cold
    cache."""
    bench = f"{build}/tests/slimlab-bench-train"
    cli = f"{build}/app/cli/slimlab-cli"
    fixed = [(t, g) for g in ["onednn", "blas"] for t in range(m["cores"], 0, -1)]
    cases = []
    for preset in RUNTIME_PRESETS:
        for batch in BATCHES:
            spec = f"experiments/{preset}.json"
            slow = not preset.startswith("mlp") and not preset.startswith("moe")
            steps = steps_for("cnn" if slow else preset, batch, quick)
            warmup = 10 if slow else 20
            common = ["train", spec, "--batch", str(batch), "--warmup", str(warmup),
                      "--steps", str(steps)]
            # The first run on a new machine: an empty cache, so the choice is measured.
            with tempfile.TemporaryDirectory() as cold_cache:
                db = os.path.join(cold_cache, "runs.sqlite")
                first = run_json([cli, "run", spec, "--db", db, "--quiet", "--json",
                                  "--set", f"data.batch_size={batch}", "--set", "schedule.steps=1"],
                                 env={"XDG_CACHE_HOME": cold_cache})
            run_json([bench] + common)  # Fills the user's cache.
            configs = {"auto": []} | {f"{t}/{g}": [] for t, g in fixed}
            args = {"auto": []} | {f"{t}/{g}": ["--set", f"runtime.threads={t}",
                                                "--set", f"runtime.gemm={g}"] for t, g in fixed}
            names = list(configs)
            choice = None
            for r in range(rounds):
                order = names if r % 2 == 0 else names[::-1]
                for name in order:
                    out = run_json([bench] + common + args[name])
                    configs[name].append(out["steps_per_second"])
                    if name == "auto":
                        choice = out["runtime"]
            med = {k: statistics.median(v) for k, v in configs.items()}
            best = max((k for k in names if k != "auto"), key=lambda k: med[k])
            case = {"preset": preset, "batch": batch, "steps": steps,
                    "steps_per_second": med, "all_steps_per_second": configs,
                    "choice": f"{choice['threads']}/{choice['gemm']}", "chosen_by": choice["chosen_by"],
                    "best_fixed": best, "auto_over_best": med["auto"] / med[best],
                    "first_run": {"seconds_to_first_step": first["seconds_to_first_step"],
                                  "measure_seconds": first["runtime"].get("measure_seconds", 0.0),
                                  "chosen_by": first["runtime"]["chosen_by"]}}
            case["choice_over_best"] = med[case["choice"]] / med[best]
            print(f"  {preset:18s} batch {batch:3d}: auto {med['auto']:7.1f} steps/s "
                  f"({case['choice']}), best fixed {med[best]:7.1f} ({best}): "
                  f"{case['auto_over_best']:.1%}; the choice's fixed runs "
                  f"{case['choice_over_best']:.1%} of the best", file=sys.stderr)
            cases.append(case)
    return cases


def logging_overhead(build, rounds, quick):
    """The fastest preset step (mlp-fashion, batch 128: logging's worst case), trained with and
    without the run store's writer recording every logged step, alternating."""
    bench = f"{build}/tests/slimlab-bench-train"
    steps = 300 if quick else 1500
    args = ["train", "experiments/mlp-fashion.json", "--batch", "128", "--steps", str(steps)]
    plain, recorded = [], []
    for r in range(max(rounds, 5)):
        pair = [(plain, []), (recorded, ["--recorded"])]
        for bucket, extra in (pair if r % 2 == 0 else pair[::-1]):
            bucket.append(run_json([bench] + args + extra)["steps_per_second"])
    p, q = statistics.median(plain), statistics.median(recorded)
    return {"preset": "mlp-fashion", "batch": 128, "steps": steps, "log_interval_steps": 10,
            "plain_steps_per_second": p, "recorded_steps_per_second": q,
            "all_plain": plain, "all_recorded": recorded, "overhead_share": 1 - q / p}


def startup(build, rounds):
    """`slimlab-cli run` to the end of the first training step, with the decoded-dataset cache
    warm (every start after the first) and cold (an empty cache directory)."""
    cli = f"{build}/app/cli/slimlab-cli"
    out = []
    db = os.path.join(tempfile.gettempdir(), "slimlab-bench-startup.sqlite")
    for preset in PRESETS:
        cmd = [cli, "run", f"experiments/{preset}.json", "--db", db, "--quiet", "--json",
               "--set", "schedule.steps=1"]
        with tempfile.TemporaryDirectory() as cold_cache:
            cold = run_json(cmd, env={"XDG_CACHE_HOME": cold_cache})["seconds_to_first_step"]
        run_json(cmd)  # Fills the user's cache if it was empty.
        warm = [run_json(cmd)["seconds_to_first_step"] for _ in range(rounds)]
        peer = [run_json(["/usr/bin/python3", "tests/bench/peer_pytorch.py",
                          f"experiments/{preset}.json", "--warmup", "0", "--steps", "1"])
                ["seconds_to_first_step"] for _ in range(rounds)]
        out.append({"preset": preset, "cold_cache": cold, "warm": statistics.median(warm),
                    "all_warm": warm, "pytorch": statistics.median(peer)})
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    return out


def store(build, rounds):
    runs = [run_json([f"{build}/tests/slimlab-bench-train", "store", "1000000"])
            for _ in range(rounds)]
    return {"rows": 1000000, "rows_per_second": statistics.median(r["rows_per_second"] for r in runs),
            "all_rows_per_second": [r["rows_per_second"] for r in runs],
            "push_microseconds_per_row":
                statistics.median(r["push_microseconds_per_row"] for r in runs)}


def sgemm(build, rounds):
    runs = [run_json([f"{build}/tests/slimlab-bench-train", "sgemm"]) for _ in range(rounds)]
    keys = ["blas_gflops", "blas_gflops_at_run_threads", "onednn_gflops"]
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"blas_core": runs[0]["blas_core"]}


def mark(ok):
    return "yes" if ok else "**no**"


def markdown(r):
    m = r["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bash packaging/bench.sh` (which runs `tests/bench/run_suite.py`) on "
        f"{m['date']}; every figure is a median over alternating rounds (`{r['rounds']}` rounds"
        + "".join(f"; {k} again with `--only {k} --rounds {v}`"
                  for k, v in r.get("rounds_by_section", {}).items())
        + "), and the raw values are in `docs/benchmarks.json`. Re-run it on your machine: the "
        "figures below are this machine's.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores usable"
        f" (AVX2 {'yes' if m['avx2'] else 'no'}, AVX-512 {'yes' if m['avx512f'] else 'no'}),"
        f" Linux {m['kernel']}",
        f"- LibTorch {m['libtorch']} (C++) and PyTorch {m['python_torch']} (Debian's python3-torch,"
        f" Python {m['python']}): the same Debian build of 1.13 underneath; parallel backend"
        f" {m['parallel_backend']}",
        f"- BLAS: {m['blas']} at `{m['blas_path']}`; {m['blas_config']}",
        "- Threads: SlimLab runs with its automatic choice, measured per model and batch and "
        "cached (`runtime.threads` 0, `runtime.gemm` auto; the choice of each case is in the "
        "tables); the PyTorch peer is measured at every LibTorch thread count (OpenBLAS one "
        "thread beside several, else every core) and compared at its best. Environment: "
        + ", ".join(f"{k}={v or 'unset'}" for k, v in m["env"].items()),
        "",
        "## The limit: sgemm",
        "",
        "`build/release/tests/slimlab-bench-train sgemm` (1024 x 1024 x 1024, median of 7):",
        "",
        "| kernel | GFLOP/s |",
        "|---|---|",
        f"| OpenBLAS sgemm, all cores ({r['sgemm']['blas_core']} kernels; what PyTorch's nn.Linear calls) | {r['sgemm']['blas_gflops']:.1f} |",
        f"| OpenBLAS sgemm, {m['run_blas_threads']} thread (beside {m['run_threads']} LibTorch threads) | {r['sgemm']['blas_gflops_at_run_threads']:.1f} |",
        f"| oneDNN sgemm, {m['run_threads']} threads (what SlimLab's dense layers call with `runtime.gemm` onednn) | {r['sgemm']['onednn_gflops']:.1f} |",
        "",
        "## Training steps/s: SlimLab against PyTorch from Python",
        "",
        "Same preset model, data (Fashion-MNIST in memory), Adam, per-step work (shuffled batch by "
        "index_select, forward, cross-entropy plus the MoE auxiliary losses, loss value read, "
        "backward, step, correct predictions counted) and threads. SlimLab: "
        "`build/release/tests/slimlab-bench-train train experiments/PRESET.json --batch B` (the "
        "real Trainer, with its automatic runtime choice). Peer: `OPENBLAS_NUM_THREADS=1 "
        "/usr/bin/python3 tests/bench/peer_pytorch.py experiments/PRESET.json --batch B "
        "--threads T` for every T, the best taken. Target: SlimLab >= 1.2x in every case.",
        "",
        "| preset | batch | SlimLab steps/s (its choice) | PyTorch steps/s (best threads) | "
        "SlimLab / PyTorch | >= 1.2x | SlimLab, BLAS gemm | PyTorch, its default threads | "
        "SlimLab / PyTorch default |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in r["training"]:
        s = c["steps_per_second"]
        rt = c["slimlab_runtime"]
        lines.append(
            f"| {c['preset']} | {c['batch']} | {s['slimlab']:.1f} ({rt['threads']} threads, "
            f"{rt['gemm']}) | {s['pytorch']:.1f} ({c['pytorch_best_threads']}) | "
            f"**{c['ratio']:.2f}x** | {mark(c['ratio'] >= 1.2)} | {s['slimlab_blas_gemm']:.1f} | "
            f"{s['pytorch_default']:.1f} | {c['ratio_vs_pytorch_default']:.2f}x |")
    lines += [
        "",
        "## Threads and gemm: the automatic choice against every fixed one",
        "",
        "A run whose spec leaves `runtime.threads` 0 and `runtime.gemm` auto measures its own "
        "model at its batch size on a few training steps of every candidate (LibTorch threads "
        "1 .. cores, oneDNN or BLAS gemm; alternating rounds), once per machine, and caches the "
        "fastest (`~/.cache/SlimLab/runtime/`). Below: `slimlab-bench-train train "
        "experiments/PRESET.json --batch B` with the cached choice (auto) against the same with "
        "`--set runtime.threads=T --set runtime.gemm=G` for each candidate T/G, alternating "
        "rounds. Target: auto within 5% of the best fixed choice in every case. \"Choice / "
        "best\" compares the fixed runs of the chosen setting and of the best one: how good the "
        "choice is. \"Auto / best\" compares the auto runs themselves; when the choice is the "
        "best setting, auto and that fixed setting train identically and differ only by "
        "run-to-run noise, shown as \"auto / same fixed\". \"First run\": "
        "`slimlab-cli run` with an empty cache, which measures: the measurement's seconds and the "
        "time to the first step, which includes them.",
        "",
        "| preset | batch | auto steps/s (choice) | best fixed | choice / best | within 5% | "
        "auto / best | auto / same fixed (noise) | every fixed choice (threads/gemm: steps/s) | "
        "first run: measuring, first step |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in r.get("runtime_choice", []):
        s = c["steps_per_second"]
        others = ", ".join(f"{k} {v:.0f}" for k, v in s.items() if k != "auto")
        fr = c["first_run"]
        choice_over_best = s[c["choice"]] / s[c["best_fixed"]]
        lines.append(
            f"| {c['preset']} | {c['batch']} | {s['auto']:.1f} ({c['choice']}) | "
            f"{s[c['best_fixed']]:.1f} ({c['best_fixed']}) | **{choice_over_best:.1%}** | "
            f"{mark(choice_over_best >= 0.95)} | {c['auto_over_best']:.1%} | "
            f"{s['auto'] / s[c['choice']]:.1%} | {others} | {fr['measure_seconds']:.2f} s, "
            f"{fr['seconds_to_first_step']:.2f} s |")
    lines += [
        "",
        "\"SlimLab, BLAS gemm\" is SlimLab with `--set runtime.gemm=blas`: the same C++ loop on the "
        "same matrix multiply as PyTorch, which separates the loop's share of the gain from the "
        "kernel's. \"PyTorch, its default threads\" is the peer with nothing set (this Debian build "
        "starts with 1 intra-op thread and OpenBLAS with one per core).",
        "",
        "## Achieved GFLOP/s against the limit",
        "",
        "Training FLOPs are counted from MACs: for the MLP exactly (forward, weight gradients, and "
        "input gradients of every layer but the first: "
        f"{next(c for c in r['training'] if 'gflops' in c)['training_macs_per_sample']:,} MACs per "
        "example); for the others nominally as 3 x the forward MACs. Target: the MLP at batch 512 "
        ">= 40% of the measured sgemm.",
        "",
        "| preset | batch | GFLOP/s achieved | share of OpenBLAS sgemm | share of oneDNN sgemm |",
        "|---|---|---|---|---|",
    ]
    for c in r["training"]:
        g = c.get("gflops", c["nominal_gflops"])
        label = "" if "gflops" in c else " (nominal)"
        lines.append(f"| {c['preset']} | {c['batch']} | {g:.1f}{label} | "
                     f"{g / r['sgemm']['blas_gflops']:.0%} | {g / r['sgemm']['onednn_gflops']:.0%} |")
    mlp512 = next(c for c in r["training"] if c["preset"] == "mlp-fashion" and c["batch"] == 512)
    blas_share = mlp512["gflops"] / r["sgemm"]["blas_gflops"]
    onednn_share = mlp512["gflops"] / r["sgemm"]["onednn_gflops"]
    lines += [
        "",
        f"MLP at batch 512: {mlp512['gflops']:.1f} GFLOP/s = **{blas_share:.0%} of the active "
        f"BLAS's sgemm** (the issue's bar, 40%: {mark(blas_share >= 0.4)}), and "
        f"**{onednn_share:.0%} of oneDNN's sgemm**, the faster kernel this machine has and the "
        "stricter limit now that the dense layers use it.",
        "",
        "Where the rest of a step goes (`GOMP_SPINCOUNT=0 perf record -g "
        "build/release/tests/slimlab-bench-train train experiments/mlp-fashion.json --batch 512 "
        "--steps 300`, then `perf report --sort dso`; the spin count only keeps idle OpenMP "
        "threads out of the profile): oneDNN's JIT kernels 36% of the samples, LibTorch's "
        "elementwise ops and autograd 30% (dropout's random numbers alone 5%), the kernel 16% "
        "(thread wake-ups, page faults of fresh tensors), libc copies 3%.",
        "",
        "## Run store and logging",
        "",
        "`build/release/tests/slimlab-bench-train store 1000000`: one million metric rows through "
        "the StoreWriter (the training thread queues, the writer thread commits in batches):",
        "",
        f"- **{r['store']['rows_per_second']:,.0f} rows/s** (target 200,000: "
        f"{mark(r['store']['rows_per_second'] >= 200000)}); queueing a row costs the training thread "
        f"{r['store']['push_microseconds_per_row']:.2f} us.",
    ]
    lo = r["logging"]
    lines += [
        f"- Logging overhead on mlp-fashion at batch 128 (the shortest step, so logging's worst "
        f"case), {lo['steps']} steps, the trainer alone against the trainer recorded by the store "
        f"(`--recorded`), alternating: {lo['plain_steps_per_second']:.1f} against "
        f"{lo['recorded_steps_per_second']:.1f} steps/s = **{lo['overhead_share']:.1%}** "
        f"(target < 2%: {mark(lo['overhead_share'] < 0.02)}). Per-round values: "
        f"{', '.join(f'{x:.0f}' for x in lo['all_plain'])} against "
        f"{', '.join(f'{x:.0f}' for x in lo['all_recorded'])}: the rounds vary more than the "
        "difference, so the measured share is noise. Counted instead: a logged step of this "
        "preset writes 4 metric rows (loss, accuracy, lr, steps/s) every 10 steps; at the writer's rate and push cost that is "
        f"{4 * (1e6 / r['store']['rows_per_second'] + r['store']['push_microseconds_per_row']) / 10:.1f} "
        f"us per step, {7 * (1 / r['store']['rows_per_second'] + r['store']['push_microseconds_per_row'] * 1e-6) / 10 * lo['plain_steps_per_second']:.2%} "
        "of the step time (the writer's share runs on its own thread).",
        "",
        "## Time to the first training step",
        "",
        "`slimlab-cli run experiments/PRESET.json --set schedule.steps=1 --json` reports "
        "`seconds_to_first_step`: from the program's start to the end of the first optimiser "
        "step, so it includes loading LibTorch (Debian's libtorch_cpu pulls in ~290 shared "
        "libraries), reading the data, choosing the runtime and building the model. Warm: the "
        "decoded Fashion-MNIST cache (`~/.cache/SlimLab/idx`) and the runtime choice "
        "(`~/.cache/SlimLab/runtime`) exist, as they do after the first start; cold: an empty "
        "cache, so the data is decoded and the runtime measured. Target <= 1 s warm.",
        "",
        "| preset | warm | <= 1 s | cold cache | PyTorch peer (same measure) |",
        "|---|---|---|---|---|",
    ]
    for s in r["startup"]:
        lines.append(f"| {s['preset']} | {s['warm']:.2f} s | {mark(s['warm'] <= 1.0)} | "
                     f"{s['cold_cache']:.2f} s | {s['pytorch']:.2f} s |")
    lines.append("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build/release")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="fewer steps: a smoke run")
    p.add_argument("--json", default="docs/benchmarks.json")
    p.add_argument("--markdown", default="docs/benchmarks.md")
    p.add_argument("--render", action="store_true",
                   help="only rewrite the markdown from the JSON of an earlier run")
    p.add_argument("--only", default="",
                   help="comma-separated sections to measure again (sgemm, training, "
                        "runtime_choice, store, logging, startup), kept with the other sections "
                        "of the earlier run's JSON")
    a = p.parse_args()
    if a.render:
        r = json.load(open(os.path.join(ROOT, a.json)))
        with open(os.path.join(ROOT, a.markdown), "w") as f:
            f.write(markdown(r))
        return
    build = os.path.abspath(os.path.join(ROOT, a.build))
    sections = {
        "sgemm": lambda r: sgemm(build, a.rounds),
        "training": lambda r: training(build, r["machine"], a.rounds, a.quick),
        "runtime_choice": lambda r: runtime_choice(build, r["machine"], a.rounds, a.quick),
        "store": lambda r: store(build, a.rounds),
        "logging": lambda r: logging_overhead(build, a.rounds, a.quick),
        "startup": lambda r: startup(build, a.rounds),
    }
    only = [x for x in a.only.split(",") if x]
    unknown = [x for x in only if x not in sections]
    if unknown:
        sys.exit(f"run_suite: --only: unknown section {unknown[0]}; one of {', '.join(sections)}")
    print("machine...", file=sys.stderr)
    if only:
        r = json.load(open(os.path.join(ROOT, a.json)))
        if r["machine"]["cpu"] != machine(build)["cpu"]:
            sys.exit("run_suite: --only: the earlier run is from another CPU; measure every section")
        r.setdefault("rounds_by_section", {})
    else:
        r = {"rounds": a.rounds, "quick": a.quick, "machine": machine(build)}
    for name, measure in sections.items():
        if only and name not in only:
            continue
        print(f"{name}...", file=sys.stderr)
        r[name] = measure(r)
        if only:
            r["rounds_by_section"][name] = a.rounds
    with open(os.path.join(ROOT, a.json), "w") as f:
        json.dump(r, f, indent=1)
    with open(os.path.join(ROOT, a.markdown), "w") as f:
        f.write(markdown(r))
    print(f"wrote {a.json} and {a.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
