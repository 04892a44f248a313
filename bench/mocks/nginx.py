"""nginx as the reference server: a generated configuration in the temporary directory
(`ssl_verify_client optional_no_ca`, `return 200` with a fixed body), no nginx service."""

from __future__ import annotations

import shutil
import subprocess

from bench.mocks.dataset import Setup
from bench.mocks.procstat import children_of
from bench.mocks.servers import Server, free_port, wait_ready

NGINX = "nginx"


NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_verify_client optional_no_ca;
        location / {{
            default_type application/json;
            return 200 '{body}';
        }}
    }}
}}
"""


def nginx_path() -> str | None:
    """nginx on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def start_nginx(setup: Setup, body: bytes, workers: str) -> Server:
    exe = nginx_path()
    if not exe:
        raise SystemExit("nginx is not installed (apt-get install nginx), or use --skip-nginx")
    port = free_port()
    prefix = setup.tmp / "nginx"
    prefix.mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            workers=workers,
            prefix=prefix,
            port=port,
            cert=setup.server_cert,
            key=setup.server_key,
            body=body.decode(),
        )
    )
    log = prefix / "stderr.log"
    proc = subprocess.Popen(  # noqa: S603 - nginx with our generated configuration
        [exe, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(NGINX, port, proc, prefix / "error.log", False, lambda: children_of(proc.pid))
    wait_ready(server, setup)
    return server


def nginx_version() -> str:
    exe = nginx_path()
    if not exe:
        return "nginx not installed"
    out = subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    return (out.stderr or out.stdout).strip().replace("nginx version: ", "")
