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
#   FAKE_PROBE_UNITS=relative      `absolute`: fma in flop/s (base 0.9 x 19.5e12 on an A100-80GB)
#                                  instead of units/s; stream is always byte/s (base
#                                  0.9 x 2.039e12, times FAKE_PROBE_STREAM_SPEED_<MODEL>:
#                                  A100_80GB 1.0, H100_80GB 1.64, H200_141GB 2.35)
#   FAKE_PROBE_CTX_MIB=512         memory probes: what each context takes before its allocation
#   FAKE_PROBE_SLEEP=1             sleep for warm-up + duration like a real probe (0: don't)
# Inputs from the harness: SLICESIM_PROBE_U, _D, _N, _INDEX, _SM_FRACTION, _MIG_PROFILE,
# _GPU_MODEL, _SECONDS, _WARMUP, _KIND (fma|stream), _MEM_MIB, _HOLD, _GPU_MEMORY_MIB.
#
# A memory probe (SLICESIM_PROBE_MEM_MIB set) emulates n probes started in index order, each
# asking for the same MiB: probe i gets its memory when the context memory of probes 0..i plus
# the allocations that succeeded before it plus its own fit in the GPU's memory.
set -eu
model=${SLICESIM_PROBE_GPU_MODEL:-A100-80GB}
case "$model" in
  A100-80GB) speed=${FAKE_PROBE_SPEED_A100_80GB:-1.0}; sspeed=${FAKE_PROBE_STREAM_SPEED_A100_80GB:-1.0} ;;
  H100-80GB) speed=${FAKE_PROBE_SPEED_H100_80GB:-2.2}; sspeed=${FAKE_PROBE_STREAM_SPEED_H100_80GB:-1.64} ;;
  H200-141GB) speed=${FAKE_PROBE_SPEED_H200_141GB:-2.5}; sspeed=${FAKE_PROBE_STREAM_SPEED_H200_141GB:-2.35} ;;
  *) speed=1.0; sspeed=1.0 ;;
esac
if [ -n "${SLICESIM_PROBE_MEM_MIB:-}" ]; then
  if [ "${FAKE_PROBE_SLEEP:-1}" = 1 ]; then
    sleep "${SLICESIM_PROBE_HOLD:-0}"
  fi
  awk -v m="$SLICESIM_PROBE_MEM_MIB" -v i="${SLICESIM_PROBE_INDEX:-0}" \
      -v total="${SLICESIM_PROBE_GPU_MEMORY_MIB:-0}" -v ctx="${FAKE_PROBE_CTX_MIB:-512}" '
BEGIN {
  used = 0
  for (j = 0; j <= i; j++) {
    used += ctx
    ok = (used + m <= total) ? 1 : 0
    if (ok) used += m
  }
  printf "SLICESIM_PROBE throughput=0 unit=none mem_mib=%d alloc_ok=%d alloc_ms=1.0 synthetic=1\n", m, ok
}'
  exit 0
fi
if [ "${FAKE_PROBE_SLEEP:-1}" = 1 ]; then
  sleep "$(awk -v a="${SLICESIM_PROBE_WARMUP:-0}" -v b="${SLICESIM_PROBE_SECONDS:-0}" 'BEGIN { print a + b }')"
fi
kind=${SLICESIM_PROBE_KIND:-fma}
base=${FAKE_PROBE_BASE:-100}
unit=units/s
if [ "$kind" = stream ]; then
  base=1835100000000; unit=byte/s; speed=$sspeed
elif [ "${FAKE_PROBE_UNITS:-relative}" = absolute ]; then
  base=17550000000000; unit=flop/s
fi
awk -v u="$SLICESIM_PROBE_U" -v d="$SLICESIM_PROBE_D" -v n="${SLICESIM_PROBE_N:-1}" \
    -v f="${SLICESIM_PROBE_SM_FRACTION:-1}" -v mig="${SLICESIM_PROBE_MIG_PROFILE:-}" \
    -v o="${FAKE_PROBE_OVERHEAD:-0.03}" -v omax="${FAKE_PROBE_OVERHEAD_MAX:-0.2}" \
    -v eff="${FAKE_PROBE_MIG_EFFICIENCY:-0.9}" -v s="$speed" -v base="$base" -v unit="$unit" '
BEGIN {
  if (mig != "") {
    stretch = d / f; if (stretch < 1) stretch = 1
    r = eff / ((1 - u) + u * stretch)
  } else {
    ov = o * (n - 1); if (ov > omax) ov = omax; if (n <= 1) ov = 0
    g = (1 - ov) / n; if (g > u) g = u
    r = g / u
  }
  printf "SLICESIM_PROBE throughput=%.6f unit=%s kernel_ms=%.4f duty=%.4f synthetic=1\n", base * s * r, unit, 10 / s, u * r
}'
