"""What every bench shares: the project's virtual environment and a scratch database.

    with scratch_database("postgres", "piwarden_bench_x") as (database_url, data_dir):
        ...  # Django is set up on a migrated database with the catalog loaded

SQLite scratch databases live in a temporary folder; PostgreSQL ones are created on the local
server (trust auth) and dropped afterwards.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def ensure_project_python() -> None:
    """Re-run inside the project's virtual environment, creating it if needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not (VENV / "bin" / "python").exists():
        subprocess.run(["make", "-C", str(REPO), ".venv/.installed"], check=True)  # noqa: S607
    os.execv(VENV / "bin" / "python", [str(VENV / "bin" / "python"), *sys.argv])  # noqa: S606


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def setup_django(database_url: str, data_dir: str) -> None:
    """Point Django at the bench's database (also used by the benches' worker processes)."""
    os.environ.update({"DATABASE_URL": database_url, "PIWARDEN_DATA_DIR": data_dir,
                       "DJANGO_SETTINGS_MODULE": "piwarden.settings",
                       "PIWARDEN_LOG_LEVEL": "WARNING"})
    import django

    django.setup()


@contextlib.contextmanager
def scratch_database(db: str, name: str) -> Iterator[tuple[str, str]]:
    data_dir = tempfile.mkdtemp(prefix="piwarden-bench-")
    if db == "postgres":
        postgres(f"DROP DATABASE IF EXISTS {name}")
        postgres(f"CREATE DATABASE {name}")
        database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        database_url = f"sqlite:///{data_dir}/bench.sqlite3"
    try:
        setup_django(database_url, data_dir)
        from django.core.management import call_command

        from piwarden.audit.actors import Actor
        from piwarden.catalog.services import load_catalog

        call_command("migrate", verbosity=0)
        load_catalog(actor=Actor.system("bench"))
        yield database_url, data_dir
    finally:
        if "django" in sys.modules and db == "postgres":
            from django.db import connections

            connections.close_all()
        if db == "postgres":
            postgres(f"DROP DATABASE IF EXISTS {name}")
