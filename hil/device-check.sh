#!/bin/sh
# The device check for a real GPU host, prepared for when one is available (none was when the
# harness was written). It is read-only as far as MIG goes: it never changes MIG mode, never
# creates or destroys instances and never resets the GPU. It runs the inventory, a short
# time-slicing scaling experiment with the built-in probe on GPU 0 (needs MIG mode off there),
# compare and calibrate, and leaves everything in $OUT. About 2-3 minutes of GPU time.
#
#   cargo build --release && sh hil/device-check.sh
#
# Then copy $OUT/measurements.json to hil/measurements/<model>-timeslice.json (no `fake-`
# prefix: these are real) and report the before/after errors printed by calibrate.
# Read-only: SLICESIM_HIL_READ_ONLY=1 makes the binary refuse every NVML write. For a lab GPU
# whose MIG settings must not change, hil/device-h200.sh adds a guard before and a check after.
set -u
export SLICESIM_HIL_READ_ONLY=1
S=${SLICESIM:-target/release/slicesim}
# SLICESIM_PROBE_CMD replaces the built-in probe (tests with the fake library).
if [ -n "${SLICESIM_PROBE_CMD:-}" ]; then
  set -- --probe-cmd "$SLICESIM_PROBE_CMD"
else
  set --
fi
OUT=${OUT:-hil-device-check}
mkdir -p "$OUT"
"$S" hil inventory --json "$OUT/inventory.json" | tee "$OUT/inventory.txt"
cat > "$OUT/experiment.yaml" <<'YAML'
name: device-timeslice
gpu: 0
duration: 8s
warmup: 2s
sample_hz: 10
series:
  - {kind: time_slicing, u: 1.0, d: 1.0, concurrency: [1, 2, 3, 4]}
  - {kind: time_slicing, u: 0.5, d: 0.5, concurrency: [1, 2, 3, 4]}
  - {kind: time_slicing, u: 0.8, d: 0.6, concurrency: [1, 2]}
YAML
"$S" hil measure "$OUT/experiment.yaml" -o "$OUT/measurements.json" "$@" 2>&1 | tee "$OUT/measure.txt"
"$S" hil compare "$OUT/measurements.json" --json "$OUT/compare.json" 2>&1 | tee "$OUT/compare.txt"
"$S" hil calibrate "$OUT/measurements.json" -o "$OUT/calibration.yaml" 2>&1 | tee "$OUT/calibrate.txt"
