"""200 MB through the gateway each way, streamed: the gateway's peak resident memory
(VmHWM) stays far below the body size. Downloads come from nginx serving a file and
from the Node upstream (chunked); the upload goes to the Node upstream, which hashes it."""

import hashlib
import http.client
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import proxy_support  # noqa: E402
from harness import expect  # noqa: E402

SIZE = 200 * 1024 * 1024
RSS_LIMIT_KIB = 64 * 1024

root = tempfile.mkdtemp(prefix="tg-big-")
big = os.path.join(root, "big.bin")
block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
with open(big, "wb") as f:
    for _ in range(SIZE // len(block)):
        f.write(block)
file_sha = hashlib.sha256()
for _ in range(SIZE // len(block)):
    file_sha.update(block)

nginx = proxy_support.Nginx(root)
node = proxy_support.start_node_upstream("big")
gw = harness.start_gateway(proxy_support.gateway_config(f"""
  - name: files
    servers: [http://127.0.0.1:{nginx.port}]
  - name: app
    servers: [http://127.0.0.1:{node.port}]
""", """
  - {methods: [GET], path: /files/*, kind: proxy, upstream: files, strip_prefix: /files, tenant_required: false}
  - {methods: ["*"], path: /app/*, kind: proxy, upstream: app, tenant_required: false}
"""), env=proxy_support.GATEWAY_ENV)


def download(path):
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=60)
    conn.request("GET", path)
    res = conn.getresponse()
    digest = hashlib.sha256()
    total = 0
    while True:
        piece = res.read(1024 * 1024)
        if not piece:
            break
        total += len(piece)
        digest.update(piece)
    conn.close()
    return res, total, digest.hexdigest()


def check_rss(what):
    hwm = proxy_support.vm_hwm_kib(gw.proc.pid)
    print(f"  gateway VmHWM after {what}: {hwm} KiB")
    expect(hwm < RSS_LIMIT_KIB, f"VmHWM {hwm} KiB after {what}")


def test_download_200mb_from_nginx():
    res, total, digest = download("/files/big.bin")
    expect(res.status == 200 and total == SIZE, f"{res.status} {total}")
    expect(digest == file_sha.hexdigest(), "content differs")
    check_rss("200 MB download")


def test_download_200mb_chunked():
    res, total, _ = download(f"/app/download?bytes={SIZE}&chunked=1")
    expect(res.status == 200 and total == SIZE, f"{res.status} {total}")
    expect(res.getheader("Transfer-Encoding") == "chunked", res.getheaders())
    check_rss("200 MB chunked download")


def test_upload_200mb():
    def body():
        for _ in range(SIZE // len(block)):
            yield block
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=60)
    conn.request("PUT", "/app/upload", body=body(), headers={"Content-Length": str(SIZE)})
    res = conn.getresponse()
    seen = json.loads(res.read())
    conn.close()
    expect(res.status == 200, res.status)
    expect(seen["bodyBytes"] == SIZE and seen["sha256"] == file_sha.hexdigest(), seen)
    check_rss("200 MB upload")


def test_upload_200mb_chunked():
    def body():
        for _ in range(SIZE // len(block)):
            yield block
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=60)
    conn.request("POST", "/app/upload", body=body(), encode_chunked=True)
    res = conn.getresponse()
    seen = json.loads(res.read())
    conn.close()
    expect(res.status == 200 and seen["chunked"], (res.status, seen.get("chunked")))
    expect(seen["bodyBytes"] == SIZE and seen["sha256"] == file_sha.hexdigest(), seen)
    check_rss("200 MB chunked upload")


try:
    harness.run_tests(dict(globals()))
finally:
    gw.stop()
    node.stop()
    nginx.stop()
    os.unlink(big)
    os.rmdir(root)
