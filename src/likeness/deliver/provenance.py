"""C2PA Content Credentials signed with a key made on the user's own machine.

``likeness keys init`` makes a small private PKI under ``$LIKENESS_HOME/keys``: a
self-made CA and a leaf certificate issued by it. C2PA validators refuse a bare
self-signed certificate, and they require on the signing certificate a critical
KeyUsage with digitalSignature, an ExtendedKeyUsage with emailProtection or
documentSigning (never anyExtendedKeyUsage), CA:false, and key identifiers; the leaf
below has exactly that. Keys are ES256 (ECDSA P-256). Signing happens offline (no
timestamp authority): the leaf is therefore valid for ten years, since a manifest
signed without a timestamp no longer validates once its certificate has expired.

Validation states (c2pa-rs): "Invalid" (tampered or broken), "Valid" (intact,
signed by a certificate nobody vouches for), "Trusted" (intact and chains to a
trust anchor). Reading with this machine's CA as the anchor gives "Trusted" for
our own files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import atomic_write
from ..errors import InputError, ModelMissingError
from .metadata import IPTC_DST, settings_json, source_type_code

CA_CERT, CA_KEY = "ca.pem", "ca.key"
SIGNER_CERT, SIGNER_KEY = "signer.pem", "signer.key"  # signer.pem = leaf + CA chain
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"  # id-kp-documentSigning (RFC 9336)
SETTINGS_ASSERTION = "app.likeness.settings"

_EDIT_DESCRIPTION = {
    "algorithmicallyEnhanced": "Studio headshot from the person's own photo: framed, cut out, "
    "backdrop, relit, retouched and graded by Likeness.",
    "compositeWithTrainedAlgorithmicMedia": "Attire and backdrop painted by an image model "
    "around the person's own face and hair.",
}


class SigningError(ModelMissingError):
    """Content Credentials cannot be signed: c2pa-python or the key is missing or
    broken. A setup problem like a missing model (CLI exit 5); the hint names the fix."""

    code = "signing_failed"


class KeysMissingError(SigningError):
    """Signing was asked for but no signing key exists yet (the hint names the fix)."""

    code = "keys_missing"


class KeysExistError(InputError):
    code = "keys_exist"


def keys_home() -> Path:
    """``$LIKENESS_HOME/keys`` (default ``~/.likeness/keys``)."""
    from ..home import home

    return home() / "keys"


@dataclass(frozen=True)
class KeyInfo:
    """What ``likeness keys show`` prints about the local signing identity."""

    folder: Path
    subject: str
    issuer: str
    not_before: str
    not_after: str
    algorithm: str
    fingerprint_sha256: str  # of the leaf certificate (DER)
    ca_fingerprint_sha256: str


def init_keys(keys_dir: Path | None = None, *, force: bool = False, name: str = "Likeness user") -> KeyInfo:
    """Make a local CA and a C2PA signing certificate issued by it (ES256)."""
    _require_cryptography()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    folder = Path(keys_dir) if keys_dir else keys_home()
    if (folder / SIGNER_KEY).exists() and not force:
        raise KeysExistError(
            f"Signing keys already exist in {folder}.",
            hint="Use `likeness keys init --force` to replace them (files signed before stay intact "
            "but will read as 'Valid' instead of 'Trusted' here).",
            folder=str(folder),
        )
    if not name.strip():
        raise InputError("The key name is empty.", hint="Give a name such as your studio's or leave the default.")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, name.strip()[:64])
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Likeness local CA"), org])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Likeness local signer"), org])
    no_usage = dict.fromkeys(
        "digital_signature content_commitment key_encipherment data_encipherment key_agreement "
        "key_cert_sign crl_sign encipher_only decipher_only".split(),
        False,
    )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # tolerate a clock a little behind
        .not_valid_after(now + dt.timedelta(days=20 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(**{**no_usage, "key_cert_sign": True, "crl_sign": True}), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=10 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**{**no_usage, "digital_signature": True}), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ObjectIdentifier(DOCUMENT_SIGNING)]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def pem_key(k: Any) -> bytes:
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    if not folder.exists():  # a folder we make is private; an existing one is left as it is
        folder.mkdir(parents=True, mode=0o700)
    # Private keys are readable by the owner only; the signer key goes last so a
    # crash half-way leaves "no keys" rather than a key without its certificate.
    atomic_write(folder / CA_KEY, pem_key(ca_key), mode=0o600)
    atomic_write(folder / CA_CERT, ca_pem, mode=0o644)
    atomic_write(folder / SIGNER_CERT, leaf.public_bytes(serialization.Encoding.PEM) + ca_pem, mode=0o644)
    atomic_write(folder / SIGNER_KEY, pem_key(key), mode=0o600)
    return key_info(folder)


def key_info(keys_dir: Path | None = None) -> KeyInfo:
    """Describe the local signing certificate; :class:`KeysMissingError` if there is none."""
    from cryptography import x509

    folder = Path(keys_dir) if keys_dir else keys_home()
    chain, _ = _load_keys(folder)
    _require_cryptography()
    certs = x509.load_pem_x509_certificates(chain)
    leaf, ca = certs[0], certs[-1]
    return KeyInfo(
        folder=folder,
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        not_before=leaf.not_valid_before_utc.isoformat(),
        not_after=leaf.not_valid_after_utc.isoformat(),
        algorithm="ES256 (ECDSA P-256, SHA-256)",
        fingerprint_sha256=hashlib.sha256(leaf.public_bytes(_der())).hexdigest(),
        ca_fingerprint_sha256=hashlib.sha256(ca.public_bytes(_der())).hexdigest(),
    )


def _require_cryptography() -> None:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise SigningError(
            "Making or reading signing keys needs the cryptography package, which is not installed.",
            hint="Install it with `pip install cryptography` (c2pa-python brings it along).",
        ) from None


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def _load_keys(folder: Path) -> tuple[bytes, bytes]:
    cert, key = folder / SIGNER_CERT, folder / SIGNER_KEY
    if not (cert.is_file() and key.is_file()):
        raise KeysMissingError(
            f"No signing key in {folder}: Content Credentials (C2PA) cannot be signed.",
            hint="Run `likeness keys init` once to make a local signing key, or export without signing.",
            folder=str(folder),
        )
    return cert.read_bytes(), key.read_bytes()


def _c2pa() -> Any:
    try:
        import c2pa
    except ImportError:
        raise SigningError(
            "Signing Content Credentials needs the c2pa-python package, which is not installed.",
            hint="Install it with `pip install c2pa-python`, or export without signing.",
        ) from None
    return c2pa


def manifest_definition(*, source_type: str, title: str, mime: str, settings: Any = None) -> dict[str, Any]:
    """The manifest we sign: who made it, how (actions + source type) and with what settings."""
    code = source_type_code(source_type)
    agent = {"name": "Likeness", "version": __version__}
    actions: list[dict[str, Any]] = [
        {"action": "c2pa.created", "digitalSourceType": IPTC_DST + code, "softwareAgent": agent}
    ]
    if code in _EDIT_DESCRIPTION:
        actions.append(
            {
                "action": "c2pa.edited",
                "digitalSourceType": IPTC_DST + code,
                "softwareAgent": agent,
                "description": _EDIT_DESCRIPTION[code],
            }
        )
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": SETTINGS_ASSERTION, "data": {"settings": json.loads(settings_json(settings))}},
        ],
    }


def sign_bytes(data: bytes, *, mime: str, manifest: dict[str, Any], keys_dir: Path | None = None) -> bytes:
    """Embed a signed C2PA manifest into encoded image bytes (sign LAST: any later
    change to the file invalidates it)."""
    chain, key = _load_keys(Path(keys_dir) if keys_dir else keys_home())
    c2pa = _c2pa()
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(alg=c2pa.C2paSigningAlg.ES256, sign_cert=chain, private_key=key, ta_url=None)
        )
        # No thumbnail: the asset is the picture (and a thumbnail costs ~0.3 s and
        # doubles the file on detailed images).
        settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        with signer, c2pa.Context(settings=settings) as ctx, c2pa.Builder(manifest, ctx) as builder:
            dest = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), dest)
        return dest.getvalue()
    except c2pa.C2paError as exc:
        raise SigningError(
            f"The Content Credentials could not be signed ({exc}).",
            hint="The signing key may be damaged: run `likeness keys init --force`, or export without signing.",
        ) from None


def read_c2pa(data: bytes, *, mime: str, keys_dir: Path | None = None) -> dict[str, Any] | None:
    """The active manifest's essentials and its validation state; None without one.

    This machine's CA (when present) is the trust anchor, so our own files read as
    "Trusted". Nothing is fetched (no OCSP, no remote manifests).
    """
    try:
        c2pa = _c2pa()
    except SigningError:
        if b"c2pa" not in data:  # JUMBF label of every manifest store
            return None
        return {"present": True, "validation_state": None, "error": "c2pa-python is not installed"}
    folder = Path(keys_dir) if keys_dir else keys_home()
    verify: dict[str, Any] = {"ocsp_fetch": False, "remote_manifest_fetch": False}
    conf: dict[str, Any] = {"verify": verify}
    if (folder / CA_CERT).is_file():
        conf["trust"] = {"trust_anchors": (folder / CA_CERT).read_text()}
        verify["verify_trust"] = True
    try:
        with c2pa.Context(settings=c2pa.Settings.from_dict(conf)) as ctx:
            reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, ctx)
            if reader is None:
                return None
            with reader:
                state = reader.get_validation_state()
                results = reader.get_validation_results() or {}
                manifest = reader.get_active_manifest() or {}
    except c2pa.C2paError as exc:
        return {"present": True, "validation_state": "Invalid", "error": str(exc)}
    actions: list[dict[str, Any]] = []
    settings = None
    for a in manifest.get("assertions", []):
        if a.get("label", "").startswith("c2pa.actions"):
            actions += a.get("data", {}).get("actions", [])
        elif a.get("label") == SETTINGS_ASSERTION:
            settings = a.get("data", {}).get("settings")
    failures = [f.get("code") for f in (results.get("activeManifest") or {}).get("failure", [])]
    return {
        "present": True,
        "validation_state": state,
        "trusted": state == "Trusted",
        "failures": failures,
        "actions": [a.get("action") for a in actions],
        "digital_source_types": sorted({a["digitalSourceType"] for a in actions if a.get("digitalSourceType")}),
        "signer": manifest.get("signature_info", {}),
        "claim_generator": [g.get("name") for g in manifest.get("claim_generator_info", [])],
        "settings": settings,
    }
