#!/usr/bin/env bash
# .pgen against .bed on the same hard calls: `dash decode` and `dash compress` (one quantitative
# phenotype, 10 covariates) on the PLINK 1 fileset of scripts/make_bench_data.sh and on the same
# data written by `plink2 --bfile … --make-pgen` (plink2's default record compression).
#
#   bash scripts/bench_pgen.sh [N] [M]       (default N=20000 samples, M=50000 variants)
#
# Two data sets: no missing calls ("dense") and 1 % missing calls ("missing"). Prints the best of
# three runs of each (wall and CPU seconds) and the ratios pgen / bed. Env: BENCH_DIR (default
# /tmp/dash-bench), THREADS (default: all cores), DASH_BIN (default: a release build in
# ${CARGO_TARGET_DIR:-target}).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
M=${2:-50000}
THREADS=${THREADS:-$(nproc)}
dir=${BENCH_DIR:-/tmp/dash-bench}/pgen_n${N}_m${M}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ]; then
  cargo build --release --quiet
  DASH_BIN=${CARGO_TARGET_DIR:-target}/release/dash
fi
command -v plink2 >/dev/null || { echo "bench_pgen.sh: plink2 not found (apt-get install plink2)" >&2; exit 2; }

# best CMD… → "wall cpu": the best wall seconds and the best CPU seconds (user + system) of three
# runs. On a shared machine the CPU figure is the steadier one.
best() {
  local best_wall='' best_cpu=''
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %U %S' -o "$dir/.time" "$@" >/dev/null 2>"$dir/.err" || {
      echo "bench_pgen.sh: failed: $*" >&2; tail -3 "$dir/.err" >&2; exit 1; }
    local wall user sys cpu
    read -r wall user sys <"$dir/.time"
    cpu=$(echo "$user + $sys" | bc -l)
    if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

echo "pgen vs bed: N=$N samples, M=$M variants, threads=$THREADS"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| data | step | .bed wall s | .pgen wall s | pgen / bed | .bed CPU s | .pgen CPU s | pgen / bed |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for kind in dense missing; do
  prefix="$dir/$kind"
  missing_freq=$([ "$kind" = dense ] && echo 0 || echo 0.01)
  bash scripts/make_bench_data.sh "$prefix" "$N" "$M" "$missing_freq" "$THREADS"
  [ -f "$prefix.pgen" ] || plink2 --silent --bfile "$prefix" --make-pgen --threads "$THREADS" --out "$prefix"
  for step in decode compress; do
    args=()
    if [ "$step" = compress ]; then
      args=(--pheno "$prefix.pheno" --covar "$prefix.covar" --out "$dir/$kind.parquet")
    fi
    read -r bed_wall bed_cpu < <(best "$DASH_BIN" "$step" "$prefix.bed" --threads "$THREADS" "${args[@]}")
    read -r pgen_wall pgen_cpu < <(best "$DASH_BIN" "$step" "$prefix.pgen" --threads "$THREADS" "${args[@]}")
    printf '| %s | %s | %.2f | %.2f | %.2f× | %.2f | %.2f | %.2f× |\n' "$kind" "$step" \
      "$bed_wall" "$pgen_wall" "$(echo "$pgen_wall / $bed_wall" | bc -l)" \
      "$bed_cpu" "$pgen_cpu" "$(echo "$pgen_cpu / $bed_cpu" | bc -l)"
  done
  printf '(sizes: .bed %s MB, .pgen %s MB)\n' "$(( $(stat -c %s "$prefix.bed") / 1000000 ))" \
    "$(( $(stat -c %s "$prefix.pgen") / 1000000 ))" >&2
done
