"""Server memory during a large upload, against a small upload served the same way.

Starts ``python -m webapp`` (as ``make run`` does, no worker), logs in as a demo trainee
and uploads, over loopback, first a 1 MB file (the baseline) and then a 200 MB file.
The server's peak resident memory (VmHWM) is read after each.  Uploads are streamed to
disk in 1 MiB pieces, so the 200 MB upload should raise the peak by far less than its
size.  The file is a WAV of a quiet tone, longer than the recording cap, so after being
stored and decoded up to the cap it is refused with 413; memory is what is measured.

    .venv/bin/python benchmarks/upload_memory.py [--megabytes 200]
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PASSWORD = "practice-makes-better"
SLUG = "school-referral-late-and-hungry"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def wav_header(data_bytes: int, rate: int = 16000) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def tone(total: int) -> Iterator[bytes]:
    block = struct.pack("<" + "h" * 8000, *([800, -800] * 4000))  # 16 kB of a quiet square wave
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def log_in(base: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode(
        {"email": "trainee1@example.org", "password": PASSWORD, "csrf_token": token}
    )
    opener.open(base + "/login", form.encode())
    start = opener.open(f"{base}/practice/vignettes/{SLUG}").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', start).group(1)  # type: ignore[union-attr]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return opener, f"{token}|{cookie}"


def upload(port: int, credentials: str, megabytes: float) -> int:
    token, cookie = credentials.split("|", 1)
    data_bytes = int(megabytes * 1024 * 1024)
    boundary = "----simclient-benchmark"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="actor_id"\r\n\r\n\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="actor_name"\r\n\r\nBench\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + wav_header(data_bytes)
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", f"/practice/vignettes/{SLUG}/upload")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + data_bytes + len(tail)))
    connection.putheader("Cookie", cookie)
    connection.putheader("Accept", "application/json")
    connection.endheaders()
    connection.send(head)
    for piece in tone(data_bytes):
        connection.send(piece)
    connection.send(tail)
    status = connection.getresponse().status
    connection.close()
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        env = {
            **os.environ,
            "DATA_DIR": data_dir,
            "SECRET_KEY": "bench",
            "PORT": str(port),
            "EMBEDDED_WORKER": "0",
            "MAX_UPLOAD_MB": "1000",
            "LOGIN_RATE_LIMIT": "100 per minute",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "webapp"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(240):
                try:
                    urllib.request.urlopen(base + "/login", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            _, credentials = log_in(base)
            small = upload(port, credentials, 1)
            baseline = peak_rss_mb(server.pid)
            big = upload(port, credentials, args.megabytes)
            peak = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    growth = peak - baseline
    print(f"baseline: 1 MB upload -> HTTP {small}, server peak RSS {baseline:.0f} MB")
    print(f"large:    {args.megabytes:.0f} MB upload -> HTTP {big}, server peak RSS {peak:.0f} MB")
    print(f"peak grew by {growth:.0f} MB = {growth / args.megabytes:.3f} x the upload size")
    print(f"ratio large/baseline peak RSS: {peak / baseline:.2f}")


if __name__ == "__main__":
    main()
