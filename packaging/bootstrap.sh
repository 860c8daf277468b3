#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   packaging/bootstrap.sh run    install packages, build, start SlimLab (GUI with a display,
#                                 else a headless run of experiments/mlp-fashion.json)
#   packaging/bootstrap.sh test   install packages, build, run every test
#   packaging/bootstrap.sh build  install packages, build
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
case "$mode" in run | test | build) ;; *)
  echo "usage: packaging/bootstrap.sh run|test|build" >&2
  exit 2
  ;;
esac

bash packaging/install-deps.sh
jobs="$(nproc)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

case "$mode" in
  run)
    if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
      exec build/release/app/gui/slimlab
    fi
    echo "No display: running the default experiment headless (slimlab-cli run experiments/mlp-fashion.json)"
    exec build/release/app/cli/slimlab-cli run experiments/mlp-fashion.json
    ;;
  test)
    # Qt tests draw offscreen; nothing needs a display.
    export QT_QPA_PLATFORM=offscreen
    # The tests' caches (decoded datasets, measured runtime choices) are the build's own:
    # runtime choices measured while tests run side by side are no one's to keep.
    export XDG_CACHE_HOME="$PWD/build/test-cache"
    ctest --preset release -j "$jobs"
    # CI (and anyone who sets SLIMLAB_SANITIZERS=1) also builds the core, the CLI and their tests
    # with AddressSanitizer + UndefinedBehaviorSanitizer and runs them (about 20 minutes more).
    # The asan preset leaves out the presets' accuracy bars and the kill -9 durability tests:
    # long trainings whose memory use the other tests already exercise under the sanitizers
    # (CI has 90 minutes for both stages).
    if [[ "${CI:-}" == "true" || "${SLIMLAB_SANITIZERS:-}" == "1" ]]; then
      cmake --preset asan >/dev/null
      cmake --build --preset asan -j "$jobs"
      ctest --preset asan -j "$jobs"
    fi
    ;;
esac
