#!/usr/bin/env bash
# Incremental rebuild after touching one console file: `cargo build` (the binary) and
# `cargo build --tests` (every test binary), N runs each, alternating, median printed.
# Usage: scripts/rebuild-time.sh [FILE] [N]   (run from the repository root; warm target/)
set -euo pipefail
file=${1:-src/tui/panes/prs.rs}
n=${2:-3}
cargo build --locked --quiet
cargo build --locked --tests --quiet
bin=() tests=()
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
for i in $(seq "$n"); do
  echo "// touched" >>"$file"; b=$(secs cargo build --locked); bin+=("$b")
  sed -i '$ d' "$file"; t=$(secs cargo build --locked --tests); tests+=("$t")
  printf 'run %d: cargo build %.1f s, cargo build --tests %.1f s\n' "$i" "$b" "$t"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf 'median of %d: cargo build %.1f s, cargo build --tests %.1f s (touched %s, %s)\n' \
  "$n" "$(median "${bin[@]}")" "$(median "${tests[@]}")" "$file" "$(git rev-parse --short HEAD)"
