"""AWS's own endpoint names, answered by the local moto server: an HTTPS proxy on
127.0.0.1 that takes botocore's CONNECT to ``cognito-idp.us-west-2.amazonaws.com:443``,
ends TLS there with a certificate of a test authority (``AWS_CA_BUNDLE``), and passes
each request on to moto with its Host header unchanged. moto keys its backends by the
region in that host name, so a client the tool builds for the wrong region reaches the
wrong region's backend, as it would reach the wrong region at AWS; with ``endpoint_url``
every region shares one address and that mistake cannot show.

Only the host names given are served (others get no certificate that verifies), and
every CONNECT is recorded: the test sees which regional endpoints the tool called."""

from __future__ import annotations

import datetime
import http.client
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}


def _certificates(directory: Path, hosts: list[str]) -> tuple[Path, Path]:
    """A test authority (its certificate: the CA bundle to trust) and a certificate for
    ``hosts`` signed by it, with its key (one PEM file for the proxy)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    lifetime = datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cognito-credproc test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    bundle = directory / "test-ca.pem"
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    served = directory / "endpoints.pem"
    served.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + leaf.public_bytes(serialization.Encoding.PEM)
    )
    return bundle, served


@dataclass
class Proxy:
    url: str  # for HTTPS_PROXY
    ca_bundle: str  # for AWS_CA_BUNDLE
    connected: list[str] = field(default_factory=list)  # host names, as CONNECT named them

    def environment(self) -> dict[str, str]:
        return {"HTTPS_PROXY": self.url, "AWS_CA_BUNDLE": self.ca_bundle}


class _Forward(BaseHTTPRequestHandler):
    """The requests inside one tunnel, passed on to moto one at a time."""

    protocol_version = "HTTP/1.1"
    backend: tuple[str, int] = ("127.0.0.1", 0)

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(*self.backend, timeout=30)
        try:
            upstream.request(self.command, self.path, body, headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response_only(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Tunnel(socketserver.StreamRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        request = self.rfile.readline(65537).decode("latin-1").split()
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass
        if len(request) != 3 or request[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.proxy.connected.append(request[1].rsplit(":", 1)[0])
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        try:
            tls = self.server.context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that does not trust the test authority hangs up here
        with tls:
            handler = type("Forward", (_Forward,), {"backend": self.server.backend})
            handler(tls, self.client_address, self.server)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy: Proxy, context: ssl.SSLContext, backend: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.proxy = proxy
        self.context = context
        self.backend = backend


@contextmanager
def aws_endpoints(moto_endpoint: str, hosts: list[str], directory: Path) -> Iterator[Proxy]:
    """The proxy for ``hosts`` (e.g. ``cognito-idp.us-west-2.amazonaws.com``) in front of
    ``moto_endpoint``, until the block ends."""
    bundle, served = _certificates(directory, hosts)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(served)
    host, port = moto_endpoint.rsplit("//", 1)[1].rsplit(":", 1)
    proxy = Proxy(url="", ca_bundle=str(bundle))
    server = _ProxyServer(proxy, context, (host, int(port)))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["Proxy", "aws_endpoints"]
