// A read-only OCI distribution endpoint over image layouts on disk (<dir>/<name>/index.json …),
// just enough for containerd to pull `<host>/library/<name>:<tag>`: /v2/, manifests, blobs.
// Test-only: lets the CRI test pull for real without a registry daemon.
// Usage: node cri-registry.js <layouts dir> <host:port>   (prints "ready" when listening)
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

interface Index { manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[] }

export function startLayoutRegistry(dir: string, host: string, port: number): Promise<() => void> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v2\/(?:library\/)?([^/]+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
      return void res.end('{}');
    }
    if (!m) return void res.writeHead(404).end();
    const [, name, kind, ref] = m as unknown as [string, string, string, string];
    const layout = join(dir, name);
    let digest = ref;
    let type = 'application/octet-stream';
    if (kind === 'manifests') {
      if (!existsSync(join(layout, 'index.json'))) return void res.writeHead(404).end();
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as Index;
      const entry = index.manifests.find((e) => e.digest === ref || e.annotations?.['org.opencontainers.image.ref.name'] === ref);
      if (!entry) return void res.writeHead(404).end();
      digest = entry.digest;
      type = entry.mediaType;
    }
    const file = join(layout, 'blobs', ...digest.split(':'));
    if (!/^sha256:[0-9a-f]{64}$/.test(digest) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': type, 'content-length': statSync(file).size, 'docker-content-digest': digest });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(() => server.close()));
  });
}

if (process.argv[1]?.endsWith('cri-registry.js')) {
  const [dir, addr] = process.argv.slice(2);
  const [host, port] = (addr ?? '127.0.0.1:5000').split(':');
  startLayoutRegistry(dir!, host!, Number(port)).then(() => console.log('ready'), (e) => { console.error(e); process.exit(1); });
}
