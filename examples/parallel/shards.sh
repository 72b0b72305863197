#!/bin/sh
# maskdetect over PHOTOS in N processes on this machine with GNU parallel, then merged:
#   examples/parallel/shards.sh N PHOTOS OUT [maskdetect options...]
# writes OUT/shard-0 .. OUT/shard-(N-1) and the merged reports in OUT/merged. Give each
# process its share of the cores (--threads); on one machine one process with all of them is
# as fast (README, "Past one machine"): shards pay off across machines, or to run in parts.
set -eu
n=${1:?usage: shards.sh N PHOTOS OUT [options]} photos=${2:?PHOTOS} out=${3:?OUT}
shift 3
# -q: the command's words are passed as they are (a path with spaces stays one argument);
# --halt now,fail=1: one failed shard stops the others.
seq 0 $((n - 1)) | parallel -q --halt now,fail=1 \
  maskdetect --input "$photos" --out "$out/shard-{}" --shard "{}/$n" --no-progress "$@"
set --  # the options are spent: the arguments become the shard folders
for k in $(seq 0 $((n - 1))); do set -- "$@" "$out/shard-$k"; done
maskdetect merge "$out/merged" "$@"
