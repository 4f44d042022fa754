"""Ansible Vault: `!vault` values and vault-encrypted files, decrypted as ansible-core does.

Format 1.1/1.2 (`$ANSIBLE_VAULT;1.2;AES256;label`): the body is hex of
`hex(salt)\\nhex(hmac)\\nhex(ciphertext)`; PBKDF2-HMAC-SHA256 (10,000 rounds) derives an
AES-256 key, an HMAC-SHA256 key and a CTR counter from the password and salt; the HMAC is
checked before decrypting, then PKCS#7 padding is removed (ansible/parsing/vault/__init__.py,
VaultAES256). Passwords come from `--vault-id label@FILE|prompt`, `--vault-password-file`,
`--ask-vault-pass`, `ANSIBLE_VAULT_PASSWORD_FILE` / `vault_password_file`. A password file
that is executable is run and its output is the password (`*-client` scripts get
`--vault-id LABEL`), as in ansible-core.

Every decrypted value is a secret: `VaultSecrets.plaintexts` feeds the redactor.
"""

from __future__ import annotations

import functools
import getpass
import os
import subprocess
from binascii import Error as BinasciiError
from binascii import unhexlify
from dataclasses import dataclass, field

from checker.errors import InventoryError

HEADER = "$ANSIBLE_VAULT"
DEFAULT_ID = "default"


class VaultError(InventoryError):
    pass


def is_encrypted(text: str | bytes) -> bool:
    head = text[: len(HEADER)]
    return (head.decode("ascii", "replace") if isinstance(head, bytes) else head) == HEADER


@dataclass(frozen=True)
class Envelope:
    version: str
    cipher: str
    vault_id: str
    body: bytes


def parse_envelope(text: str) -> Envelope:
    lines = text.strip().splitlines()
    header = [p.strip() for p in lines[0].split(";")]
    if len(header) < 3 or header[0] != HEADER:
        raise VaultError("not a vault envelope ($ANSIBLE_VAULT;VERSION;CIPHER[;ID])")
    vault_id = header[3] if len(header) >= 4 else DEFAULT_ID
    body = "".join(line.strip() for line in lines[1:]).encode("ascii", "replace")
    return Envelope(header[1], header[2], vault_id, body)


@functools.lru_cache(maxsize=256)
def _keys(password: bytes, salt: bytes) -> tuple[bytes, bytes, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt,
                         iterations=10000).derive(password)
    return derived[:32], derived[32:64], derived[64:80]


def decrypt_aes256(body: bytes, password: bytes) -> bytes | None:
    """The plaintext, or None when the password is wrong (the HMAC does not match)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, hmac, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        salt_hex, mac_hex, data_hex = unhexlify(body).split(b"\n", 2)
        salt, mac, data = unhexlify(salt_hex), unhexlify(mac_hex), unhexlify(data_hex)
    except (BinasciiError, ValueError):
        raise VaultError("malformed vault data (not the hex layout ansible-vault writes)") \
            from None
    key, mac_key, counter = _keys(password, salt)
    check = hmac.HMAC(mac_key, hashes.SHA256())
    check.update(data)
    try:
        check.verify(mac)
    except InvalidSignature:
        return None
    decryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(decryptor.update(data) + decryptor.finalize()) + \
            unpadder.finalize()
    except ValueError:
        raise VaultError("vault data has invalid padding") from None


@dataclass
class VaultSecrets:
    """The passwords given (label, password) and every plaintext decrypted with them."""

    secrets: list[tuple[str, bytes]] = field(default_factory=list, repr=False)
    plaintexts: set[str] = field(default_factory=set, repr=False)

    def decrypt(self, text: str, file: str | None = None, line: int | None = None) -> str:
        try:
            envelope = parse_envelope(text)
            if envelope.cipher != "AES256":
                raise VaultError(f"vault cipher {envelope.cipher!r} is not supported")
            return self._remember(self._plaintext(envelope))
        except VaultError as e:
            raise VaultError(e.message, file, line) from None

    def _plaintext(self, envelope: Envelope) -> bytes:
        if not self.secrets:
            raise VaultError("vault-encrypted data and no vault password: give "
                             "--vault-password-file, --vault-id or --ask-vault-pass")
        # the secret whose label matches the envelope's vault id first, then every other one
        ordered = sorted(self.secrets, key=lambda s: s[0] != envelope.vault_id)
        for _, password in ordered:
            plain = decrypt_aes256(envelope.body, password)
            if plain is not None:
                return plain
        raise VaultError("decryption failed: no vault password given matches "
                         f"(vault id {envelope.vault_id!r})")

    def _remember(self, plain: bytes) -> str:
        try:
            text = plain.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("decrypted vault data is not UTF-8 text") from None
        self.plaintexts.add(text)
        return text


def split_vault_id(slug: str) -> tuple[str, str]:
    label, sep, source = slug.partition("@")
    return (label, source) if sep else (DEFAULT_ID, slug)


def load_secrets(vault_ids: list[str], password_files: list[str], ask: bool) -> VaultSecrets:
    """ansible-core's CLI.setup_vault_secrets: `--vault-id`s first, then password files
    (under the `default` label), then a prompt when asked."""
    slugs = [*vault_ids, *(f"{DEFAULT_ID}@{f}" for f in password_files)]
    if ask:
        slugs.append(f"{DEFAULT_ID}@prompt")
    vault = VaultSecrets()
    for slug in slugs:
        label, source = split_vault_id(slug)
        password = _prompt(label) if source == "prompt" else read_password_file(source, label)
        vault.secrets.append((label, password))
    return vault


def _prompt(label: str) -> bytes:
    text = "Vault password: " if label == DEFAULT_ID else f"Vault password ({label}): "
    try:
        return getpass.getpass(text).encode("utf-8")
    except (EOFError, OSError):
        raise VaultError("--ask-vault-pass needs a terminal to ask on") from None


def read_password_file(path: str, label: str = DEFAULT_ID) -> bytes:
    """A vault password file, or the output of an executable one."""
    if not os.path.exists(path):
        raise VaultError("the vault password file was not found", path)
    if os.path.isdir(path):
        raise VaultError("the vault password file is a directory", path)
    if os.access(path, os.X_OK):
        password = _run_script(path, label)
    else:
        try:
            with open(path, "rb") as f:
                password = f.read().strip()
        except OSError as e:
            raise VaultError(f"cannot read the vault password file: {e.strerror}", path) \
                from None
    password = password.strip(b"\r\n")
    if not password:
        raise VaultError("the vault password file gives an empty password", path)
    return password


def _run_script(path: str, label: str) -> bytes:
    command = [path]
    if os.path.splitext(os.path.basename(path))[0].endswith("-client"):
        command += ["--vault-id", label]
    try:
        # stderr stays the terminal's, so a script can prompt (as in ansible-core)
        proc = subprocess.run(command, stdout=subprocess.PIPE, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise VaultError(f"cannot run the vault password script ({e}); if it is not a "
                         "script, remove its executable bit", path) from None
    if proc.returncode != 0:
        raise VaultError(f"the vault password script exited with {proc.returncode}", path)
    return proc.stdout
