// The upstream of the framing differential test: Node's own HTTP parser (llhttp), a
// parser independent of Beast's, records every request it reads on every connection:
// method, target, the body's bytes and the fields it saw. GET /__log on its own port
// (not through the gateway) returns the record and clears it.
// Usage: node framing_upstream.js; prints "framing-upstream listening on HOST:PORT".
'use strict';
const http = require('http');

let seen = [];

const server = http.createServer((req, res) => {
  if (req.url === '/__log') {
    const body = Buffer.from(JSON.stringify(seen));
    seen = [];
    res.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': body.length});
    res.end(body);
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    seen.push({method: req.method, url: req.url, body: Buffer.concat(chunks).toString('base64'),
               rawHeaders: req.rawHeaders, connection: req.socket.remotePort});
    res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': 2});
    res.end('ok');
  });
});
server.on('clientError', (err, socket) => {
  seen.push({error: String(err.code || err.message)});
  socket.destroy();
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  const {address, port} = server.address();
  console.log(`framing-upstream listening on ${address}:${port}`);
});
