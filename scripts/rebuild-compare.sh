#!/usr/bin/env bash
# Incremental rebuild, before and after, in one command: alternates scripts/rebuild-time.sh
# (one run each time) between a baseline checkout and this one, N rounds.
# Usage: scripts/rebuild-compare.sh BASELINE_DIR [N] [FILE]
#   e.g. git worktree add --detach ../before 1255267 && cp -a target ../before/target
#        scripts/rebuild-compare.sh ../before 3
set -euo pipefail
base=$(cd "$1" && pwd)
here=$(pwd)
n=${2:-3}
file=${3:-src/tui/panes/prs.rs}
script="$here/scripts/rebuild-time.sh"
for i in $(seq "$n"); do
  for dir in "$base" "$here"; do
    (cd "$dir" && bash "$script" "$file" 1 | tail -1 | sed "s|^median of 1|$(basename "$dir")|")
  done
done
