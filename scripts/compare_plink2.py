#!/usr/bin/env python3
"""Compare a dash GWAS-SSF result file against plink2 --glm output.

Usage:
  compare_plink2.py --dash OUT.y1.tsv.gz --plink2 p2.y1.glm.linear --bed fixtures/pooled
                    [--tol 1e-5] [--verbose]

plink2 must have been run on the same pooled data with the effect allele as A1,
e.g. (plink2 v2.00a3.5):
  plink2 --bfile fixtures/pooled --pheno fixtures/pooled.pheno \
         --covar fixtures/pooled.covar --glm hide-covar omit-ref --out p2
('omit-ref' makes A1 = ALT = .bim column 5 = dash's effect allele.  Adding
'cols=+a1freq' also compares A1_FREQ; the 'log10' modifier is understood too.
--covar-variance-standardize is optional: it does not change the genotype
coefficient.)

Which variants are compared: plink2 does NOT mean-impute missing hard calls in
--glm, it drops those samples per variant, while dash mean-imputes.  The two
models are only identical for variants with no missing call, so only variants
with zero missing calls in the pooled .bed (over ALL samples of the .fam; on
chrY over the males, the only samples either tool fits there) are compared.  On those variants this script requires:
  * the variant is present in both files, with identical alleles:
    dash effect_allele == plink2 A1 == .bim column 5, dash other_allele ==
    the other plink2 allele (REF/ALT) == .bim column 6;
  * dash n == plink2 OBS_CT (same analysis samples);
  * both report a result, or both report none (dash: '#NA' beta or variant
    absent from the dash file; plink2: 'NA' with an ERRCODE);
  * |dash - plink2| <= tol * |plink2| for BETA, SE, T_STAT, A1_FREQ (if
    present) and P, where P is compared through -log10 so that values below
    1e-308 (plink2 prints e.g. 5.76909e-507) are handled exactly:
    relative p difference = |10^-(L_dash - L_plink2) - 1|.
    plink2 prints 6 significant digits, i.e. a rounding error of at most
    5e-6 relative; the default tol is 1e-5.  With the 'log10' modifier plink2
    prints -log10 p with 6 significant digits, so there the relative
    difference of -log10 p itself is checked against tol.
Exit status 0 if everything agrees, 1 on any mismatch (with a report), 2 on
usage / input errors.
"""
import argparse
import gzip
import math
import sys

import numpy as np

DASH_COLS = ["chromosome", "base_pair_location", "effect_allele", "other_allele", "beta",
             "standard_error", "effect_allele_frequency", "p_value", "variant_id", "rsid", "n",
             "t_statistic", "neg_log_10_p_value"]


def die(msg):
    print("compare_plink2: error: " + msg, file=sys.stderr)
    sys.exit(2)


def neg_log10_of_decimal(s):
    """-log10 of a positive decimal string, valid far below the double range
    ('5.76909e-507' -> 506.2389...)."""
    s = s.strip()
    if "e" in s.lower():
        mant, exp = s.lower().split("e")
        m, e = float(mant), int(exp)
    else:
        m, e = float(s), 0
    if m <= 0:
        return math.inf
    return -(math.log10(m) + e)


def read_dash(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:       # BGZF is multi-member gzip: gzip reads it
        header = f.readline().rstrip("\r\n").split("\t")
        missing = [c for c in DASH_COLS if c not in header]
        if missing:
            die("%s: missing columns %s (header: %s)" % (path, missing, header))
        ix = {c: header.index(c) for c in header}
        rows = {}
        for ln in f:
            c = ln.rstrip("\r\n").split("\t")
            r = {k: (None if c[i] == "#NA" else c[i]) for k, i in ix.items()}
            vid = r["rsid"] or r["variant_id"]  # plink2 keys by the .bim ID (an rsID here)
            if vid in rows:
                die("%s: duplicate variant %s" % (path, vid))
            rows[vid] = r
    return rows


def read_plink2(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        if not header[0].startswith("#"):
            die("%s: does not look like a plink2 .glm.linear file" % path)
        header[0] = header[0][1:]
        need = ["ID", "REF", "ALT", "A1", "OBS_CT", "BETA", "SE", "T_STAT"]
        pcol = next((c for c in ("P", "LOG10_P", "NEG_LOG10_P") if c in header), None)
        if pcol is None or any(c not in header for c in need):
            die("%s: need columns %s and P or LOG10_P; header is %s" % (path, need, header))
        rows = {}
        for ln in f:
            c = ln.rstrip("\n").split("\t")
            r = dict(zip(header, c))
            if r.get("TEST", "ADD") != "ADD":
                continue                  # covariate lines (if hide-covar was not used)
            if r["ID"] in rows:
                die("%s: duplicate variant %s (multiallelic?)" % (path, r["ID"]))
            rows[r["ID"]] = r
    return rows, pcol


def read_bed_missing(prefix):
    """Per-variant count of missing calls in PREFIX.bed over the samples plink2 --glm fits
    there, and the .bim alleles: every sample, but on chrY the males only (.fam SEX 1), as
    plink2 (and dash) fit chrY on the males, whose missing calls alone matter there."""
    with open(prefix + ".fam") as f:
        males = np.array([ln.split()[4] == "1" for ln in f if ln.strip()])
    n = len(males)
    bim = []
    with open(prefix + ".bim") as f:
        for ln in f:
            c = ln.split()
            if c:
                bim.append((c[1], c[4], c[5], c[0] in ("Y", "chrY", "24")))
    raw = np.fromfile(prefix + ".bed", dtype=np.uint8)
    if raw[:3].tolist() != [0x6C, 0x1B, 0x01]:
        die("%s.bed: bad magic or not SNP-major" % prefix)
    nbytes = (n + 3) // 4
    if raw.size != 3 + nbytes * len(bim):
        die("%s.bed: size %d does not match %d samples x %d variants" % (prefix, raw.size, n, len(bim)))
    blocks = raw[3:].reshape(len(bim), nbytes)
    codes = np.stack([(blocks >> s) & 3 for s in (0, 2, 4, 6)], axis=2).reshape(len(bim), -1)[:, :n]
    missing = codes == 1                      # code 01 = missing
    nmiss = [int(row[males].sum() if on_y else row.sum()) for row, (_, _, _, on_y) in zip(missing, bim)]
    return {vid: (m, a1, a2) for (vid, a1, a2, _), m in zip(bim, nmiss)}


def rel(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / abs(b) if b != 0 else math.inf


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dash", required=True, help="dash GWAS-SSF output (.tsv or BGZF/gzip .tsv.gz)")
    ap.add_argument("--plink2", required=True, help="plink2 .glm.linear file for the same phenotype")
    ap.add_argument("--bed", required=True, help="pooled PLINK 1 prefix (PREFIX.bed/.bim/.fam)")
    ap.add_argument("--tol", type=float, default=1e-5, help="max relative difference (default 1e-5)")
    ap.add_argument("--selected", action="store_true",
                    help="both tools ran with a variant selection: a variant absent from both "
                         "outputs was left out by it (absent from one only is still a mismatch)")
    ap.add_argument("--skip-plink2-refused", action="store_true",
                    help="leave out (and count) the variants plink2 refuses with CORR_TOO_HIGH or "
                         "VIF_TOO_HIGH, which plink2 2.00a3.5 reports for some well-conditioned "
                         "fits whatever --max-corr says")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()

    dash = read_dash(a.dash)
    p2, pcol = read_plink2(a.plink2)
    bed = read_bed_missing(a.bed)

    problems = []
    maxd = {"beta": 0.0, "se": 0.0, "t": 0.0, "p": 0.0, "eaf": 0.0}
    worst = {}
    compared = both_na = skipped_missing = not_selected = refused = 0
    for vid, (nmiss, b_a1, b_a2) in bed.items():
        if nmiss > 0:
            skipped_missing += 1
            continue
        if a.skip_plink2_refused and p2.get(vid, {}).get("ERRCODE") in ("CORR_TOO_HIGH", "VIF_TOO_HIGH"):
            refused += 1
            continue
        d = dash.get(vid)
        q = p2.get(vid)
        if a.selected and d is None and q is None:
            not_selected += 1
            continue
        if q is None:
            problems.append("%s: absent from plink2 output" % vid)
            continue
        q_ok = q["BETA"] != "NA"
        if d is None or d["beta"] is None:
            if q_ok:
                problems.append("%s: dash reports no result but plink2 has BETA=%s" % (vid, q["BETA"]))
            else:
                both_na += 1
            continue
        # allele orientation
        q_other = q["REF"] if q["A1"] == q["ALT"] else q["ALT"]
        if not (d["effect_allele"] == q["A1"] == b_a1 and d["other_allele"] == q_other == b_a2):
            problems.append("%s: allele mismatch dash %s/%s, plink2 A1=%s (REF %s ALT %s), bim %s/%s"
                            % (vid, d["effect_allele"], d["other_allele"], q["A1"], q["REF"], q["ALT"], b_a1, b_a2))
            continue
        if not q_ok:
            problems.append("%s: plink2 reports NA (%s) but dash has beta=%s"
                            % (vid, q.get("ERRCODE", "?"), d["beta"]))
            continue
        if d["n"] is None or int(float(d["n"])) != int(q["OBS_CT"]):
            problems.append("%s: dash n=%s but plink2 OBS_CT=%s" % (vid, d["n"], q["OBS_CT"]))
            continue
        compared += 1
        diffs = {"beta": rel(float(d["beta"]), float(q["BETA"])),
                 "se": rel(float(d["standard_error"]), float(q["SE"])),
                 "t": rel(float(d["t_statistic"]), float(q["T_STAT"]))}
        # p through -log10; dash: prefer neg_log_10_p_value, else p_value
        if d["neg_log_10_p_value"] is not None:
            ld = float(d["neg_log_10_p_value"])
        elif d["p_value"] is not None:
            ld = neg_log10_of_decimal(d["p_value"])
        else:
            problems.append("%s: dash has no p value" % vid)
            continue
        if pcol == "P":
            lq = neg_log10_of_decimal(q["P"])
            diffs["p"] = abs(math.expm1(-math.log(10) * (ld - lq)))
        else:
            lq = abs(float(q[pcol]))       # 2.00a3.5 writes -log10(p) under 'LOG10_P'
            diffs["p"] = rel(ld, lq) if lq > 0 else abs(ld)
        if "A1_FREQ" in q and d["effect_allele_frequency"] is not None:
            diffs["eaf"] = rel(float(d["effect_allele_frequency"]), float(q["A1_FREQ"]))
        for k, v in diffs.items():
            if v > maxd[k]:
                maxd[k], worst[k] = v, vid
            if not v <= a.tol:
                problems.append("%s: %s differs: rel diff %.3g > %.3g (dash beta=%s se=%s t=%s -log10p=%.9g; "
                                "plink2 BETA=%s SE=%s T=%s %s=%s)"
                                % (vid, k, v, a.tol, d["beta"], d["standard_error"], d["t_statistic"], ld,
                                   q["BETA"], q["SE"], q["T_STAT"], pcol, q[pcol]))
    extra = [v for v in dash if v not in bed]
    if extra:
        problems.append("%d dash variants not in %s.bim, e.g. %s" % (len(extra), a.bed, extra[:3]))
    if compared == 0:
        problems.append("no variant could be compared")

    summary = ("compare_plink2: %d variants compared (%d without missing calls had no result in both, "
               "%d with missing calls not comparable%s), max rel diff beta=%.3g se=%.3g t=%.3g p=%.3g%s, tol=%.3g"
               % (compared, both_na, skipped_missing,
                  ((", %d left out by the selection in both" % not_selected) if a.selected else "")
                  + ((", %d refused by plink2 (CORR_TOO_HIGH/VIF_TOO_HIGH) left out" % refused)
                     if a.skip_plink2_refused else ""),
                  maxd["beta"], maxd["se"], maxd["t"], maxd["p"],
                  (" eaf=%.3g" % maxd["eaf"]) if any("A1_FREQ" in r for r in p2.values()) else "", a.tol))
    if a.verbose:
        for k, v in worst.items():
            print("  worst %s: %s (%.3g)" % (k, v, maxd[k]))
    if problems:
        print("compare_plink2: %d MISMATCHES:" % len(problems))
        for p in problems[:50]:
            print("  " + p)
        if len(problems) > 50:
            print("  ... and %d more" % (len(problems) - 50))
        print(summary)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, KeyError, IndexError) as e:
        die("%s: %s" % (type(e).__name__, e))
