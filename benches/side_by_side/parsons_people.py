"""Parsons: every person through NationBuilder API v1, copied into PostgreSQL.

What a Parsons user writes (NationBuilder.get_people + Postgres.copy), with one
change: the connector's base URI points at the simulator instead of
https://SLUG.nationbuilder.com/api/v1/.

Usage: parsons_people.py API_BASE TOKEN DBNAME
Prints one JSON line on stdout: rows fetched, seconds, ru_maxrss of this process.
"""
import json
import resource
import sys
import time

from parsons import NationBuilder, Postgres

api_base, token, dbname = sys.argv[1:4]

t0 = time.monotonic()
nb = NationBuilder("testnation", token)
# Parsons builds NationBuilder.client = APIConnector("https://testnation.nationbuilder.com/api/v1/");
# APIConnector.uri holds that base, and every request is urljoin(uri, "people?...").
nb.client.uri = api_base.rstrip("/") + "/api/v1/"
tbl = nb.get_people()
t_fetch = time.monotonic() - t0

db = Postgres(host="127.0.0.1", port=5432, username="postgres", password="", db=dbname)
db.copy(tbl, "people", if_exists="drop")
t_total = time.monotonic() - t0

print(json.dumps({
    "tool": "parsons",
    "rows_fetched": tbl.num_rows,
    "fetch_secs": round(t_fetch, 3),
    "total_secs": round(t_total, 3),
    "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
