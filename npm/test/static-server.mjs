// A tiny static file server on 127.0.0.1 (a free port) for the browser tests.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { npmDir } from './helpers.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png' };

/** Serves `root`, only below the `allowed` URL prefixes (`options.gzip`: compressed). Resolves to { url, close }. */
export function serveStatic(root, allowed = ['/'], options = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!allowed.some((p) => path.startsWith(p)) || path.includes('..')) {
      res.writeHead(404).end('not found');
      return;
    }
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
      // `gzip`: as a web server would send it to a browser that accepts it (gzip -9).
      if (options.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        res.writeHead(200, { ...headers, 'content-encoding': 'gzip' });
        res.end(gzipSync(body, { level: 9 }));
        return;
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/**
 * Serves `html` as /index.html from a scratch root beside the built package, at the path the
 * pages' import maps name (/node_modules/davkit/dist/). Resolves to { url, close }; `close`
 * also removes the root.
 */
export async function servePage(html) {
  const root = mkdtempSync(join(tmpdir(), 'davkit-page-'));
  mkdirSync(join(root, 'node_modules', 'davkit'), { recursive: true });
  cpSync(join(npmDir, 'dist'), join(root, 'node_modules', 'davkit', 'dist'), { recursive: true });
  writeFileSync(join(root, 'index.html'), html);
  const site = await serveStatic(root, ['/index.html', '/node_modules/davkit/dist/']);
  return { url: site.url, close: async () => { await site.close(); rmSync(root, { recursive: true, force: true }); } };
}

/** Launches Debian's chromium through playwright-core (never a downloaded browser). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.DAVKIT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
