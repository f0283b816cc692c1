// Dev tool: a loopback proxy in front of a tskube server that saves every protobuf request
// body kubectl sends (as <out>/<name>.pb) and forwards everything else, to refresh the
// fixtures of test/unit/protobuf.test.ts. Usage:
//   node dist/scripts/openapi/capture-protobuf.js <listen-port> <upstream-url> <out-dir>
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [port, upstream, out] = process.argv.slice(2);
if (!port || !upstream || !out) {
  console.error('usage: capture-protobuf <listen-port> <upstream-url> <out-dir>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
let n = 0;

http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (String(req.headers['content-type'] ?? '').includes('protobuf')) {
      const path = (req.url ?? '').split('?')[0].split('/').filter(Boolean).slice(-2).join('-');
      const file = join(out, `${String(++n).padStart(2, '0')}-${req.method}-${path}.pb`);
      writeFileSync(file, body);
      console.log(`saved ${body.length} bytes to ${file} (${req.method} ${req.url})`);
      res.writeHead(415, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 415, reason: 'UnsupportedMediaType', message: 'captured' }));
      return;
    }
    const fwd = http.request(new URL(req.url ?? '/', upstream), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', (err) => { res.writeHead(502); res.end(String(err)); });
    fwd.end(body);
  });
}).listen(Number(port), '127.0.0.1', () => console.log(`capturing on 127.0.0.1:${port} → ${upstream}`));
