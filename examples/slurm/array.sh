#!/bin/bash
# maskdetect over PHOTOS as a Slurm job array: each task is one shard (--shard auto/N takes its
# index from SLURM_ARRAY_TASK_ID), and a job that depends on the array merges them:
#   jobid=$(sbatch --parsable examples/slurm/array.sh PHOTOS OUT)
#   sbatch --dependency=afterok:$jobid --wrap "maskdetect merge OUT/merged OUT/shard-*"
# The array must be 0..N-1 (--array below); a failed task resubmitted continues (--resume).
#SBATCH --job-name=maskdetect
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=2G
#SBATCH --output=maskdetect-%A-%a.log
set -euo pipefail
photos=${1:?usage: sbatch array.sh PHOTOS OUT} out=${2:?usage: sbatch array.sh PHOTOS OUT}
n=${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=0-N}
exec maskdetect --input "$photos" --out "$out/shard-$SLURM_ARRAY_TASK_ID" --shard "auto/$n" \
  --threads "${SLURM_CPUS_PER_TASK:-0}" --detector yunet --no-progress --resume
