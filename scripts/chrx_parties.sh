# Sourced by the chrX live checks (scripts/check_chrx_live.sh, check_sexsets_live.sh):
# `compress_chrx_parties DIR` imports DIR/party_c.vcf with plink2 (a haploid call as the
# homozygous one), pools the three parties into DIR/pooled.* (scripts/pool_parties.py) and
# compresses them with dash into DIR/{a,b,c}.parquet (--min-cell 1 --build 38; party c's sex
# from its covariate column). Needs DASH_BIN (scripts/dash_bin.sh).
compress_chrx_parties() {
  local d=$1 p
  plink2 --silent --vcf "$d/party_c.vcf" --make-bed --out "$d/party_c" 2>/dev/null
  python3 scripts/pool_parties.py "$d"
  for p in a b; do
    "$DASH_BIN" compress "$d/party_$p.bed" --pheno "$d/party_$p.pheno" --covar "$d/party_$p.covar" \
      --min-cell 1 --build 38 --out "$d/$p.parquet" 2>/dev/null
  done
  "$DASH_BIN" compress "$d/party_c.vcf" --pheno "$d/party_c.pheno" --covar "$d/party_c.covar" \
    --covar-name age --sex-col sex --min-cell 1 --build 38 --out "$d/c.parquet" 2>/dev/null
}
