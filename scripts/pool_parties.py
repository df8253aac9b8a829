#!/usr/bin/env python3
"""Pools the chrX live checks' three parties into one PLINK 1 fileset for plink2.

Usage: pool_parties.py DIR   (DIR holds party_a/b .bed/.bim/.fam, party_c.bed/.bim/.fam as
plink2 imported party_c.vcf, and every party's .pheno and .covar)

party_c's .fam gets its sex from its covariate file's `sex` column (NA: 0, unknown), as dash
reads it with --sex-col sex. Every party's sample count must be a multiple of 4, so a
variant's pooled bytes are the parties' bytes one after the other. Writes DIR/pooled.bed/.bim/
.fam, DIR/pooled.pheno and DIR/pooled.covar (FID, IID, age).
"""
import sys

d = sys.argv[1]
sex = {}
for line in open(d + "/party_c.covar").read().splitlines()[1:]:
    f = line.split("\t")
    sex[f[1]] = {"1": "1", "2": "2"}.get(f[3], "0")
with open(d + "/party_c.fam") as fam:
    rows = [l.split() for l in fam]
with open(d + "/party_c.fam", "w") as fam:
    for r in rows:
        fam.write("F%s %s 0 0 %s -9\n" % (r[1], r[1], sex[r[1]]))
parties = ["party_a", "party_b", "party_c"]
beds = [open("%s/%s.bed" % (d, p), "rb").read()[3:] for p in parties]
sizes = [sum(1 for _ in open("%s/%s.fam" % (d, p))) // 4 for p in parties]
variants = len(open(d + "/party_a.bim").read().splitlines())
out = bytearray(b"\x6c\x1b\x01")
for v in range(variants):
    for bed, size in zip(beds, sizes):
        out += bed[v * size:(v + 1) * size]
open(d + "/pooled.bed", "wb").write(out)
open(d + "/pooled.bim", "w").write(open(d + "/party_a.bim").read())
with open(d + "/pooled.fam", "w") as fam:
    for p in parties:
        fam.write(open("%s/%s.fam" % (d, p)).read())
with open(d + "/pooled.pheno", "w") as ph, open(d + "/pooled.covar", "w") as cv:
    ph.write("#FID\tIID\ty\n")
    cv.write("#FID\tIID\tage\n")
    for p in parties:
        ph.writelines(open("%s/%s.pheno" % (d, p)).read().splitlines(True)[1:])
        for line in open("%s/%s.covar" % (d, p)).read().splitlines()[1:]:
            cv.write("\t".join(line.split("\t")[:3]) + "\n")
