#!/usr/bin/env bash
# Live oracle checks on the demo's output (run by .ci/run after the tests):
#   1. plink2 --glm on the pooled fixture vs dash, on variants without missing calls;
#   2. the GWAS Catalog validator (gwas-ssf 1.0.25) and the metadata checks;
#   3. tabix indexing of the BGZF output;
#   4. sample and variant selection (--keep, --remove, --extract, --exclude, --chr) against the
#      same flags in plink2 on the pooled fixture;
#   5. the GWAS Catalog validator on a case/control phenotype's output (extra n_cases/n_controls
#      columns) with per-party filters on.
# Usage: bash scripts/check_live_oracles.sh DEMO_OUT_DIR
set -euo pipefail
out=${1:?usage: check_live_oracles.sh DEMO_OUT_DIR}
cd "$(dirname "$0")/.."

plink2 --bfile fixtures/pooled --pheno fixtures/pooled.pheno --covar fixtures/pooled.covar \
  --glm hide-covar omit-ref --out "$out/plink2" >/dev/null
for pheno in y1 y2; do
  python3 scripts/compare_plink2.py --dash "$out/gwas.$pheno.tsv.gz" \
    --plink2 "$out/plink2.$pheno.glm.linear" --bed fixtures/pooled
done

bash scripts/validate_gwas_ssf.sh --tabix -m 100 "$out/gwas.y1.tsv.gz" "$out/gwas.y2.tsv.gz"
# 4. Selection: each party compresses with the same flags plink2 gets on the pooled data.
. scripts/dash_bin.sh
sel="$out/selection"
mkdir -p "$sel"
awk 'NR % 3 != 0 {print $1, $2}' fixtures/pooled.fam >"$sel/keep.txt"
# FID IID lines: plink2 identifies a sample by both, dash by its IID alone.
awk 'NR % 11 == 0 {print $1, $2}' fixtures/pooled.fam >"$sel/remove.txt"
awk 'NR % 2 == 0 {print $2}' fixtures/pooled.bim >"$sel/extract.txt"
awk '$1 == 5 && NR % 5 == 0 {print $1, $4 - 1, $4}' fixtures/pooled.bim >"$sel/exclude.bed"
flags=(--keep "$sel/keep.txt" --remove "$sel/remove.txt" --chr 1-12,22 --not-chr 7
  --extract "$sel/extract.txt" --exclude bed0 "$sel/exclude.bed")
for party in a b c; do
  "$DASH_BIN" compress "fixtures/party_$party.bed" "${flags[@]}" \
    --pheno "fixtures/party_$party.pheno" --covar "fixtures/party_$party.covar" \
    --covar-categorical site --min-cell 1 --party "$party" --out "$sel/party_$party.parquet" 2>/dev/null
done
"$DASH_BIN" merge "$sel"/party_{a,b,c}.parquet --out "$sel/gwas" 2>/dev/null
plink2 --bfile fixtures/pooled "${flags[@]}" --pheno fixtures/pooled.pheno \
  --covar fixtures/pooled.covar --glm hide-covar omit-ref --out "$sel/plink2" >/dev/null
for pheno in y1 y2; do
  python3 scripts/compare_plink2.py --dash "$sel/gwas.$pheno.tsv.gz" \
    --plink2 "$sel/plink2.$pheno.glm.linear" --bed fixtures/pooled --selected
done
# 5. A case/control phenotype (plink2's 1/2 coding: 2 where y1 > 5), merged with per-party
#    filters: the output has n_cases/n_controls and stays valid GWAS-SSF.
cc="$out/case_control"
mkdir -p "$cc"
for party in a b c; do
  # The new column takes the file's own separator (tab or space).
  awk 'NR == 1 {sep = index($0, "\t") ? "\t" : " "; for (i = 1; i <= NF; i++) if ($i == "y1") c = i
                print $0 sep "cc"; next}
       {print $0 sep (($c != "NA" && $c > 5) ? 2 : 1)}' "fixtures/party_$party.pheno" >"$cc/$party.pheno"
  "$DASH_BIN" compress "fixtures/party_$party.bed" --pheno "$cc/$party.pheno" \
    --covar "fixtures/party_$party.covar" --covar-categorical site --party "$party" \
    --out "$cc/$party.parquet" 2>/dev/null
done
"$DASH_BIN" merge "$cc"/{a,b,c}.parquet --pheno cc --party-maf 0.05 --party-geno 0.02 \
  --no-report --out "$cc/gwas" 2>/dev/null
bash scripts/validate_gwas_ssf.sh --tabix -m 100 "$cc/gwas.cc.tsv.gz"
echo "live oracles: plink2 agreement (also with --keep/--remove/--chr/--not-chr/--extract/--exclude), GWAS-SSF validation (also of a case/control output) and tabix indexing passed"
