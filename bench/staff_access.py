"""Staff access: the console list with the read gate, and the anomaly scan (issue 16).

    python bench/staff_access.py [--db sqlite|postgres] [--runs 30] [--records 1000000]

``admin_list_ms``: p95 of a masked console list of 100 people with the purpose check, the
consent decisions and the audit record naming all 100 (``bench/staff_list.py``; target
< 150 ms). ``anomaly_scan_s``: one anomaly scan over ``--records`` audit records with their
child rows (``bench/anomaly_scan.py``; target < 2 s). Each runs in its own process on its
own scratch database; their JSON lines are printed as they come.
"""

import argparse
import subprocess
import sys
from pathlib import Path

from _common import ensure_project_python

HERE = Path(__file__).resolve().parent


def main() -> None:
    ensure_project_python()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    for script, extra in (("staff_list.py", ["--runs", str(args.runs)]),
                          ("anomaly_scan.py", ["--records", str(args.records)])):
        subprocess.run([sys.executable, str(HERE / script), "--db", args.db, *extra],
                       check=True)


if __name__ == "__main__":
    main()
