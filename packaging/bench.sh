#!/usr/bin/env bash
# The benchmark suite: SlimLab beside PyTorch-from-Python on this machine, in one run.
#   bash packaging/bench.sh [--rounds N] [--quick] [--only SECTION,...]
# Installs the packages (and Debian's python3-torch for the peer), builds, then writes
# docs/benchmarks.json and docs/benchmarks.md. Takes about 25 minutes on two cores; run it on a
# quiet machine (a build or test beside it skews both sides).
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/bootstrap.sh build
if ! dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends python3-torch
fi
# Debian's interpreter, where python3-torch lives (a python3 earlier on PATH may not have it).
exec /usr/bin/python3 tests/bench/run_suite.py --build build/release "$@"
