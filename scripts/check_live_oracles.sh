#!/usr/bin/env bash
# Live oracle checks on the demo's output (run by .ci/run after the tests):
#   1. plink2 --glm on the pooled fixture vs dash, on variants without missing calls;
#   2. the GWAS Catalog validator (gwas-ssf 1.0.25) and the metadata checks;
#   3. tabix indexing of the BGZF output.
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
echo "live oracles: plink2 agreement, GWAS-SSF validation and tabix indexing passed"
