#!/usr/bin/env node
// Benchmark (not a test): what one HTTP request costs a client in node, against a loopback
// server that answers at once (a small Python server, keep-alive, a fixed 207 answer), so that
// the figures are the clients' own: a raw `net` socket, node's `http.request` with a keep-alive
// agent, the npm package's transport (`dist/http.js`), and Python's `http.client`. Each after
// `PAUSE_MS` idle (100: as each step of network.mjs starts, when node's HTTP code runs cold) and
// back to back. A PROPFIND with a 600-byte body; median of the rounds after the first 20.
//
//   node npm/scripts/build.mjs     # once
//   node bench/npm/request-cost.mjs [rounds]
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { httpFetch } from '../../npm/dist/http.js';

const rounds = Number(process.argv[2] ?? 80);
const SKIP = 20;
const PAUSE_MS = 100;
const ANSWER = '<?xml version="1.0" encoding="utf-8"?><multistatus xmlns="DAV:"><response><href>/a/</href><propstat><prop><displayname>a</displayname></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>';

// The server, and Python's client as a peer: `time <pause_ms>` answers the milliseconds of one
// request sent after that pause on its kept connection.
const PYTHON = String.raw`
import http.client, socket, sys, threading, time
body = sys.argv[1].encode()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(64)
port = s.getsockname()[1]
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b''
    while True:
        while b'\r\n\r\n' not in buf:
            d = c.recv(65536)
            if not d:
                c.close(); return
            buf += d
        head, buf = buf.split(b'\r\n\r\n', 1)
        n = 0
        for line in head.split(b'\r\n'):
            if line.lower().startswith(b'content-length:'): n = int(line.split(b':')[1])
        while len(buf) < n: buf += c.recv(65536)
        buf = buf[n:]
        c.sendall(b'HTTP/1.1 207 Multi-Status\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
def accept():
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
threading.Thread(target=accept, daemon=True).start()
print(port, flush=True)
client = http.client.HTTPConnection('127.0.0.1', port)
payload = b'x' * 600
for line in sys.stdin:
    time.sleep(float(line.split()[1]) / 1000)
    t0 = time.perf_counter()
    client.request('PROPFIND', '/alice/', body=payload, headers={'Depth': '1', 'Content-Type': 'application/xml'})
    client.getresponse().read()
    print('%.4f' % ((time.perf_counter() - t0) * 1000), flush=True)
`;

const py = spawn('python3', ['-c', PYTHON, ANSWER], { stdio: ['pipe', 'pipe', 'inherit'] });
const waiting = [];
createInterface({ input: py.stdout }).on('line', (l) => waiting.shift()(l));
const ask = (line) => new Promise((resolve) => { waiting.push(resolve); if (line) py.stdin.write(`${line}\n`); });
const port = Number(await ask(null));

const body = Buffer.alloc(600, 'x');
const head = `PROPFIND /alice/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nDepth: 1\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\n\r\n`;
const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
await new Promise((r) => socket.once('connect', r));
let pending = null;
let got = Buffer.alloc(0);
socket.on('data', (d) => {
  got = Buffer.concat([got, d]);
  const end = got.indexOf('\r\n\r\n');
  if (end < 0) return;
  const length = Number(/content-length: *(\d+)/i.exec(got.subarray(0, end).toString())[1]);
  if (got.length < end + 4 + length) return;
  got = got.subarray(end + 4 + length);
  const done = pending;
  pending = null;
  done();
});
const agent = new http.Agent({ keepAlive: true });
const clients = {
  'raw `net` socket': () => new Promise((resolve) => { pending = resolve; socket.write(Buffer.concat([Buffer.from(head), body])); }),
  '`http.request`': () => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/alice/', method: 'PROPFIND', agent, headers: { depth: '1', 'content-type': 'application/xml', 'content-length': body.length } }, (res) => {
      res.on('data', () => {});
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  }),
  '`dist/http.js`': async () => {
    const r = await httpFetch(`http://127.0.0.1:${port}/alice/`, { method: 'PROPFIND', redirect: 'manual', headers: [['depth', '1'], ['content-type', 'application/xml']], body });
    await r.arrayBuffer();
  },
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const [label, pause] of [['idle', PAUSE_MS], ['back to back', 0]]) {
  const t = Object.fromEntries([...Object.keys(clients), "Python's `http.client`"].map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, send] of Object.entries(clients)) {
      await (pause ? new Promise((r) => setTimeout(r, pause)) : new Promise((r) => setImmediate(r)));
      const t0 = performance.now();
      await send();
      if (i >= SKIP) t[name].push(performance.now() - t0);
    }
    const ms = Number(await ask(`time ${pause}`));
    if (i >= SKIP) t["Python's `http.client`"].push(ms);
  }
  results[label] = t;
}
socket.destroy();
agent.destroy();
py.stdin.end();
console.log(`\nOne PROPFIND on a kept connection to a loopback server, median of ${rounds - SKIP}, ms (node ${process.version}):\n`);
console.log(`| client | after ${PAUSE_MS} ms idle | back to back |\n|---|---:|---:|`);
for (const name of Object.keys(results.idle)) {
  console.log(`| ${name} | ${median(results.idle[name]).toFixed(2)} | ${median(results['back to back'][name]).toFixed(2)} |`);
}
