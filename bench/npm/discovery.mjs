#!/usr/bin/env node
// Benchmark (not a test): where a discovery's time goes, the npm package against the native
// client on live servers. Each round, 100 ms apart (as each step of network.mjs starts): the
// native client's discovery (the network bench in its serving mode), the npm package's, and the
// npm package's own requests (captured once) sent again by node through `dist/http.js` and by
// Python's `http.client`. The replays show what sending the same requests costs each runtime;
// the npm discovery minus the node replay is the module and its glue.
//
//   node npm/scripts/build.mjs     # once
//   python3 tests/servers/servers.py --only radicale,xandikos run -- node bench/npm/discovery.mjs [rounds]
//
// Discovery asks CalDAV only, from the server root, as network.mjs does; the native client
// checks that it finds the `bench` calendar, which this script creates when it is missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DavClient } from '../../npm/dist/node.js';
import { closeIdleConnections, httpFetch } from '../../npm/dist/http.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const rounds = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const PAUSE_MS = 100;

const targets = [];
if (process.env.DAVKIT_RADICALE_URL) {
  const user = process.env.DAVKIT_RADICALE_USER ?? 'alice';
  targets.push({
    name: 'Radicale', url: process.env.DAVKIT_RADICALE_URL, home: `/${user}/`,
    auth: { basic: { username: user, password: process.env.DAVKIT_RADICALE_PASSWORD ?? '' } },
  });
}
if (process.env.DAVKIT_XANDIKOS_URL) {
  targets.push({ name: 'Xandikos', url: process.env.DAVKIT_XANDIKOS_URL, home: '/user/calendars/' });
}
if (!targets.length) {
  console.error('run under tests/servers/servers.py (no DAVKIT_RADICALE_URL or DAVKIT_XANDIKOS_URL)');
  process.exit(2);
}

// Python's client sends the captured requests on one connection per origin while the server
// keeps it (Radicale closes every connection: HTTP/1.0), one line of timing per `go`.
const PYTHON_REPLAY = String.raw`
import http.client, json, sys, time
from urllib.parse import urlsplit
reqs = json.load(open(sys.argv[1]))
for line in sys.stdin:
    t0 = time.perf_counter(); conns = {}
    for r in reqs:
        u = urlsplit(r['url'])
        c = conns.get(u.netloc) or http.client.HTTPConnection(u.hostname, u.port)
        conns[u.netloc] = c
        path = u.path + ('?' + u.query if u.query else '')
        headers = dict(r['headers']); headers['Accept-Encoding'] = 'gzip'
        c.request(r['method'], path, body=r['body'].encode('latin1'), headers=headers)
        resp = c.getresponse(); resp.read()
        if resp.version == 10 or (resp.getheader('connection') or '').lower() == 'close':
            c.close(); conns.pop(u.netloc)
    ms = (time.perf_counter() - t0) * 1000
    for c in conns.values(): c.close()
    print('%.3f' % ms, flush=True)
`;

/** A child process answering one line per line it is sent. */
function lineServer(command, args, env) {
  const child = spawn(command, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()?.(l));
  return {
    ask: (line) => new Promise((resolve) => { waiting.push(resolve); child.stdin.write(`${line}\n`); }),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.stdin.end();
    }),
  };
}

const pause = () => new Promise((r) => setTimeout(r, PAUSE_MS));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const work = mkdtempSync(join(tmpdir(), 'davkit-discovery-'));
const native = lineServer('cargo', ['bench', '-q', '-p', 'davkit-bench', '--bench', 'network'], { DAVKIT_BENCH_SERVE: '1' });
const rows = [];
try {
  for (const t of targets) {
    const calendar = new URL(`${t.home}bench/`, t.url).href;
    const setup = new DavClient({ serverUrl: t.url, auth: t.auth });
    if (!(await setup.getCollection(calendar).catch(() => null))) {
      await setup.createCalendar(new URL(t.home, t.url).href, 'bench', { displayName: 'Bench', components: ['VEVENT'] });
    }
    // The npm package's requests, captured once as it sends them.
    const captured = [];
    const capture = (url, init) => {
      captured.push({ url, method: init.method, headers: [...(init.headers ?? [])], body: init.body ? Buffer.from(init.body).toString('latin1') : '' });
      return httpFetch(url, init);
    };
    await new DavClient({ serverUrl: t.url, auth: t.auth, fetch: capture }).discover({ service: 'caldav' });
    const file = join(work, `${t.name}.json`);
    writeFileSync(file, JSON.stringify(captured));
    const python = lineServer('python3', ['-c', PYTHON_REPLAY, file]);
    const nodeReplay = async () => {
      for (const r of captured) {
        const res = await httpFetch(r.url, { method: r.method, redirect: 'manual', headers: r.headers, body: Buffer.from(r.body, 'latin1') });
        await res.arrayBuffer();
      }
    };
    const s = { native: [], python: [], node: [], npm: [] };
    for (let i = 0; i < WARMUP + rounds; i++) {
      const keep = i >= WARMUP;
      await pause();
      await native.ask(`client ${t.name} ${t.url}`);
      const answer = await native.ask('step 0');
      if (!answer.startsWith('ok ')) throw new Error(`native: ${answer}`);
      await pause();
      closeIdleConnections();
      const client = new DavClient({ serverUrl: t.url, auth: t.auth });
      let t0 = performance.now();
      await client.discover({ service: 'caldav' });
      const npm = performance.now() - t0;
      await pause();
      closeIdleConnections();
      t0 = performance.now();
      await nodeReplay();
      const node = performance.now() - t0;
      await pause();
      const py = Number(await python.ask('go'));
      if (keep) {
        s.native.push(Number(answer.split(' ')[1]));
        s.npm.push(npm);
        s.node.push(node);
        s.python.push(py);
      }
    }
    await python.stop();
    rows.push([t.name, captured.length, ...['native', 'python', 'node', 'npm'].map((k) => median(s[k]).toFixed(2))]);
  }
} finally {
  await native.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log(`\nDiscovery (CalDAV, from the root), median of ${rounds} interleaved rounds ${PAUSE_MS} ms apart, ms (node ${process.version}):\n`);
console.log('| server | requests | native client | Python replay | node replay (`http.js`) | npm discovery |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
