#!/usr/bin/env bash
# LD sums benchmark (docs/benchmarks.md, "LD sums: a 1 Mb region at N = 20,000"):
#   bash scripts/bench_ld.sh DASH WORKDIR [THREADS]
# makes N = 20,000 samples × 2,000 variants (scripts/make_bench_data.sh, 1% missing calls) with
# positions one every 499 bp on chr1 (1 … 997,502), then times, with /usr/bin/time (wall, CPU,
# max RSS): compress without LD, compress with --ld-region 1:1-1000000, and merge --condition
# --ld-out on that summary. Prints the summary sizes.
set -euo pipefail
dash=${1:?usage: bench_ld.sh DASH WORKDIR [THREADS]}
work=${2:?WORKDIR}
threads=${3:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
data="$work/ld"
if [ ! -f "$data.bed" ]; then
  bash "$here/make_bench_data.sh" "$data" 20000 2000 0.01 "$threads"
  awk 'BEGIN { OFS = "\t" } { $1 = 1; $4 = 1 + (NR - 1) * 499; print }' "$data.bim" > "$data.bim.tmp"
  mv "$data.bim.tmp" "$data.bim"
fi
timed() {
  local label=$1
  shift
  /usr/bin/time -f "$label: wall %e s, user %U s, sys %S s, max RSS %M KB" "$@" 2>&1 >/dev/null |
    grep -F -e "$label:" -e error || true
}
echo "load: $(uptime)"
common=(compress "$data.bed" --pheno "$data.pheno" --covar "$data.covar" --threads "$threads")
timed "compress (no LD)" "$dash" "${common[@]}" --out "$work/plain.parquet"
timed "compress --ld-region 1:1-1000000" "$dash" "${common[@]}" --ld-region 1:1-1000000 \
  --out "$work/ld.parquet"
lead=$(awk 'NR == 1000 { print $1 ":" $4 ":" $6 ":" $5 }' "$data.bim")
timed "merge --condition $lead --ld-out" "$dash" merge "$work/ld.parquet" --out "$work/m" \
  --condition "$lead" --ld-out --threads "$threads"
ls -l "$work/plain.parquet" "$work/ld.parquet" | awk '{ print $5, $9 }'
echo "load: $(uptime)"
