#!/usr/bin/env python3
"""Load on `maskdetect serve`: N requests to POST /api/detect from C concurrent clients on the
loopback interface, with one photo. Prints requests/s, latency percentiles, errors and the
server's peak memory (VmHWM). Standard library only; any python3.

usage: bench/serve_load.py [--binary build/maskdetect] [--photo PATH] [--requests 200]
                           [--clients 8] [-- extra serve options, e.g. --detector yunet]
"""
import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def peak_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build", "maskdetect"))
    ap.add_argument("--photo", default=os.path.join(HERE, "..", "..", "shared", "fixtures", "faces",
                                                    "obama-240p.jpg"))
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("serve_args", nargs="*")
    a = ap.parse_args()
    body = open(a.photo, "rb").read()
    server = subprocess.Popen([a.binary, "serve", "--port", "0", *a.serve_args],
                              stderr=subprocess.PIPE, text=True)
    port = None
    deadline = time.time() + 60
    while port is None and time.time() < deadline:
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", server.stderr.readline())
        port = int(m.group(1)) if m else None
    if port is None:
        server.kill()
        sys.exit("serve did not start")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/api/detect", body)
        conn.getresponse().read()  # warm-up: engines load their networks on first use
        warm = peak_mib(server.pid)
        latencies, errors, lock = [], [], threading.Lock()
        per_client = a.requests // a.clients

        def client():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for _ in range(per_client):
                t = time.perf_counter()
                c.request("POST", "/api/detect", body, {"Content-Type": "image/jpeg"})
                r = c.getresponse()
                r.read()
                with lock:
                    (latencies if r.status == 200 else errors).append(time.perf_counter() - t)

        threads = [threading.Thread(target=client) for _ in range(a.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        lat = sorted(latencies)
        print(f"{len(lat)} ok, {len(errors)} errors, {a.clients} clients: {len(lat) / wall:.1f} "
              f"requests/s; latency median {1000 * statistics.median(lat):.0f} ms, p95 "
              f"{1000 * lat[int(0.95 * (len(lat) - 1))]:.0f} ms; server peak {peak_mib(server.pid):.0f} "
              f"MiB (after warm-up {warm:.0f} MiB)")
    finally:
        server.send_signal(2)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
