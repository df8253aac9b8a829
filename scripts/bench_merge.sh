#!/usr/bin/env bash
# Consortium-scale merge (issue 12): time, peak RSS and the read floor of `dash merge` for P
# party summaries of M variants, and `--region` of one chromosome out of 22.
#
#   bash scripts/bench_merge.sh "P1 P2 …" "M1 M2 …"     (default "2 6 20" "1000000 3000000")
#
# Data (cheap: the merge does not depend on N): one PLINK 1 fileset per M with N=16 samples and M
# variants spread evenly over chromosomes 1–22 (random hard calls, no missing calls), and per
# party a random phenotype and two random covariates; each party is `dash compress`ed from it
# under its own name (so every party holds every variant, and the parties' sums differ).
# Summaries for the largest P are made once per M; smaller P use the first P of them.
#
# Reported per (P, M): merge wall time and peak RSS (`/usr/bin/time -v`; the larger of the two
# merges), the read floor (time to read and check every row of every input and do nothing:
# examples/read_floor.rs, same reader as merge), their ratio, merge `--no-report` (the merge without the report drawn from its output)
# and its ratio to the floor, CPU seconds (user + system) of the floor and of both merges (the
# steadier figures on a loaded machine), and the wall time of `--region 11` (one chromosome of
# 22) and its ratio to the whole merge; and whether every variant is accounted for (GWAS-SSF rows + skipped rows =
# the distinct variants the log reports). Also the write floor: the time to BGZF-compress (level 1) and MD5
# the merge's GWAS-SSF text again, on the same threads (examples/write_floor.rs); the format floor: the time to
# write its rows' numbers as text again with merge's formatting (examples/format_floor.rs); and `--no-report` /
# (read + write + format floor), the merge against everything it cannot avoid doing but the join and the tests.
# A second table splits the way from the read floor to the merge (examples/merge_floors.rs): the
# inputs read interleaved, a batch of each in turn on each thread (the reading order of any merge
# with bounded memory), the same in rounds of one batch per input on the pool (as the windows
# read them), read into the merge's windows, those windows joined, and the pipeline: merge without
# its statistics (windows read and joined on a thread of their own, the merge's GWAS-SSF rows
# formatted and compressed window by window on the other, as merge does; only pooling, testing and
# checking each site left out; the floor of the merge of one stream of windows: merge itself splits
# into segments merged side by side when it can, and may beat it); each as a ratio to the read
# floor, and --no-report / pipeline.
# Data under BENCH_DIR (default /tmp/bench_merge), removed unless KEEP=1.
# Env: DASH_BIN, READ_FLOOR_BIN, WRITE_FLOOR_BIN, FORMAT_FLOOR_BIN, MERGE_FLOORS_BIN (default: built here, release),
# THREADS (default: all cores), MISSING (default 0: the fraction of variants each party leaves out,
# at random, with `dash compress --exclude`, as real biobanks' summaries differ; use another
# BENCH_DIR per value).
set -euo pipefail
cd "$(dirname "$0")/.."
PARTIES=${1:-"2 6 20"}
VARIANTS=${2:-"1000000 3000000"}
THREADS=${THREADS:-$(nproc)}
dir=${BENCH_DIR:-/tmp/bench_merge}
mkdir -p "$dir"
if [ -z "${DASH_BIN:-}" ] || [ -z "${READ_FLOOR_BIN:-}" ] || [ -z "${WRITE_FLOOR_BIN:-}" ] || [ -z "${FORMAT_FLOOR_BIN:-}" ] || [ -z "${MERGE_FLOORS_BIN:-}" ]; then
  cargo build --release --quiet --bin dash --example read_floor --example write_floor --example format_floor --example merge_floors
  target=${CARGO_TARGET_DIR:-target}
  DASH_BIN=${DASH_BIN:-$target/release/dash}
  READ_FLOOR_BIN=${READ_FLOOR_BIN:-$target/release/examples/read_floor}
  WRITE_FLOOR_BIN=${WRITE_FLOOR_BIN:-$target/release/examples/write_floor}
  FORMAT_FLOOR_BIN=${FORMAT_FLOOR_BIN:-$target/release/examples/format_floor}
  MERGE_FLOORS_BIN=${MERGE_FLOORS_BIN:-$target/release/examples/merge_floors}
fi
[ -x /usr/bin/time ] || { echo "bench_merge.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }
max_p=0
for p in $PARTIES; do (( p > max_p )) && max_p=$p; done

# PREFIX M: PREFIX.{bed,bim,fam} with 16 samples and M variants over chromosomes 1–22.
make_genotypes() {
  python3 - "$1" "$2" <<'PY'
import sys
import numpy as np
prefix, m = sys.argv[1], int(sys.argv[2])
n = 16
rng = np.random.default_rng(12)
with open(prefix + ".fam", "w") as fam:
    for i in range(n):
        fam.write(f"F{i} S{i} 0 0 0 -9\n")
with open(prefix + ".bed", "wb") as bed:
    bed.write(bytes([0x6C, 0x1B, 0x01]))
    step = 1 << 20
    for start in range(0, m, step):
        rows = min(step, m - start)
        codes = rng.choice(np.array([0, 2, 3], dtype=np.uint8), size=(rows, n))
        packed = codes[:, 0::4] | (codes[:, 1::4] << 2) | (codes[:, 2::4] << 4) | (codes[:, 3::4] << 6)
        bed.write(packed.astype(np.uint8).tobytes())
per_chrom = -(-m // 22)
alleles = np.array(["A", "C", "G", "T"])
with open(prefix + ".bim", "w") as bim:
    for start in range(0, m, 1 << 20):
        idx = np.arange(start, min(m, start + (1 << 20)))
        chrom = idx // per_chrom + 1
        pos = (idx % per_chrom) * 10 + 1
        a1 = alleles[idx % 4]
        a2 = alleles[(idx + 1 + idx // 4 % 3) % 4]
        bim.write("".join(f"{c}\tv{i}\t0\t{p}\t{x}\t{y}\n" for i, c, p, x, y in zip(idx, chrom, pos, a1, a2)))
PY
}

# PREFIX PARTY: PREFIX.PARTY.pheno and .covar, random.
make_party_tables() {
  python3 - "$1" "$2" <<'PY'
import random, sys
prefix, party = sys.argv[1], sys.argv[2]
rng = random.Random(party)
with open(prefix + ".fam") as fam, open(f"{prefix}.{party}.pheno", "w") as ph, open(f"{prefix}.{party}.covar", "w") as cv:
    ph.write("#FID\tIID\ty\n")
    cv.write("#FID\tIID\tc1\tc2\n")
    for line in fam:
        fid, iid = line.split()[:2]
        ph.write(f"{fid}\t{iid}\t{rng.gauss(0, 1):.6f}\n")
        cv.write(f"{fid}\t{iid}\t{rng.gauss(0, 1):.6f}\t{rng.gauss(0, 1):.6f}\n")
PY
}

# Runs COMMAND… under /usr/bin/time -v; prints "SECONDS RSS_MIB CPU_SECONDS".
measure() {
  /usr/bin/time -v "$@" 2>"$dir/time.txt" >/dev/null || { cat "$dir/time.txt" >&2; exit 1; }
  python3 - "$dir/time.txt" <<'PY'
import sys
text = open(sys.argv[1]).read()
wall = [l for l in text.splitlines() if "Elapsed (wall clock)" in l][0].split(": ")[-1]
parts = [float(x) for x in wall.split(":")]
seconds = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
rss = int([l for l in text.splitlines() if "Maximum resident set size" in l][0].split(": ")[-1])
cpu = sum(float(l.split(": ")[-1]) for l in text.splitlines() if l.strip().startswith(("User time", "System time")))
print(f"{seconds:.1f} {rss / 1024:.0f} {cpu:.1f}")
PY
}

# NUMERATOR DENOMINATOR [DIGITS]: their ratio (the denominator at least 0.01), to DIGITS places.
ratio() {
  python3 -c "print(f'{($1) / max($2, 0.01):.${3:-2}f}')"
}

# The "… in WALL s wall, CPU s CPU" line of a floor example on stdin, as "WALL CPU".
wall_cpu() {
  sed -n 's/.* in \([0-9.]*\) s wall, \([0-9.]*\) s CPU.*/\1 \2/p'
}

echo "| parties | variants each | summaries on disk | read floor (s) | merge (s) | merge / floor | --no-report (s) | --no-report / floor | write floor (s) | format floor (s) | (read + write + format floor) / read floor | --no-report / (read + write + format floor) | CPU s: read floor / write floor / format floor / merge / --no-report | peak RSS (MiB) | --region 11 (s) | region / merge | variants tested + skipped |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
floors=()
for m in $VARIANTS; do
  data="$dir/m$m"
  mkdir -p "$data"
  [ -f "$data/g.bed" ] || make_genotypes "$data/g" "$m"
  for i in $(seq 1 "$max_p"); do
    [ -f "$data/p$i.parquet" ] && continue
    make_party_tables "$data/g" "p$i"
    python3 - "$data/g.bim" "$i" "${MISSING:-0}" >"$data/g.p$i.exclude" <<'PY'
import random, sys
bim, party, missing = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rng = random.Random(party)
for line in open(bim):
    if missing > 0 and rng.random() < missing:
        print(line.split("\t")[1])
PY
    exclude=()
    # An empty list is refused (it names no variant), so it is passed only when it names some.
    [ -s "$data/g.p$i.exclude" ] && exclude=(--exclude "$data/g.p$i.exclude")
    "$DASH_BIN" compress "$data/g.bed" "${exclude[@]}" --pheno "$data/g.p$i.pheno" \
      --covar "$data/g.p$i.covar" --party "p$i" --min-cell 1 --threads "$THREADS" \
      --out "$data/p$i.parquet" 2>/dev/null
  done
  rm -f "$data/g.bed" "$data/g.bim" "$data/g.fam"
  for p in $PARTIES; do
    files=()
    for i in $(seq 1 "$p"); do files+=("$data/p$i.parquet"); done
    size=$(du -ch "${files[@]}" | tail -1 | cut -f1)
    # Warm the page cache alike for every measurement.
    cat "${files[@]}" >/dev/null
    read -r floor _ floor_cpu < <(measure "$READ_FLOOR_BIN" "${files[@]}")
    read -r wall rss cpu < <(measure "$DASH_BIN" merge "${files[@]}" --out "$dir/out" --threads "$THREADS")
    distinct=$(sed -n 's/^\([0-9]*\) distinct variants across .*/\1/p' "$dir/out.log")
    tested=$(( $(zcat "$dir/out.y.tsv.gz" | wc -l) - 1 ))
    skipped=$(( $(wc -l < "$dir/out.y.skipped.tsv") - 1 ))
    accounted="$tested + $skipped of $distinct"
    (( tested + skipped == distinct )) || accounted="$accounted (MISMATCH)"
    # The example times the write alone (not its inflate of the input first).
    read -r write write_cpu < <("$WRITE_FLOOR_BIN" "$dir/out.y.tsv.gz" "$dir/rewritten.tsv.gz" "$THREADS" | wall_cpu)
    rm -f "$dir/rewritten.tsv.gz"
    read -r format format_cpu < <("$FORMAT_FLOOR_BIN" "$dir/out.y.tsv.gz" "$THREADS" | wall_cpu)
    # The example times the pipeline alone (not its reading of the file's rows first).
    read -r pipeline pipeline_cpu < <("$MERGE_FLOORS_BIN" pipeline "$dir/out.y.tsv.gz" "$dir/rewritten.tsv.gz" "${files[@]}" 2>/dev/null | wall_cpu)
    rm -f "$dir/rewritten.tsv.gz"
    read -r bare bare_rss bare_cpu < <(measure "$DASH_BIN" merge "${files[@]}" --out "$dir/bare" --no-report --threads "$THREADS")
    (( bare_rss > rss )) && rss=$bare_rss
    read -r region _ < <(measure "$DASH_BIN" merge "${files[@]}" --out "$dir/region" --region 11 --threads "$THREADS")
    rm -f "$dir"/out.* "$dir"/bare.* "$dir"/region.*
    merge_ratio=$(ratio "$wall" "$floor")
    bare_ratio=$(ratio "$bare" "$floor")
    floors_ratio=$(ratio "$floor + $write + $format" "$floor")
    both_ratio=$(ratio "$bare" "$floor + $write + $format")
    region_ratio=$(ratio "$region" "$wall" 3)
    echo "| $p | $m | $size | $floor | $wall | $merge_ratio | $bare | $bare_ratio | $write | $format | $floors_ratio | $both_ratio | $floor_cpu / $write_cpu / $format_cpu / $cpu / $bare_cpu | $rss | $region | $region_ratio | $accounted |"
    line="| $p | $m | $floor"
    for mode in interleaved rounds windows join; do
      read -r t _ t_cpu < <(measure "$MERGE_FLOORS_BIN" "$mode" "${files[@]}")
      line="$line | $t ($(ratio "$t" "$floor")) | $t_cpu"
    done
    line="$line | $pipeline ($(ratio "$pipeline" "$floor")) | $pipeline_cpu"
    floors+=("$line | $bare ($bare_ratio) | $bare_cpu | $(ratio "$bare" "$pipeline") |")
  done
done
echo
echo "| parties | variants each | read floor (s) | interleaved (s, / floor) | CPU s | in rounds (s, / floor) | CPU s | into windows (s, / floor) | CPU s | windows joined (s, / floor) | CPU s | pipeline (s, / floor) | CPU s | --no-report (s, / floor) | CPU s | --no-report / pipeline |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${floors[@]}"
[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
