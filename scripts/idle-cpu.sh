#!/usr/bin/env bash
# Idle CPU of the console: runs `kfops demo` (console + embedded simulator) in a detached tmux
# session, lets it settle, then reads its CPU time (utime + stime from /proc/<pid>/stat) before
# and after SECONDS of no input. Prints CPU milliseconds and the share of one core.
# Usage: scripts/idle-cpu.sh [SECONDS]   (default 30; builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
cargo build --release --quiet
bin="$PWD/target/release/kfops"
sock="kfops-idle-$$"
tmux -L "$sock" new-session -d -x 160 -y 45 "XDG_STATE_HOME=$(mktemp -d) '$bin' demo"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true' EXIT
sleep 5
pid="$(pgrep -n -f "$bin demo")"
tick="$(getconf CLK_TCK)"
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before="$(cpu)"
sleep "$seconds"
after="$(cpu)"
ms=$(( (after - before) * 1000 / tick ))
echo "kfops demo idle for ${seconds}s: ${ms} ms CPU ($(awk "BEGIN{printf \"%.2f\", $ms / ($seconds * 10)}")% of one core)"
