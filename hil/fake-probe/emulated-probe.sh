#!/bin/sh
# Emulated probe for tests and demos. SYNTHETIC: it runs nothing on a GPU. It prints the
# throughput that slicesim's performance model gives with the "true" parameters below, so that
# `slicesim hil measure` with the fake NVML library produces measurements whose parameters are
# known, and `compare` / `calibrate` can be checked against them by hand. Every line it prints
# carries synthetic=1, and measurement files made with it are labelled synthetic.
#
# Parameters (environment, with defaults):
#   FAKE_PROBE_OVERHEAD=0.03       context-switch overhead per extra context
#   FAKE_PROBE_OVERHEAD_MAX=0.2    its cap
#   FAKE_PROBE_MIG_EFFICIENCY=0.9  factor on speeds inside MIG instances
#   FAKE_PROBE_SPEED_<MODEL>       whole-GPU speed (A100_80GB 1.0, H100_80GB 2.2, H200_141GB 2.5)
#   FAKE_PROBE_BASE=100            throughput alone on a whole A100-80GB, units/s
#   FAKE_PROBE_SLEEP=1             sleep for warm-up + duration like a real probe (0: don't)
# Inputs from the harness: SLICESIM_PROBE_U, _D, _N, _SM_FRACTION, _MIG_PROFILE, _GPU_MODEL,
# _SECONDS, _WARMUP.
set -eu
model=${SLICESIM_PROBE_GPU_MODEL:-A100-80GB}
case "$model" in
  A100-80GB) speed=${FAKE_PROBE_SPEED_A100_80GB:-1.0} ;;
  H100-80GB) speed=${FAKE_PROBE_SPEED_H100_80GB:-2.2} ;;
  H200-141GB) speed=${FAKE_PROBE_SPEED_H200_141GB:-2.5} ;;
  *) speed=1.0 ;;
esac
if [ "${FAKE_PROBE_SLEEP:-1}" = 1 ]; then
  sleep "$(awk -v a="${SLICESIM_PROBE_WARMUP:-0}" -v b="${SLICESIM_PROBE_SECONDS:-0}" 'BEGIN { print a + b }')"
fi
awk -v u="$SLICESIM_PROBE_U" -v d="$SLICESIM_PROBE_D" -v n="${SLICESIM_PROBE_N:-1}" \
    -v f="${SLICESIM_PROBE_SM_FRACTION:-1}" -v mig="${SLICESIM_PROBE_MIG_PROFILE:-}" \
    -v o="${FAKE_PROBE_OVERHEAD:-0.03}" -v omax="${FAKE_PROBE_OVERHEAD_MAX:-0.2}" \
    -v eff="${FAKE_PROBE_MIG_EFFICIENCY:-0.9}" -v s="$speed" -v base="${FAKE_PROBE_BASE:-100}" '
BEGIN {
  if (mig != "") {
    stretch = d / f; if (stretch < 1) stretch = 1
    r = eff / ((1 - u) + u * stretch)
  } else {
    ov = o * (n - 1); if (ov > omax) ov = omax; if (n <= 1) ov = 0
    g = (1 - ov) / n; if (g > u) g = u
    r = g / u
  }
  printf "SLICESIM_PROBE throughput=%.6f unit=units/s kernel_ms=%.4f duty=%.4f synthetic=1\n", base * s * r, 10 / s, u * r
}'
