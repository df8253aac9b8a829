#!/usr/bin/env bash
# VCF/BCF decode throughput: `dash decode` on BCFs of 10,000 samples × 20,000 variants (GT; DS),
# one thread and all threads, with `bcftools view -Ou` on the same files as a reference point.
# The data are generated in a temporary directory (plink2 --dummy) and removed afterwards.
#
# Usage: bash scripts/bench_decode.sh [SAMPLES] [VARIANTS]        (results: docs/benchmarks.md)
#
# Reports the best of three runs: wall seconds, CPU seconds (user + system), and genotypes per
# wall second and per CPU second. On a shared machine the CPU figure is the steadier one; with
# one thread it is the per-core throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-10000}
variants=${2:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo build --release --quiet
dash=target/release/dash
for tool in plink2 bcftools; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

echo "generating $samples samples x $variants variants..."
# GT: hard calls, 1% missing. DS: 30% of dosages non-integer (DS-force writes DS for every call).
plink2 --silent --dummy "$samples" "$variants" 0.01 acgt --seed 1 --export bcf --out "$tmp/gt"
plink2 --silent --dummy "$samples" "$variants" 0.01 acgt dosage-freq=0.3 --seed 1 \
  --make-pgen --out "$tmp/dummy"
plink2 --silent --pfile "$tmp/dummy" --export bcf vcf-dosage=DS-force --out "$tmp/ds"
for f in gt ds; do
  printf '%s.bcf: %.1f MB\n' "$f" "$(echo "$(stat -c %s "$tmp/$f.bcf") / 1000000" | bc -l)"
done

# best RUN…: the best of three runs, as "wall cpu".
best() {
  local best_wall='' best_cpu=''
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" >/dev/null 2>&1
    read -r wall user sys <"$tmp/time"
    local cpu
    cpu=$(echo "$user + $sys" | bc -l)
    if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

genotypes=$((samples * variants))
row() {
  local label=$1 wall=$2 cpu=$3
  printf '| %-40s | %7.2f | %7.2f | %8.1f | %8.1f |\n' "$label" "$wall" "$cpu" \
    "$(echo "$genotypes / $wall / 1000000" | bc -l)" "$(echo "$genotypes / $cpu / 1000000" | bc -l)"
}
echo
echo "| run | wall s | CPU s | M genotypes / wall s | M genotypes / CPU s |"
echo "|---|---:|---:|---:|---:|"
for field in GT DS; do
  file="$tmp/$(echo "$field" | tr 'A-Z' 'a-z').bcf"
  for threads in 1 "$(nproc)"; do
    read -r wall cpu < <(best "$dash" decode "$file" --dosage-field "$field" --threads "$threads")
    row "dash decode --dosage-field $field --threads $threads" "$wall" "$cpu"
  done
  read -r wall cpu < <(best bcftools view -Ou -o /dev/null "$file")
  row "bcftools view -Ou ($field file)" "$wall" "$cpu"
done
