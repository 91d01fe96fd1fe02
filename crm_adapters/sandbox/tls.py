"""A throwaway certificate authority and a server certificate for 127.0.0.1 / localhost, as PEM files.

simple-salesforce always talks `https://` to its instance, so the sandbox's Salesforce side needs TLS.
Clients trust `ca.pem`: `session.verify = ca_file` plus `session.trust_env = False` (requests lets a
REQUESTS_CA_BUNDLE environment variable override `session.verify`), or export
`REQUESTS_CA_BUNDLE=ca-bundle.pem` (the sandbox CA appended to certifi's public CAs, so real hosts still
verify). The files are reused when the directory already holds them, so that export survives restarts.
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import certifi
import trustme

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class SandboxCertificate:
    """Where the CA certificate (to trust) and the server certificate chain and key (to serve) live."""

    directory: Path

    @property
    def ca_file(self) -> str:
        return str(self.directory / "ca.pem")

    @property
    def ca_bundle_file(self) -> str:
        """certifi's public CAs plus the sandbox CA: one REQUESTS_CA_BUNDLE for the sandbox and real hosts."""
        return str(self.directory / "ca-bundle.pem")

    @property
    def cert_file(self) -> str:
        return str(self.directory / "server-chain.pem")

    @property
    def key_file(self) -> str:
        return str(self.directory / "server-key.pem")

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context for werkzeug's `make_server(ssl_context=...)`."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def create_certificate(directory: str | Path | None = None, *, reuse: bool = True) -> SandboxCertificate:
    """Write (or, with `reuse`, keep existing) CA and server files into `directory` (a new temp dir if None)."""
    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="healthloop-sandbox-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    certificate = SandboxCertificate(folder)
    files = (certificate.ca_file, certificate.ca_bundle_file, certificate.cert_file, certificate.key_file)
    if reuse and all(Path(name).is_file() for name in files):
        try:
            certificate.server_context()
            return certificate
        except (ssl.SSLError, OSError):
            pass  # unreadable or mismatched: issue fresh ones below
    authority = trustme.CA(organization_name="healthloop sandbox")
    leaf = authority.issue_cert(*SERVER_NAMES, organization_name="healthloop sandbox")
    authority.cert_pem.write_to_path(certificate.ca_file)
    leaf.private_key_pem.write_to_path(certificate.key_file)
    Path(certificate.cert_file).write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    Path(certificate.key_file).chmod(0o600)
    public = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n"
    Path(certificate.ca_bundle_file).write_bytes(public + authority.cert_pem.bytes())
    return certificate
