"""Markdown tables from run.sh's raw results (standard library only).

Usage: summarise.py RESULTS_TSV EXPECTED_PEOPLE [FULL_JSON]
"""
import csv
import json
import os
import statistics
import sys

LABELS = {
    "parsons": "Parsons 6.1 — NationBuilder.get_people (API v1) + Postgres.copy",
    "dlt": "dlt — rest_api source, /api/v2/signups → postgres",
    "nbx-v2": "nb-exodus migrate --resources people --api v2",
    "nbx-v1": "nb-exodus migrate --resources people --api v1",
}


def fmt_int(x):
    return f"{int(round(x)):,}"


def main():
    results, expected = sys.argv[1], int(sys.argv[2])
    full = sys.argv[3] if len(sys.argv) > 3 else ""
    rows = list(csv.DictReader(open(results), delimiter="\t"))
    tools = []
    for r in rows:
        if r["tool"] not in tools:
            tools.append(r["tool"])

    print(f"### People only: {expected:,} people, unthrottled simulator, "
          f"median of {len({r['round'] for r in rows})} interleaved runs\n")
    print("| Tool | Wall time (s) | People/s | Peak RSS (MiB) | CPU (s) | API requests "
          "| Rows loaded (distinct ids) | Right count | Runs (wall s) |")
    print("|---|---:|---:|---:|---:|---:|---:|:---:|---|")
    for t in tools:
        rs = [r for r in rows if r["tool"] == t]
        wall = statistics.median(float(r["wall_s"]) for r in rs)
        rss = statistics.median(int(r["maxrss_kb"]) for r in rs) / 1024
        cpu = statistics.median(float(r["cpu_s"]) for r in rs)
        req = statistics.median(int(r["requests"]) for r in rs)
        counts = sorted({(int(r["rows"]), int(r["distinct_ids"])) for r in rs})
        ok = all(int(r["exit"]) == 0 and int(r["rows"]) == expected
                 and int(r["distinct_ids"]) == expected for r in rs)
        count_txt = ", ".join(f"{a:,} ({b:,})" for a, b in counts)
        runs = " / ".join(f"{float(r['wall_s']):.1f}" for r in rs)
        fails = [r for r in rs if int(r["exit"]) != 0]
        if fails:
            runs += f" (exit {','.join(r['exit'] for r in fails)})"
        print(f"| {LABELS.get(t, t)} | {wall:.1f} | {fmt_int(expected / wall)} | {rss:.0f} "
              f"| {cpu:.1f} | {fmt_int(req)} | {count_txt} | {'yes' if ok else 'NO'} | {runs} |")
    print()
    print("People/s = people in the nation / median wall time. Peak RSS: the tool's own "
          "process (GNU time %M); PostgreSQL and the simulator are not counted. "
          "API requests: the simulator's request counter before and after the run.")

    if full and os.path.exists(full):
        f = json.load(open(full))
        req = f["summary_requests"] if f["summary_requests"] is not None else f["manifest_requests"]
        wall = f["wall_s"]
        print()
        print(f"### nb-exodus alone, every resource (API v2), {f['people']:,} people, "
              "250 requests/10 s on both sides\n")
        print("| Requests (summary / simulator) | Records loaded | Requests per record "
              "| Rate-limited responses (429) | Wall time (s) | Budget used | Peak RSS (MiB) "
              "| Exit |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {fmt_int(req)} / {fmt_int(f['manifest_requests'])} | {fmt_int(f['loaded'])} "
              f"| {req / f['loaded']:.4f} | {f['manifest_rate_limited']} | {wall:.1f} "
              f"| {100 * req / (25 * wall):.1f} % | {f['maxrss_kb'] / 1024:.0f} | {f['exit']} |")
        print()
        print(f"Budget used = requests / (25 × wall seconds). Records loaded = sum of "
              f"`loaded` over the {f['streams']} streams of the `--json` summary. "
              f"Requests by purpose: {json.dumps(f['by_purpose'])}.")


if __name__ == "__main__":
    main()
