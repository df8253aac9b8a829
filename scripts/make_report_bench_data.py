#!/usr/bin/env python3
"""Synthetic GWAS-SSF rows for timing `dash report`: M variants spread over chromosomes 1-22
in proportion to their lengths (GRCh38), null p-values (uniform) plus 40 peaks of hits, in the
column order dash merge writes. Text goes to stdout (pipe it through `bgzip`); fixed seed.

Usage: make_report_bench_data.py M | bgzip -@2 > PREFIX.y.tsv.gz
"""
import sys

import numpy as np

LENGTHS = [248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973,
           145138636, 138394717, 133797422, 135086622, 133275309, 114364328, 107043718,
           101991189, 90338345, 83257441, 80373285, 58617616, 64444167, 46709983, 50818468]
HEADER = ("chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
          "effect_allele_frequency\tp_value\tvariant_id\trsid\tn\tt_statistic\tneg_log_10_p_value")


def main():
    m = int(sys.argv[1])
    rng = np.random.default_rng(16)
    counts = np.floor(np.array(LENGTHS) / sum(LENGTHS) * m).astype(int)
    counts[0] += m - counts.sum()
    peaks = [(int(rng.integers(1, 23)), int(rng.integers(1_000_000, 40_000_000)), float(rng.uniform(8, 60)))
             for _ in range(40)]
    out = sys.stdout
    out.write(HEADER + "\n")
    rsid = 0
    for chrom, (count, length) in enumerate(zip(counts, LENGTHS), start=1):
        pos = np.sort(rng.integers(1, length, size=count))
        u = rng.uniform(size=count)
        neg_log10 = -np.log10(u)
        for c, centre, height in peaks:
            if c == chrom:
                d = (pos - centre) / 100_000.0
                neg_log10 = np.maximum(neg_log10, height * np.exp(-d * d) * rng.uniform(0.6, 1.0, size=count))
        eaf = rng.uniform(0.001, 0.999, size=count)
        se = 0.02 / np.sqrt(eaf * (1 - eaf))
        t = np.sqrt(2 * neg_log10 * np.log(10)).clip(0.01) * np.where(rng.uniform(size=count) < 0.5, -1, 1)
        beta = t * se
        for start in range(0, count, 500_000):
            stop = min(count, start + 500_000)
            lines = []
            for k in range(start, stop):
                rsid += 1
                p = pos[k]
                q = neg_log10[k]
                lines.append("%d\t%d\tA\tG\t%.6g\t%.6g\t%.6g\t%.4e\t%d_%d_G_A\trs%d\t10000\t%.6g\t%.10g"
                             % (chrom, p, beta[k], se[k], eaf[k], 10.0 ** -q, chrom, p, rsid, t[k], q))
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
