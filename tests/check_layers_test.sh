#!/usr/bin/env bash
# scripts/check-layers must pass a tree whose includes point down and fail,
# naming the file and line, one with an upward include.
set -euo pipefail
check=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in base config measure net store analyzer report autoflow export daemon sim cli; do mkdir -p "$tmp/$d"; done
printf '#include "base/result.h"\n#include "measure/wire.h"\n' > "$tmp/net/udp_io.h"
"$check" "$tmp" > /dev/null
printf '#pragma once\n#include "daemon/api.h"\n' > "$tmp/measure/wire.h"
if "$check" "$tmp" 2> "$tmp/err"; then
  echo "an upward include from measure/ to daemon/ passed"; exit 1
fi
grep -q 'measure/wire.h:2: includes "daemon/..."' "$tmp/err" || { cat "$tmp/err"; exit 1; }
rm "$tmp/measure/wire.h"
mkdir -p "$tmp/newroom" && touch "$tmp/newroom/x.cc"
if "$check" "$tmp" 2> /dev/null; then echo "an unplaced folder passed"; exit 1; fi
echo ok
