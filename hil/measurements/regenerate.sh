#!/bin/sh
# Regenerates the SYNTHETIC recorded measurements in this folder: the fake NVML library
# (hil/fake-nvml) stands in for the GPUs and the emulated probe (hil/fake-probe) prints the
# throughput the model gives with known parameters (o = 0.03 per context, cap 0.2, MIG
# efficiency 0.9, H100-80GB speed 2.2). No GPU is involved. Run from the repository root:
#   cargo build && sh hil/measurements/regenerate.sh
set -eu
S=${SLICESIM:-target/debug/slicesim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PROBE="sh hil/fake-probe/emulated-probe.sh"
export FAKE_PROBE_SLEEP=0
hil() { node=$1; shift; "$S" hil --nvml-lib "$T/$node/libnvidia-ml.so.1" --lock "$T/lock" "$@"; }
"$S" hil fake-nvml --out "$T/a100" --gpus A100-80GB >/dev/null
"$S" hil fake-nvml --out "$T/h100" --gpus H100-80GB >/dev/null
"$S" hil fake-nvml --out "$T/a100mig" --gpus A100-80GB:mig >/dev/null
rm -f hil/measurements/fake-*.json
hil a100 measure hil/experiments/timeslice-scaling.yaml --probe-cmd "$PROBE" \
  -o hil/measurements/fake-a100-80gb-timeslice.json
hil h100 measure hil/experiments/timeslice-scaling.yaml --probe-cmd "$PROBE" \
  -o hil/measurements/fake-h100-80gb-timeslice.json
hil a100mig apply scenarios/seed-strategy.yaml --pool a100-mig-inference --yes --state "$T/state.json"
hil a100mig measure hil/experiments/mig-instances.yaml --probe-cmd "$PROBE" \
  -o hil/measurements/fake-a100-80gb-mig-3g-2g-2g.json
hil a100mig restore --state "$T/state.json" --yes
