#!/usr/bin/env bash
# Live oracle for merge's chrX QC rules (issue 15): plink2 2.00a3.5, run now on the pooled chrX QC
# fixture (fixtures/chrx_qc/), against dash.
#   1. fixtures/chrx_qc/make_golden.sh into a temporary folder: plink2's --freq, --missing,
#      --hardy (.hardy.x, with and without midp) and kept variants must equal the committed
#      fixtures/chrx_qc/golden/ files (so the goldens tests/it/chrx_qc.rs reads are what this
#      plink2 writes; hwe_x_cases.tsv is the integer enumeration's, not plink2's);
#   2. dash compress of parties a, b, c (--min-cell 1 --build 38; c's sex from its covariate
#      column) under --xchr-model 2 and 1, and dash merge with each filter set's flags: the
#      variants dash keeps (every variant not skipped as geno/hwe/maf/mac) must be plink2's.
# Usage: bash scripts/check_chrx_qc_live.sh     (DASH_BIN: a dash binary; default: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/dash_bin.sh
command -v plink2 >/dev/null || { echo "check_chrx_qc_live.sh: plink2 not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CHRX_QC_GOLDEN_OUT="$tmp/golden" bash fixtures/chrx_qc/make_golden.sh 2>/dev/null
for f in "$tmp"/golden/*; do
  diff -q "$f" "fixtures/chrx_qc/golden/$(basename "$f")" >/dev/null ||
    { echo "check_chrx_qc_live.sh: plink2 now writes a different $(basename "$f") than fixtures/chrx_qc/golden/" >&2; exit 1; }
done

f=fixtures/chrx_qc
awk -F'\t' '{print $2}' "$f/party_a.bim" | sort > "$tmp/all.ids"
for model in 2 1; do
  for p in a b; do
    "$DASH_BIN" compress "$f/party_$p.bed" --pheno "$f/party_$p.pheno" --covar "$f/party_$p.covar" \
      --min-cell 1 --build 38 --xchr-model "$model" --party "$p" --out "$tmp/$p$model.parquet" 2>/dev/null
  done
  "$DASH_BIN" compress "$f/party_c.vcf" --pheno "$f/party_c.pheno" --covar "$f/party_c.covar" \
    --covar-name age --sex-col sex --min-cell 1 --build 38 --xchr-model "$model" --party c \
    --out "$tmp/c$model.parquet" 2>/dev/null
  for flags_file in "$tmp"/golden/*.flags; do
    run=$(basename "$flags_file" .flags)
    # shellcheck disable=SC2046
    "$DASH_BIN" merge "$tmp"/{a,b,c}"$model".parquet --out "$tmp/$run$model" $(cat "$flags_file") 2>/dev/null
    awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
      ($c["reason"]=="geno"||$c["reason"]=="hwe"||$c["reason"]=="maf"||$c["reason"]=="mac") {print $c["variant_id"]}' \
      "$tmp/$run$model.y.skipped.tsv" | sort > "$tmp/$run$model.removed"
    comm -23 "$tmp/all.ids" "$tmp/$run$model.removed" > "$tmp/$run$model.kept"
    if ! diff -q "$tmp/$run$model.kept" "$tmp/golden/$run.snplist" >/dev/null; then
      echo "check_chrx_qc_live.sh: model $model, $run ($(cat "$flags_file")): dash keeps $(wc -l < "$tmp/$run$model.kept"), plink2 $(wc -l < "$tmp/golden/$run.snplist")" >&2
      exit 1
    fi
    echo "check_chrx_qc_live.sh: --xchr-model $model, $run ($(cat "$flags_file")): dash keeps the $(wc -l < "$tmp/golden/$run.snplist") variants plink2 keeps"
  done
done
