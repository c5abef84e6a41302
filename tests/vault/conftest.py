"""Vault tests run with known master keys from the environment, and a cold key cache."""

import base64

import pytest

from piwarden.audit.actors import Actor
from piwarden.subjects.models import SubjectKind
from piwarden.subjects.services import create_subject
from piwarden.vault import envelope, keys

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))


def env_keys(*pairs: tuple[int, bytes]) -> str:
    return ",".join(f"{v}:{base64.b64encode(k).decode()}" for v, k in pairs)


@pytest.fixture(autouse=True)
def master_keys(monkeypatch):
    """Master key v1 from PIWARDEN_MASTER_KEYS; tests that rotate set it again."""
    monkeypatch.setenv(keys.ENV_VAR, env_keys((1, KEY_1)))
    keys.reset_provider()
    envelope.key_cache.clear()
    yield
    keys.reset_provider()
    envelope.key_cache.clear()


def use_keys(monkeypatch, *pairs: tuple[int, bytes]) -> None:
    monkeypatch.setenv(keys.ENV_VAR, env_keys(*pairs))
    keys.reset_provider()
    envelope.key_cache.clear()


@pytest.fixture
def actor():
    return Actor.system("tests")


@pytest.fixture
def make_subject(actor):
    def make():
        return create_subject(actor=actor, kind=SubjectKind.ACCOUNT_HOLDER)
    return make


@pytest.fixture
def subject(make_subject):
    return make_subject()
