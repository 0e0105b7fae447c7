"""dlt: every signup (person) through NationBuilder API v2, loaded into PostgreSQL.

dlt's declarative rest_api source with Bearer auth and JSON:API paging
(follow links.next, records under data), into the postgres destination, with
dlt's defaults (nested attributes flattened to columns, lists split into child
tables). A fresh pipelines_dir keeps every run a first run.

Usage: dlt_signups.py API_BASE TOKEN DBNAME PIPELINES_DIR
Prints one JSON line on stdout: seconds, ru_maxrss of this process.
"""
import json
import resource
import sys
import time

import dlt
from dlt.sources.rest_api import rest_api_source

api_base, token, dbname, pipelines_dir = sys.argv[1:5]

t0 = time.monotonic()
source = rest_api_source({
    "client": {
        "base_url": api_base.rstrip("/") + "/api/v2/",
        "auth": {"type": "bearer", "token": token},
        "paginator": {"type": "json_link", "next_url_path": "links.next"},
    },
    "resources": [{
        "name": "signups",
        "endpoint": {
            "path": "signups",
            "params": {"page[size]": 100},
            "data_selector": "data",
        },
    }],
})
pipeline = dlt.pipeline(
    pipeline_name="nb_signups",
    pipelines_dir=pipelines_dir,
    destination=dlt.destinations.postgres(
        credentials=f"postgresql://postgres:@127.0.0.1:5432/{dbname}"),
    dataset_name="nationbuilder",
)
info = pipeline.run(source)
t_total = time.monotonic() - t0

print(json.dumps({
    "tool": "dlt",
    "total_secs": round(t_total, 3),
    "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "load_packages": len(info.load_packages),
}))
