#!/usr/bin/env bash
# Time from the key that quits to the process's exit: runs `kfops demo` in a detached tmux
# session, waits for the PRs, optionally starts a /build (`build` mode: `b`, then `q` opens the
# quit confirmation and `y` answers it), sends the quitting key and polls the pane (every
# 10 ms) until the shell after kfops prints its marker. Prints one line per run.
# Usage: scripts/quit-time.sh [idle|build] [RUNS]   (binary: $KFOPS_BIN, default the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-idle}"
runs="${2:-5}"
bin="${KFOPS_BIN:-$PWD/target/debug/kfops}"
ms_now() { date +%s%N | cut -c1-13; }
for run in $(seq 1 "$runs"); do
  sock="kfops-quit-$$-$run"
  tmux -L "$sock" -f /dev/null new-session -d -x 200 -y 50 \
    "sh -c 'XDG_STATE_HOME=$(mktemp -d) $bin demo; echo KFOPS_EXITED; sleep 30'"
  pane() { tmux -L "$sock" capture-pane -p; }
  until pane | grep -q '#45'; do sleep 0.1; done
  sleep 2
  key=q
  if [ "$mode" = build ]; then
    tmux -L "$sock" send-keys b
    sleep 2
    tmux -L "$sock" send-keys q
    until pane | grep -q 'Quit while actions run?'; do sleep 0.05; done
    key=y
  fi
  start="$(ms_now)"
  tmux -L "$sock" send-keys "$key"
  until pane | grep -q KFOPS_EXITED; do sleep 0.01; done
  echo "$mode run $run: exited $(( $(ms_now) - start )) ms after '$key'"
  tmux -L "$sock" kill-server
done
