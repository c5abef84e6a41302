import base64
import stat

import pytest
from cryptography.hazmat.primitives import hashes, hmac

from piwarden.vault import keys
from piwarden.vault.errors import DecryptionFailed, KeyUnavailable
from tests.vault.conftest import KEY_1, KEY_2, env_keys


@pytest.fixture
def key_file_dir(settings, tmp_path, monkeypatch):
    """No PIWARDEN_MASTER_KEYS: keys come from a key file in a fresh data folder."""
    monkeypatch.delenv(keys.ENV_VAR)
    settings.DATA_DIR = tmp_path
    keys.reset_provider()
    return tmp_path


def test_env_keys_parse_and_the_highest_version_is_current():
    provider = keys.LocalKeyProvider(keys.parse_env(env_keys((2, KEY_2), (1, KEY_1))))
    assert provider.versions() == [1, 2]
    assert provider.current_version() == 2


@pytest.mark.parametrize("value", ["1", "x:AAAA", "1:not base64!", "1:" + "A" * 8])
def test_bad_env_keys_are_refused(value):
    with pytest.raises(KeyUnavailable):
        keys.LocalKeyProvider(keys.parse_env(value))


def test_wrapped_key_is_bound_to_its_associated_data():
    provider = keys.LocalKeyProvider({1: KEY_1})
    wrapped = provider.wrap(1, b"k" * 32, b"subject-a")
    assert provider.unwrap(1, wrapped, b"subject-a") == b"k" * 32
    with pytest.raises(DecryptionFailed):
        provider.unwrap(1, wrapped, b"subject-b")
    with pytest.raises(KeyUnavailable):
        provider.unwrap(2, wrapped, b"subject-a")


def test_blind_index_key_is_derived_not_the_master_secret():
    provider = keys.LocalKeyProvider({1: KEY_1, 2: KEY_2})
    plain = hmac.HMAC(KEY_1, hashes.SHA256())
    plain.update(b"phone\x00+8613812345678")
    digest = provider.blind_index(1, b"phone\x00+8613812345678")
    assert digest != plain.finalize()
    assert digest != provider.blind_index(2, b"phone\x00+8613812345678")
    assert digest == keys.LocalKeyProvider({1: KEY_1}).blind_index(1, b"phone\x00+8613812345678")


def test_key_file_is_generated_once_and_private(key_file_dir):
    first = keys.get_provider()
    path = key_file_dir / keys.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys.reset_provider()
    second = keys.get_provider()
    wrapped = first.wrap(1, b"k" * 32, b"aad")
    assert second.unwrap(1, wrapped, b"aad") == b"k" * 32
    assert list(key_file_dir.iterdir()) == [path]  # no temporary file left behind


def test_a_new_key_is_pending_until_activated(key_file_dir):
    """Every process can read with a new version before any process writes with it."""
    assert keys.add_key_file_version() == 2
    keys.reset_provider()
    assert (keys.get_provider().versions(), keys.get_provider().current_version()) == ([1, 2], 1)
    keys.activate_key_file_version(2)
    keys.reset_provider()
    assert keys.get_provider().current_version() == 2
    with pytest.raises(KeyUnavailable):
        keys.activate_key_file_version(3)


def test_a_running_process_picks_up_a_key_added_by_another(key_file_dir):
    running = keys.get_provider()
    assert running.versions() == [1]
    keys.add_key_file_version()
    keys.reset_provider()
    wrapped = keys.get_provider().wrap(2, b"k" * 32, b"aad")
    assert running.unwrap(2, wrapped, b"aad") == b"k" * 32  # reloaded the file on the miss
    assert running.versions() == [1, 2]


def test_the_current_version_can_be_pinned_in_the_environment(monkeypatch):
    monkeypatch.setenv(keys.ENV_VAR, env_keys((1, KEY_1), (2, KEY_2)))
    monkeypatch.setenv(keys.CURRENT_ENV_VAR, "1")
    assert keys.local_provider().current_version() == 1
    monkeypatch.setenv(keys.CURRENT_ENV_VAR, "3")
    with pytest.raises(KeyUnavailable):
        keys.local_provider()


def test_removing_key_versions(key_file_dir):
    keys.add_key_file_version()
    keys.activate_key_file_version(2)
    with pytest.raises(KeyUnavailable):
        keys.remove_key_file_version(2)  # the current one
    keys.remove_key_file_version(1)
    keys.reset_provider()
    assert keys.get_provider().versions() == [2]
    with pytest.raises(KeyUnavailable):
        keys.remove_key_file_version(1)


def test_key_file_commands_refuse_when_keys_come_from_the_environment():
    with pytest.raises(KeyUnavailable):
        keys.add_key_file_version()
    with pytest.raises(KeyUnavailable):
        keys.activate_key_file_version(1)
    with pytest.raises(KeyUnavailable):
        keys.remove_key_file_version(1)


def kms_like_provider():
    return keys.LocalKeyProvider({7: base64.b64decode(base64.b64encode(KEY_2))})


def test_another_provider_can_be_plugged_in(settings):
    settings.PIWARDEN_VAULT_KEY_PROVIDER = "tests.vault.test_keys.kms_like_provider"
    keys.reset_provider()
    assert keys.get_provider().versions() == [7]
