'use strict';
// node-seed as a Node team deploys it on a machine with two cores: node's `cluster` module,
// one primary that only forks and watches, NODE_WORKERS worker processes (default 2) that
// each run ../node-seed/server.js unchanged (its own registry cache and tenant pools) and
// share the listening port (the primary accepts and hands connections out round-robin,
// Node's default on Linux). Same environment as node-seed.
const cluster = require('cluster');
const path = require('path');

if (cluster.isPrimary) {
  const workers = Number(process.env.NODE_WORKERS || 2);
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    console.error(`node-cluster: worker ${worker.process.pid} exited (${code}), starting another`);
    cluster.fork();
  });
  const shutdown = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2500).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} else {
  require(path.join(__dirname, '..', 'node-seed', 'server.js'));
}
