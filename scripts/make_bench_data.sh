#!/usr/bin/env bash
# Benchmark data shared by scripts/bench.sh and scripts/bench_secure.sh:
#   bash scripts/make_bench_data.sh PREFIX N M MISSING_FREQ [THREADS]
# writes PREFIX.{bed,bim,fam} (`plink2 --dummy`, acgt, one quantitative phenotype), PREFIX.pheno
# (that phenotype) and PREFIX.covar (10 standard-normal covariates, fixed seed). Does nothing when
# PREFIX.bed exists.
set -euo pipefail
prefix=${1:?usage: make_bench_data.sh PREFIX N M MISSING_FREQ [THREADS]}
n=${2:?N}
m=${3:?M}
missing_freq=${4:?MISSING_FREQ}
threads=${5:-$(nproc)}
[ -f "$prefix.bed" ] && exit 0
command -v plink2 >/dev/null || { echo "make_bench_data.sh: plink2 not found (apt-get install plink2)" >&2; exit 2; }
plink2 --dummy "$n" "$m" "$missing_freq" acgt scalar-pheno --seed 1 --threads "$threads" \
  --make-bed --out "$prefix" >/dev/null
python3 - "$prefix" <<'PY'
import random, sys
prefix = sys.argv[1]
rng = random.Random(7)
with open(prefix + ".fam") as fam, open(prefix + ".pheno", "w") as ph, open(prefix + ".covar", "w") as cv:
    ph.write("#FID\tIID\ty\n")
    cv.write("#FID\tIID\t" + "\t".join(f"c{i}" for i in range(1, 11)) + "\n")
    for line in fam:
        fid, iid, *_rest, pheno = line.split()
        ph.write(f"{fid}\t{iid}\t{pheno}\n")
        cv.write(f"{fid}\t{iid}\t" + "\t".join(f"{rng.gauss(0, 1):.6f}" for _ in range(10)) + "\n")
PY
