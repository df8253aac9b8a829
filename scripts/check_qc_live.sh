#!/usr/bin/env bash
# Live oracle for merge's pooled QC filters (issue 15): plink2, run now on the pooled fixture
# restricted to the contributed samples, against dash merge of the three parties' summaries.
#   1. fixtures/make_qc_golden.sh into a temporary folder: plink2's kept variants for each filter
#      set and its --hardy counts and p-values must equal the committed fixtures/qc/ files (so the
#      goldens the tests read are what this plink2 writes);
#   2. dash compress of parties a, b, c (--min-cell 1) and dash merge with each filter set's flags:
#      the variants dash keeps (every variant not skipped as geno/hwe/maf/mac) must be plink2's.
# Usage: bash scripts/check_qc_live.sh       (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
command -v plink2 >/dev/null || { echo "check_qc_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

QC_GOLDEN_OUT="$tmp/golden" bash fixtures/make_qc_golden.sh 2>/dev/null
diff -r fixtures/qc "$tmp/golden" >/dev/null ||
  { echo "check_qc_live.sh: plink2 now writes different QC goldens than fixtures/qc/" >&2; exit 1; }

summaries=()
for p in a b c; do
  "$DASH_BIN" compress "fixtures/party_$p.bed" --pheno "fixtures/party_$p.pheno" \
    --covar "fixtures/party_$p.covar" --covar-categorical site --min-cell 1 --party "$p" \
    --out "$tmp/$p.parquet" 2>/dev/null
  summaries+=("$tmp/$p.parquet")
done
awk '{print $2}' fixtures/pooled.bim | sort > "$tmp/all.ids"
for flags_file in "$tmp"/golden/*.flags; do
  run=$(basename "$flags_file" .flags)
  # shellcheck disable=SC2046
  "$DASH_BIN" merge "${summaries[@]}" --pheno y1 --out "$tmp/$run" $(cat "$flags_file") 2>/dev/null
  awk -F'\t' 'NR>1 && ($8=="geno"||$8=="hwe"||$8=="maf"||$8=="mac") {print $3}' \
    "$tmp/$run.y1.skipped.tsv" | sort > "$tmp/$run.removed"
  comm -23 "$tmp/all.ids" "$tmp/$run.removed" > "$tmp/$run.kept"
  if ! diff -q "$tmp/$run.kept" "$tmp/golden/$run.snplist" >/dev/null; then
    echo "check_qc_live.sh: $run ($(cat "$flags_file")): dash keeps $(wc -l < "$tmp/$run.kept"), plink2 $(wc -l < "$tmp/golden/$run.snplist")" >&2
    exit 1
  fi
  echo "check_qc_live.sh: $run ($(cat "$flags_file")): dash keeps the $(wc -l < "$tmp/$run.kept") variants plink2 keeps"
done
