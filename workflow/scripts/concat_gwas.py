#!/usr/bin/env python3
"""Concatenate per-chromosome dash GWAS-SSF results into one file per phenotype.

  concat_gwas.py --out OUT.tsv.gz --parts c1.tsv.gz c2.tsv.gz … --metas c1.tsv.gz-meta.yaml …
                 --skipped c1.skipped.tsv … --skipped-out OUT.skipped.tsv

The parts come in chromosome order (the workflow lists them so), each sorted by dash, so the
concatenation is sorted; this is checked. Writes OUT.tsv.gz (BGZF, via bgzip), OUT.tsv.gz.tbi
(tabix), OUT.tsv.gz-meta.yaml (the metadata of the part with the most samples, with the final
file's name and MD5) and the concatenated skipped list. Every file is written under a temporary
name and renamed when complete; on any error nothing is left at the output paths.
"""
import argparse
import gzip
import hashlib
import os
import re
import subprocess
import sys


def die(message):
    print(f"concat_gwas: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_rows(path):
    with gzip.open(path, "rt", newline="") as f:
        header = f.readline()
        if not header.startswith("chromosome\tbase_pair_location\t"):
            die(f"{path}: line 1: not a GWAS-SSF header")
        return header, f.read()


def chrom_rank(code):
    return int(code) if code.isdigit() else 10**6


def check_sorted(parts_rows, paths):
    """Every part sorted by (chromosome, position), and the parts in order of chromosome."""
    last = (-1, -1)
    for rows, path in zip(parts_rows, paths):
        for n, line in enumerate(rows.splitlines(), start=2):
            fields = line.split("\t", 2)
            key = (chrom_rank(fields[0]), int(fields[1]))
            if key < last:
                die(f"{path}: line {n}: out of genomic order after the previous part's rows")
            last = key


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--parts", nargs="+", required=True)
    ap.add_argument("--metas", nargs="+", required=True)
    ap.add_argument("--skipped", nargs="+", required=True)
    ap.add_argument("--skipped-out", required=True)
    a = ap.parse_args()
    if not (len(a.parts) == len(a.metas) == len(a.skipped)):
        die("--parts, --metas and --skipped must list the same chromosomes")

    headers, rows = zip(*(read_rows(p) for p in a.parts))
    for header, path in zip(headers, a.parts):
        if header != headers[0]:
            die(f"{path}: line 1: header differs from {a.parts[0]}'s")
    check_sorted(rows, a.parts)

    temporaries = []

    def temporary(path):
        tmp = f"{path}.tmp{os.getpid()}"
        temporaries.append(tmp)
        return tmp

    try:
        data_tmp = temporary(a.out + ".gz")
        with open(data_tmp, "wb") as out:
            bgzip = subprocess.Popen(["bgzip", "-c"], stdin=subprocess.PIPE, stdout=out)
            bgzip.stdin.write(headers[0].encode())
            for part in rows:
                bgzip.stdin.write(part.encode())
            bgzip.stdin.close()
            if bgzip.wait() != 0:
                die(f"{a.out}: bgzip failed")
        subprocess.run(["tabix", "-f", "-s1", "-b2", "-e2", "-S1", data_tmp], check=True)
        temporaries.append(data_tmp + ".tbi")
        with open(data_tmp, "rb") as f:
            md5 = hashlib.md5(f.read()).hexdigest()

        # The metadata of the part with the most samples (an empty chromosome has none).
        def sample_size(path):
            sizes = re.findall(r"sample_size:\s*(\d+)", open(path).read())
            return max(map(int, sizes), default=0)

        template = max(a.metas, key=sample_size)
        meta = open(template).read()
        name = os.path.basename(a.out)
        meta, n1 = re.subn(r"(?m)^data_file_name:.*$", f"data_file_name: '{name}'", meta)
        meta, n2 = re.subn(r"(?m)^data_file_md5sum:.*$", f"data_file_md5sum: {md5}", meta)
        if n1 != 1 or n2 != 1:
            die(f"{template}: no data_file_name or data_file_md5sum line")
        meta_path = a.out + "-meta.yaml"
        meta_tmp = temporary(meta_path)
        with open(meta_tmp, "w") as f:
            f.write(meta)

        skipped_tmp = temporary(a.skipped_out)
        with open(skipped_tmp, "w") as out:
            for n, path in enumerate(a.skipped):
                with open(path) as f:
                    header = f.readline()
                    if n == 0:
                        out.write(header)
                    out.write(f.read())

        # Index before data, so the data file never exists without its index.
        os.replace(data_tmp + ".tbi", a.out + ".tbi")
        os.replace(data_tmp, a.out)
        os.replace(meta_tmp, meta_path)
        os.replace(skipped_tmp, a.skipped_out)
    finally:
        for tmp in temporaries:
            if os.path.exists(tmp):
                os.remove(tmp)


if __name__ == "__main__":
    main()
