"""Print the run summary (the job's --json line) found in a log, e.g. `airflow dags test` output."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    decoder = json.JSONDecoder()
    found = None
    for line in Path(path).read_text().splitlines():
        start = line.find('{"run_id"')
        if start >= 0:
            found, _ = decoder.raw_decode(line[start:])
    if found is None:
        print(f"no run summary in {path}", file=sys.stderr)
        return 1
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
