// The web app stand-in behind the gateway in the proxy tests: echo, upload, download,
// slow and chunked answers, a switchable health endpoint, hit counters and a WebSocket
// echo (handshake written here: Node 20 has no WebSocket server built in).
// Usage: node proxy_upstream.js [NAME]; prints "proxy-upstream listening on HOST:PORT".
'use strict';
const http = require('http');
const crypto = require('crypto');

const name = process.argv[2] || 'upstream';
let healthy = true;
const hits = new Map();

function sendJson(res, status, body) {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {'Content-Type': 'application/json', 'Content-Length': data.length});
  res.end(data);
}

// Reads the whole request body, counting bytes and hashing, without keeping it.
function consume(req, done) {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  req.on('data', (chunk) => { bytes += chunk.length; hash.update(chunk); });
  req.on('end', () => done(bytes, hash.digest('hex')));
}

// Writes `total` bytes of a repeating pattern, respecting back-pressure.
function stream(res, total) {
  const block = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');
  let left = total;
  function more() {
    while (left > 0) {
      const piece = left >= block.length ? block : block.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) { res.once('drain', more); return; }
    }
    res.end();
  }
  more();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const key = url.searchParams.get('key') || url.pathname;
  hits.set(key, (hits.get(key) || 0) + 1);
  // The last path segment picks the behaviour, whatever prefix the route kept.
  const p = '/' + url.pathname.split('/').pop();
  if (p === '/health') {
    if (healthy) sendJson(res, 200, {ok: true}); else sendJson(res, 503, {ok: false});
  } else if (p === '/set-health') {
    healthy = url.searchParams.get('ok') === '1';
    sendJson(res, 200, {healthy});
  } else if (p === '/hits') {
    sendJson(res, 200, {hits: hits.get(url.searchParams.get('of')) || 0});
  } else if (p === '/download') {
    const total = Number(url.searchParams.get('bytes') || 0);
    if (url.searchParams.get('chunked') === '1') res.writeHead(200, {'Content-Type': 'application/octet-stream'});
    else res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': total});
    stream(res, total);
  } else if (p === '/chunked') {
    res.writeHead(200, {'Content-Type': 'text/plain'});
    let i = 0;
    const timer = setInterval(() => {
      res.write(`part${i}\n`);
      if (++i === 5) { clearInterval(timer); res.end(); }
    }, 50);
  } else if (p === '/trickle') {
    // A Content-Length body in uneven pieces with pauses between them, so that a relay
    // sees it arrive partly with the header, partly while it waits: byte i is i % 251.
    const sizes = (url.searchParams.get('pieces') || '').split(',').map(Number);
    const total = sizes.reduce((a, b) => a + b, 0);
    const body = Buffer.alloc(total);
    for (let i = 0; i < total; i++) body[i] = i % 251;
    res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': total});
    let at = 0;
    let i = 0;
    const next = () => {
      res.write(body.subarray(at, at + sizes[i]));
      at += sizes[i];
      if (++i < sizes.length) setTimeout(next, Number(url.searchParams.get('ms') || 30));
      else res.end();
    };
    next();
  } else if (p === '/overlong') {
    // An answer followed by bytes it did not announce, then a whole second answer a
    // little later: whoever reuses this connection would read that as the answer to its
    // own request.
    req.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello\r\n');
    setTimeout(() => req.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nsmuggled!'), 300);
  } else if (p === '/bodiless') {
    // A 204 or 304 whose header states framing anyway: chunked, or a Content-Length.
    // Node writes no body for either status, as the protocol says.
    const framing = url.searchParams.get('framing') === 'chunked'
      ? {'Transfer-Encoding': 'chunked'} : {'Content-Length': '1234'};
    res.writeHead(Number(url.searchParams.get('status')), framing);
    res.end();
  } else if (p === '/late-body-204') {
    // A 204 announcing five body bytes, which follow a little later: read on a reused
    // connection, they would be the next request's answer.
    req.socket.write('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n');
    setTimeout(() => req.socket.write('hello'), 150);
  } else if (p === '/status-099') {
    // Three digits but no status HTTP defines (Node's own API refuses to send it).
    req.socket.write('HTTP/1.1 099 Odd\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  } else if (p === '/slow') {
    setTimeout(() => sendJson(res, 200, {slow: true}), Number(url.searchParams.get('ms') || 1000));
  } else if (p === '/reset') {
    req.socket.destroy();
  } else if (p === '/close-if-reused') {
    // A keep-alive connection the server gave up on just as the next request came.
    req.socket.requestsSeen = (req.socket.requestsSeen || 0) + 1;
    if (req.socket.requestsSeen > 1) req.socket.destroy();
    else sendJson(res, 200, {server: name, fresh: true});
  } else if (p === '/fail-midway') {
    res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': 1000000});
    res.write(Buffer.alloc(1000));
    setTimeout(() => req.socket.destroy(), 50);
  } else {
    consume(req, (bytes, sha256) => sendJson(res, 200, {
      server: name, method: req.method, url: req.url, headers: req.headers,
      rawHeaders: req.rawHeaders, bodyBytes: bytes, sha256,
      chunked: (req.headers['transfer-encoding'] || '') === 'chunked',
    }));
  }
});

// WebSocket echo: handshake by hand, then unmasked echo of each text frame.
server.on('upgrade', (req, socket, head) => {
  if (req.headers.upgrade !== 'websocket') {
    // Only the gateway's WebSocket relay may reach here: any other protocol it let
    // through would be talked to directly by the client.
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  // ?switch=PROTOCOL answers 101 with another protocol than the one asked for.
  const protocol = new URL(req.url, 'http://x').searchParams.get('switch') || 'websocket';
  const key = req.headers['sec-websocket-key'];
  const accept = crypto.createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${protocol}\r\nConnection: Upgrade\r\n` +
               `Sec-WebSocket-Accept: ${accept}\r\nX-Company-Seen: ${req.headers['x-company-code'] || ''}\r\n\r\n`);
  let pending = head;
  socket.on('data', (data) => {
    pending = Buffer.concat([pending, data]);
    while (pending.length >= 6) {
      const opcode = pending[0] & 0x0f;
      let len = pending[1] & 0x7f;
      let offset = 2;
      if (len === 126) { len = pending.readUInt16BE(2); offset = 4; }
      if (pending.length < offset + 4 + len) return;
      const mask = pending.subarray(offset, offset + 4);
      const payload = Buffer.from(pending.subarray(offset + 4, offset + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      pending = pending.subarray(offset + 4 + len);
      if (opcode === 8) { socket.end(); return; }
      const header = payload.length < 126
        ? Buffer.from([0x81, payload.length])
        : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
      socket.write(Buffer.concat([header, payload]));
    }
  });
  socket.on('error', () => {});
});

server.keepAliveTimeout = 30000;
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const a = server.address();
  console.log(`proxy-upstream ${name} listening on ${a.address}:${a.port}`);
});
