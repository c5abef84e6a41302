"""A separate process that appends audit records; run by test_concurrency."""

import os
import sys

import django


def main(writer: int, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "piwarden.settings")
    django.setup()
    from django.db import transaction

    from piwarden.audit import services
    from piwarden.audit.actors import Actor

    actor = Actor.system(f"writer-{writer}")
    for number in range(count):
        with transaction.atomic():
            services.record(actor=actor, action="test.parallel_append",
                            detail={"writer": writer, "n": number})


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
