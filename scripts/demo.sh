#!/usr/bin/env bash
# Demo: three biobanks compress their own data, a consortium merges the summaries.
# Usage: bash scripts/demo.sh [OUTDIR]   (default demo-out/; builds dash with cargo in the
# dev profile, like `cargo test`, unless DASH_BIN names a binary to use)
# DASH_MIN_CELL (default 5, dash's default) is passed to compress as --min-cell: each biobank
# suppresses its variants with 1-4 carriers of either allele and imputes its 1-4 missing calls
# locally. The live-oracle check (.ci/run) sets DASH_MIN_CELL=1 to compare with plink2 on the
# pooled data exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}
mkdir -p "$out"
. scripts/dash_bin.sh

# `site` is the fixtures' categorical covariate: declared, as every categorical covariate must be.
for party in a b c; do
  "$DASH_BIN" compress "fixtures/party_$party.bed" \
    --pheno "fixtures/party_$party.pheno" --covar "fixtures/party_$party.covar" \
    --covar-categorical site --min-cell "${DASH_MIN_CELL:-5}" \
    --party "biobank_$party" --out "$out/party_$party.parquet"
done
# Merge ends with the first look: Manhattan and QQ plots, λGC, top loci and the per-party
# allele-frequency check, on one page (gwas.report.html; `dash report` remakes it from the files).
"$DASH_BIN" merge "$out"/party_a.parquet "$out"/party_b.parquet "$out"/party_c.parquet --out "$out/gwas"

echo
echo "Summaries (what each biobank sends; the .suppressed.tsv lists stay at each biobank):"
ls -l "$out"/party_*.parquet
echo
echo "Results:"
ls -l "$out"/gwas.*
echo
echo "Top hits for y1:"
if command -v bgzip >/dev/null; then cat_gz="bgzip -dc"; else cat_gz="gzip -dc"; fi
if command -v column >/dev/null; then align="column -t"; else align=cat; fi
$cat_gz "$out/gwas.y1.tsv.gz" | awk -F'\t' 'NR==1 || $13 > 8' | cut -f1-8,10,11,13 | $align | head -12
