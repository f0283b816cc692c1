// A tiny in-memory stand-in for the API server, just enough for informers: list and watch of
// cluster-wide collections (/api/v1/<resource>, /apis/<group>/v1/<resource>), with put/remove driving watch events. Lets
// the kube-proxy integration test run the real ApiClient + Informer + loop without control/.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Obj = { metadata: { name: string; namespace?: string; resourceVersion?: string } };

export class FakeApi {
  private rv = 1;
  private objects = new Map<string, Map<string, Obj>>(); // resource → key → object
  private watchers = new Map<string, Set<http.ServerResponse>>();
  private log: Array<{ resource: string; line: string; rv: number }> = []; // replayed to late watchers
  private server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const set of this.watchers.values()) for (const w of set) w.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  put(resource: string, obj: Obj): void {
    const store = this.store(resource);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const type = store.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    store.set(key, stored);
    this.emit(resource, type, stored);
  }

  remove(resource: string, namespace: string, name: string): void {
    const store = this.store(resource);
    const key = `${namespace}/${name}`;
    const old = store.get(key);
    if (!old) return;
    store.delete(key);
    this.emit(resource, 'DELETED', { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } });
  }

  private store(resource: string): Map<string, Obj> {
    let s = this.objects.get(resource);
    if (!s) this.objects.set(resource, (s = new Map()));
    return s;
  }

  private emit(resource: string, type: string, object: Obj): void {
    const line = JSON.stringify({ type, object }) + '\n';
    this.log.push({ resource, line, rv: this.rv });
    for (const w of this.watchers.get(resource) ?? []) w.write(line);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/(?:api\/v1|apis\/[a-z0-9.-]+\/v1)\/([a-z]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' }));
      return;
    }
    const resource = m[1];
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      let set = this.watchers.get(resource);
      if (!set) this.watchers.set(resource, (set = new Set()));
      set.add(res);
      const from = Number(url.searchParams.get('resourceVersion') ?? this.rv);
      for (const e of this.log) if (e.resource === resource && e.rv > from) res.write(e.line);
      res.on('close', () => set!.delete(res));
      return;
    }
    const items = [...this.store(resource).values()];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items, metadata: { resourceVersion: String(this.rv) } }));
  }
}
