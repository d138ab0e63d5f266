#!/usr/bin/env bash
# A sweep over a Slurm cluster (docs/SWEEP.md, "Shards"): an array job runs one shard per task
# into a shared folder, then a job that depends on the whole array merges the shards.
#
#   docs/slurm-sweep.sh scenarios/sweeps/seed-sweep.yaml 8 /shared/sweeps/seed
#
# writes /shared/sweeps/seed/shards/<task>/ and then /shared/sweeps/seed/result/. The merge
# runs only if every task succeeded (afterok); if a task fails, Slurm never starts it: rerun the
# failed task (sbatch --array=<id> ...) and run the merge command by hand. The merge itself
# refuses (exit 2, naming the shard) a missing, doubled or incomplete shard.
# The folder must be on a file system every node sees; `slicesim` must be on the PATH.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 SWEEP_FILE SHARDS OUT_DIR" >&2
  exit 2
fi
sweep=$(realpath "$1")
shards=$2
out=$3
mkdir -p "$out/shards" "$out/logs"
out=$(realpath "$out")

# Each task: shard SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT
# (slicesim reads them with --shard auto).
array_job=$(sbatch --parsable \
  --job-name=slicesim-sweep \
  --array="0-$((shards - 1))" \
  --cpus-per-task=2 \
  --output="$out/logs/shard-%a.log" \
  --wrap="slicesim sweep '$sweep' --quiet --jobs \${SLURM_CPUS_PER_TASK:-1} --shard auto --out '$out/shards/'\$SLURM_ARRAY_TASK_ID")

sbatch --parsable \
  --job-name=slicesim-merge \
  --dependency="afterok:$array_job" \
  --output="$out/logs/merge.log" \
  --wrap="slicesim merge '$out'/shards/* --out '$out/result'"

echo "submitted array job $array_job ($shards shards) and its merge; results in $out/result" >&2
