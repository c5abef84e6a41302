"""`piwarden vault status | add-key | activate-key | rotate | retire-key`: master keys.

The order of a rotation (docs/vault.md): add-key (pending), reload the app processes,
activate-key, reload them again, rotate, then retire-key once status shows the old version
unused.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from piwarden.audit import services as audit
from piwarden.audit.actors import Actor
from piwarden.vault import keys
from piwarden.vault import services as vault


class Command(BaseCommand):
    help = "Show master key versions in use, rotate data keys to the newest, add or retire keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Master key versions configured and in use.")
        status.add_argument("--json", dest="as_json", action="store_true",
                            help="Machine-readable output.")
        rotate = sub.add_parser(
            "rotate", help="Re-wrap every data key and blind index under the newest master key.")
        rotate.add_argument("--batch-size", type=int, default=500)
        sub.add_parser("add-key", help="Add a new, pending master key version to the key file.")
        activate = sub.add_parser(
            "activate-key", help="Make a key file version current for new data keys.")
        activate.add_argument("version", type=int)
        retire = sub.add_parser(
            "retire-key", help="Destroy an old master key version that nothing uses any more.")
        retire.add_argument("version", type=int)

    def handle(self, *args, action, **options):
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except vault.VaultError as error:
            raise CommandError(str(error)) from None

    def _status(self, *, as_json: bool, **options):
        status = vault.key_status()
        if as_json:
            self.stdout.write(json.dumps(status, sort_keys=True))
            return
        self.stdout.write(f"current master key version: {status['current_version']}")
        self.stdout.write(f"configured versions: {status['configured_versions']}")
        for version, count in status["data_keys_by_master_version"].items():
            self.stdout.write(f"  v{version}: {count} data keys")
        for version, count in status["blind_indexes_by_version"].items():
            self.stdout.write(f"  v{version}: {count} blind indexes")
        if status["blind_indexes_of_unconfigured_versions"]:
            self.stdout.write(self.style.ERROR(
                f"  {status['blind_indexes_of_unconfigured_versions']} blind indexes of a "
                "version that is not configured"))
        self.stdout.write(f"shredded subjects: {status['shredded_subjects']}")
        self.stdout.write(f"versions in use: {status['versions_in_use']}")
        self.stdout.write(f"retirable versions: {status['retirable_versions']}")

    def _rotate(self, *, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        result = vault.rotate(actor=Actor.system("vault.rotate"), batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(
            f"master key v{result.to_version}: {result.rewrapped} data keys re-wrapped, "
            f"{result.reindexed} blind indexes re-made"))

    def _add_key(self, **options):
        version = keys.add_key_file_version()
        keys.reset_provider()
        with transaction.atomic():
            audit.record(actor=Actor.system("vault.add-key"), action="vault.master_key_added",
                         detail={"version": version})
        self.stdout.write(self.style.SUCCESS(
            f"master key v{version} added to {keys.key_file()} (pending); reload the app "
            f"processes, then run `piwarden vault activate-key {version}`"))

    def _activate_key(self, *, version: int, **options):
        keys.activate_key_file_version(version)
        keys.reset_provider()
        with transaction.atomic():
            audit.record(actor=Actor.system("vault.activate-key"),
                         action="vault.master_key_activated", detail={"version": version})
        self.stdout.write(self.style.SUCCESS(
            f"master key v{version} is current; reload the app processes, then run "
            "`piwarden vault rotate`"))

    def _retire_key(self, *, version: int, **options):
        status = vault.key_status()
        if version in status["versions_in_use"]:
            raise CommandError(f"master key v{version} is still in use; run "
                               "`piwarden vault rotate` first")
        keys.remove_key_file_version(version)
        keys.reset_provider()
        with transaction.atomic():
            audit.record(actor=Actor.system("vault.retire-key"),
                         action="vault.master_key_retired", detail={"version": version})
        self.stdout.write(self.style.SUCCESS(f"master key v{version} destroyed"))
