#!/bin/sh
# Time-slicing validation on a lab NVIDIA H200 whose MIG settings must not change and which must
# never be reset (issue 13, HIL review section 4.4). The run is READ-ONLY: it exports
# SLICESIM_HIL_READ_ONLY=1 (the binary then refuses every NVML write), runs only `guard`,
# `inventory`, `probe`, `measure`, `compare` and `calibrate`, and reads `nvidia-smi -q`. It never
# calls apply, restore, nvidia-smi -r / -mig / -c / -pm, or anything else that writes.
#
#   sh hil/device-h200.sh [OUT]      # about 5 minutes of GPU time
#
# Needs no network and no Rust: the release binary is $SLICESIM_BIN, else `slicesim` next to this
# script; the experiment is $EXPERIMENT, else experiments/h200-timeslice.yaml next to it. GPU 0
# (the experiment's `gpu`). Everything goes under OUT (default h200-run-<UTC time>), which must
# not exist yet, the harness lock included.
#
# Guard (before anything runs): MIG off and not pending, compute mode DEFAULT, no MPS, no
# processes on the GPU; else exit 4. Afterwards the GPU's state (MIG mode, instances, processes,
# compute mode, MPS, persistence, power limit, application clocks; and the MIG / compute-mode /
# persistence lines of nvidia-smi -q) must equal the state before; else exit 9.
#
# Exit codes: 0 done and the GPU unchanged; 1 a step failed (GPU unchanged); 2 set-up problem;
# 3 no NVML, or the probe cannot run; 4 the guard refused, nothing was run; 9 THE GPU DIFFERS
# AFTERWARDS (see OUT/guard-after.txt and OUT/smi-*-keys.txt).
#
# For tests with the fake NVML library: SLICESIM_NVML_LIB selects it, SLICESIM_PROBE_CMD replaces
# the built-in probe (and skips its smoke test).
set -u
export SLICESIM_HIL_READ_ONLY=1
HERE=$(cd "$(dirname "$0")" && pwd)
S=${SLICESIM_BIN:-$HERE/slicesim}
EXP=${EXPERIMENT:-$HERE/experiments/h200-timeslice.yaml}
OUT=${1:-h200-run-$(date -u +%Y%m%dT%H%M%SZ)}

if [ ! -x "$S" ]; then
  echo "device-h200: no slicesim binary at $S (set SLICESIM_BIN)" >&2
  exit 2
fi
if [ ! -f "$EXP" ]; then
  echo "device-h200: no experiment at $EXP (set EXPERIMENT)" >&2
  exit 2
fi
if [ -e "$OUT" ]; then
  echo "device-h200: $OUT exists; give a new output folder" >&2
  exit 2
fi
mkdir -p "$OUT" || exit 2
LOCK="$OUT/hil.lock"

log() {
  echo "device-h200: $*" | tee -a "$OUT/run.log"
}

# step NAME CMD...: runs CMD with its output in OUT/NAME.txt; logs and returns its exit code.
step() {
  name=$1
  shift
  "$@" > "$OUT/$name.txt" 2>&1
  rc=$?
  log "$name: exit $rc"
  return $rc
}

# smi WHEN: nvidia-smi -q (a query: read-only) and the lines that must not change.
smi() {
  if command -v nvidia-smi > /dev/null 2>&1; then
    nvidia-smi -q > "$OUT/smi-$1.txt" 2>&1
    awk '/MIG Mode/ { n = 3 } n > 0 { print; n-- }
         /Compute Mode|Persistence Mode|GPU UUID|Product Name/ { print }' \
      "$OUT/smi-$1.txt" > "$OUT/smi-$1-keys.txt"
  else
    echo "nvidia-smi not found" > "$OUT/smi-$1-keys.txt"
  fi
}

log "start $(date -u +%Y-%m-%dT%H:%M:%SZ); binary $S; experiment $EXP"
cp "$EXP" "$OUT/experiment.yaml" || exit 2
"$S" --version > "$OUT/version.txt" 2>&1
smi before

step guard-before "$S" hil --lock "$LOCK" guard --gpu 0 --timeslice-ready --json "$OUT/before.json"
rc=$?
if [ $rc -ne 0 ]; then
  cat "$OUT/guard-before.txt" >&2
  [ $rc -eq 3 ] && exit 3
  [ $rc -eq 4 ] && exit 4
  exit 1
fi

status=0
step inventory "$S" hil --lock "$LOCK" inventory --gpu 0 --json "$OUT/inventory.json" || status=1

if [ $status -eq 0 ] && [ -z "${SLICESIM_PROBE_CMD:-}" ]; then
  step smoke "$S" hil probe --seconds 1 --warmup 0.5 || status=3
fi

if [ $status -eq 0 ]; then
  if [ -n "${SLICESIM_PROBE_CMD:-}" ]; then
    step measure "$S" hil --lock "$LOCK" measure "$OUT/experiment.yaml" -o "$OUT/h200.json" \
      --probe-cmd "$SLICESIM_PROBE_CMD" || status=1
  else
    step measure "$S" hil --lock "$LOCK" measure "$OUT/experiment.yaml" -o "$OUT/h200.json" \
      || status=1
  fi
fi

if [ -f "$OUT/h200.json" ]; then
  # Exit 2 = some point outside the tolerance: a result, not a failure of the run.
  step compare "$S" hil compare "$OUT/h200.json" --reference datasheet --json "$OUT/compare.json"
  [ $? -le 2 ] || status=1
  step calibrate "$S" hil calibrate "$OUT/h200.json" -o "$OUT/calibration.yaml" || status=1
fi

# After: the GPU must be exactly as before.
smi after
step guard-after "$S" hil --lock "$LOCK" guard --gpu 0 --same-as "$OUT/before.json" \
  --json "$OUT/after.json"
after=$?
if [ $after -ne 0 ] || ! cmp -s "$OUT/smi-before-keys.txt" "$OUT/smi-after-keys.txt"; then
  log "THE GPU DIFFERS AFTER THE RUN: see $OUT/guard-after.txt and $OUT/smi-*-keys.txt"
  cat "$OUT/guard-after.txt" >&2
  exit 9
fi
log "done (exit $status); the GPU is as before; everything is in $OUT"
exit $status
