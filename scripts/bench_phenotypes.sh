#!/usr/bin/env bash
# Many phenotypes in one pass (issue 17): dash vs plink2 --glm side by side on the same data.
#
#   bash scripts/bench_phenotypes.sh [N] [M] [REPEATS]     (default 20000 20000 3)
#
# Data: `plink2 --dummy` genotypes (.bed, no missing calls), 10 random covariates
# (scripts/make_bench_data.sh), and phenotype files of 1, 100 and 1,000 random quantitative
# phenotypes (numpy, fixed seed; no missing values).
# Timed, with peak RSS (/usr/bin/time -v, "Maximum resident set size"):
#   * 1 and 100 phenotypes: dash compress + dash merge, and plink2 --glm, interleaved over
#     REPEATS rounds (the machine is shared: medians, with the load average of each round);
#   * 1,000 phenotypes: dash only, once;
#   * memory: N=BIG_N samples × 1,000 phenotypes over BIG_M variants, dash only, once.
#   * the merge's write floor: the 100 (and 1,000) GWAS-SSF files' text BGZF-compressed and
#     MD5'd again side by side, as the merge writes them, with nothing else
#     (examples/write_floor.rs --side-by-side), against the merge's own CPU seconds;
#   * the compress's GEMM floor: the products WᵀX0 of the 100-phenotype compress alone (field
#     width 1 + 10 covariates + 100 phenotypes, blocks and tiles as compress cuts them; no
#     reading or expansion of calls; examples/gemm_floor.rs), against the compress's CPU seconds.
# Env: BENCH_DIR (default /tmp/dash-bench-pheno), THREADS (default: all cores), DASH_BIN
# (default: builds target/release/dash), WRITE_FLOOR_BIN and GEMM_FLOOR_BIN (default: build
# the examples),
# SKIP_PLINK2=1, BIG_N (default 50000; 0 skips the memory run), BIG_M (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
M=${2:-20000}
REPEATS=${3:-3}
THREADS=${THREADS:-$(nproc)}
BIG_N=${BIG_N:-50000}
BIG_M=${BIG_M:-2000}
root=${BENCH_DIR:-/tmp/dash-bench-pheno}
dir=$root/n${N}_m${M}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ] || [ -z "${WRITE_FLOOR_BIN:-}" ] || [ -z "${GEMM_FLOOR_BIN:-}" ]; then
  cargo build --release --quiet --bin dash --example write_floor --example gemm_floor
fi
DASH_BIN=${DASH_BIN:-${CARGO_TARGET_DIR:-target}/release/dash}
WRITE_FLOOR_BIN=${WRITE_FLOOR_BIN:-${CARGO_TARGET_DIR:-target}/release/examples/write_floor}
GEMM_FLOOR_BIN=${GEMM_FLOOR_BIN:-${CARGO_TARGET_DIR:-target}/release/examples/gemm_floor}
if [ -z "${SKIP_PLINK2:-}" ] && ! command -v plink2 >/dev/null; then
  echo "bench_phenotypes.sh: plink2 not found (apt-get install plink2)" >&2
  exit 2
fi

# phenotypes PREFIX P: writes PREFIX.pheno<P> with P random quantitative phenotypes.
phenotypes() {
  local prefix=$1 p=$2
  [ -f "$prefix.pheno$p" ] && return 0
  python3 - "$prefix" "$p" <<'PY'
import sys
import numpy as np
prefix, p = sys.argv[1], int(sys.argv[2])
iids = [line.split()[:2] for line in open(prefix + ".fam")]
rng = np.random.default_rng(17)
y = rng.standard_normal((len(iids), p))
with open(f"{prefix}.pheno{p}", "w") as out:
    out.write("#FID\tIID\t" + "\t".join(f"y{j + 1}" for j in range(p)) + "\n")
    for (fid, iid), row in zip(iids, y):
        out.write(f"{fid}\t{iid}\t" + "\t".join(f"{v:.6f}" for v in row) + "\n")
PY
}

# time_run LABEL CMD... → appends "LABEL seconds max_rss_kib load1 cpu_seconds" to $dir/times.txt
time_run() {
  local label=$1; shift
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$dir/.time" "$@" >"$dir/$label.out" 2>"$dir/$label.err" || {
    echo "bench_phenotypes.sh: $label failed:" >&2; tail -5 "$dir/$label.err" >&2; exit 1; }
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
    for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$dir/.time")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$dir/.time")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { print s }' "$dir/.time")
  printf '%-24s %9.2f s %8.0f MiB %8.2f CPU s   load %s\n' "$label" "$secs" "$((rss / 1024))" \
    "$cpu" "$load"
  echo "$label $secs $rss $load $cpu" >>"$dir/times.txt"
}
# median_cpu LABEL: median CPU seconds over the rounds of LABEL.
median_cpu() {
  awk -v l="$1" '$1 ~ "^" l "\\.r[0-9]+$" { print $5 }' "$dir/times.txt" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# write_floor P: the write floor of the P-phenotype merge's GWAS-SSF files (see the header).
write_floor() {
  local p=$1
  mkdir -p "$dir/floor$p"
  "$WRITE_FLOOR_BIN" --side-by-side "$dir/floor$p" "$dir/out$p"/dash.*.tsv.gz
  rm -rf "$dir/floor$p"
}
# median LABEL: median seconds over the rounds of LABEL (labels LABEL.r1, LABEL.r2, …).
median() {
  awk -v l="$1" '$1 ~ "^" l "\\.r[0-9]+$" { print $2 }' "$dir/times.txt" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
max_rss() {
  awk -v l="$1" '$1 ~ "^" l "(\\.r[0-9]+)?$" && $3 > m { m = $3 } END { printf "%.0f", m / 1024 }' \
    "$dir/times.txt"
}

# dash_pass LABEL PREFIX P: compress PREFIX.bed with PREFIX.pheno<P>, then merge.
dash_pass() {
  local label=$1 prefix=$2 p=$3
  time_run "$label.compress" "$DASH_BIN" compress "$prefix.bed" --pheno "$prefix.pheno$p" \
    --covar "$prefix.covar" --threads "$THREADS" --out "$dir/p$p.parquet"
  rm -rf "$dir/out$p"
  mkdir -p "$dir/out$p"
  time_run "$label.merge" "$DASH_BIN" merge "$dir/p$p.parquet" --threads "$THREADS" \
    --out "$dir/out$p/dash"
}

: >"$dir/times.txt"
echo "dash vs plink2 --glm, many phenotypes: N=$N samples, M=$M variants, 10 covariates, threads=$THREADS"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
prefix=$dir/geno
bash scripts/make_bench_data.sh "$prefix" "$N" "$M" 0 "$THREADS"
for p in 1 100 1000; do phenotypes "$prefix" "$p"; done

for r in $(seq 1 "$REPEATS"); do
  echo "--- round $r"
  for p in 1 100; do
    dash_pass "dash$p.c" "$prefix" "$p"
    if [ -z "${SKIP_PLINK2:-}" ]; then
      mkdir -p "$dir/plink$p"
      time_run "plink2_$p.r$r" plink2 --bfile "$prefix" --pheno "$prefix.pheno$p" \
        --covar "$prefix.covar" --glm hide-covar omit-ref --threads "$THREADS" \
        --out "$dir/plink$p/plink2"
    fi
    # compress + merge of this round, as one label
    awk -v p="$p" -v r="$r" '$1 == "dash" p ".c.compress" { c = $2; cc = $5 }
      $1 == "dash" p ".c.merge" { m = $2; mc = $5 }
      END { print "dash" p ".compress.r" r, c, cc; print "dash" p ".merge.r" r, m, mc;
            print "dash" p ".r" r, c + m }' "$dir/times.txt" |
      while read -r label secs cpu; do echo "$label $secs 0 - ${cpu:-0}" >>"$dir/times.txt"; done
  done
done

echo "--- write floor of the 100-phenotype merge's files (round $REPEATS's)"
floor100=$(write_floor 100)
echo "$floor100"

echo "--- GEMM floor of the 100-phenotype compress"
gemm100=$("$GEMM_FLOOR_BIN" "$N" "$M" 100 10 "$THREADS")
echo "$gemm100"

echo "--- 1,000 phenotypes (dash only)"
dash_pass "dash1000" "$prefix" 1000
echo "--- write floor of the 1,000-phenotype merge's files"
floor1000=$(write_floor 1000)
echo "$floor1000"

if [ "$BIG_N" -gt 0 ]; then
  echo "--- memory: N=$BIG_N × 1,000 phenotypes, M=$BIG_M (dash only)"
  big=$root/n${BIG_N}_m${BIG_M}/geno
  mkdir -p "$(dirname "$big")"
  bash scripts/make_bench_data.sh "$big" "$BIG_N" "$BIG_M" 0 "$THREADS"
  phenotypes "$big" 1000
  dash_pass "big1000" "$big" 1000
fi

echo
d1=$(median dash1); d100=$(median dash100)
printf '%-28s %12s %12s %8s\n' "median of $REPEATS rounds" "1 phenotype" "100 phenotypes" ratio
for what in dash1.compress:dash100.compress dash1.merge:dash100.merge dash1:dash100 plink2_1:plink2_100; do
  a=$(median "${what%%:*}"); b=$(median "${what##*:}")
  awk -v n="${what%%:*}" -v a="$a" -v b="$b" 'BEGIN {
    printf "%-28s %10.2f s %12.2f s %7.1fx\n", n, a, b, (a > 0 ? b / a : 0) }'
done
if [ -z "${SKIP_PLINK2:-}" ]; then
  awk -v d="$(median dash100)" -v p="$(median plink2_100)" -v d1="$d1" -v p1="$(median plink2_1)" 'BEGIN {
    printf "plink2 / dash: %.1fx at 1 phenotype, %.1fx at 100 phenotypes\n", p1 / d1, p / d }'
fi
awk -v cpu="$(median_cpu dash100.merge)" -v floor="$floor100" 'BEGIN {
  split(floor, f, " s CPU"); n = split(f[1], w, " "); fc = w[n];
  printf "merge of 100 phenotypes: %.2f CPU s (median); its write floor %.2f CPU s (%.1fx above)\n",
    cpu, fc, (fc > 0 ? cpu / fc : 0) }'
awk -v cpu="$(median_cpu dash100.compress)" -v wall="$(median dash100.compress)" -v floor="$gemm100" 'BEGIN {
  split(floor, f, " s wall, "); n = split(f[1], w, " "); fw = w[n]; split(f[2], c, " s CPU"); fc = c[1];
  printf "compress of 100 phenotypes: %.2f s, %.2f CPU s (median); its GEMM floor %.2f s, %.2f CPU s (%.1fx above in CPU)\n",
    wall, cpu, fw, fc, (fc > 0 ? cpu / fc : 0) }'
awk -v floor="$floor1000" '$1 == "dash1000.merge" { cpu = $5 } END {
  split(floor, f, " s CPU"); n = split(f[1], w, " "); fc = w[n];
  printf "merge of 1,000 phenotypes: %.2f CPU s; its write floor %.2f CPU s (%.1fx above)\n",
    cpu, fc, (fc > 0 ? cpu / fc : 0) }' "$dir/times.txt"
awk -v d1="$d1" -v d100="$d100" '$1 ~ /^dash1000\./ { s += $2 } END {
  printf "1,000 phenotypes: dash %.2f s (%.1fx one phenotype)\n", s, s / d1 }' "$dir/times.txt"
echo "peak RSS: dash 100 compress $(max_rss dash100.c.compress) MiB, merge $(max_rss dash100.c.merge) MiB; 1,000: compress $(max_rss dash1000.compress) MiB, merge $(max_rss dash1000.merge) MiB"
if [ "$BIG_N" -gt 0 ]; then
  echo "peak RSS N=$BIG_N × 1,000 phenotypes: compress $(max_rss big1000.compress) MiB, merge $(max_rss big1000.merge) MiB"
fi
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
