// A small Kubernetes REST client: CRUD, patch, subresources and watch over node:http(s) (transport.ts).
// Every tskube component (scheduler, controllers, kubelet, kube-proxy) talks to the API
// server only through this, as upstream components do through client-go.
import { resourcePath, apiVersionOf, type ResourceRef } from './resources.js';
import { loadKubeconfig, type ClientCredentials } from './kubeconfig.js';
import { makeTransport, type Transport, type TransportResponse } from './transport.js';

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export type { ObjectMeta };
export interface KubeObject { apiVersion?: string; kind?: string; metadata?: ObjectMeta }
export interface ListResult<T> { items: T[]; metadata: { resourceVersion?: string } }
export interface ListOptions { namespace?: string; labelSelector?: string; fieldSelector?: string; resourceVersion?: string }
export interface WatchOptions extends ListOptions { timeoutSeconds?: number; allowWatchBookmarks?: boolean }
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export type PatchType = 'merge' | 'strategic' | 'json';
export interface DeleteOptions { gracePeriodSeconds?: number; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string }

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/** A metav1.Status failure returned by the API server (or a transport error, code 0). */
export class ApiError extends Error {
  constructor(message: string, readonly code: number, readonly reason: string, readonly status?: unknown) {
    super(message);
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;

/** TLS and credentials (from a kubeconfig): CA to trust, client certificate + key, bearer token. */
export type ClientTls = Omit<ClientCredentials, 'server'>;

export class ApiClient {
  readonly server: string;
  private readonly headers: Record<string, string>;
  /** node:http(s) with a keep-alive agent holding the CA and client certificate. */
  private readonly fetch: Transport;

  /** maxIdleConnections: keep-alive connections kept once idle (transport.ts). */
  constructor(opts: { server: string; userAgent?: string; maxIdleConnections?: number } & ClientTls) {
    this.server = opts.server.replace(/\/$/, '');
    this.headers = { 'user-agent': opts.userAgent ?? 'tskube', accept: 'application/json' };
    if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
    this.fetch = makeTransport(this.server, { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: !opts.insecureSkipTLSVerify }, opts.maxIdleConnections);
  }

  /** A client for the current context of a kubeconfig (server, CA, client cert/key, token). */
  static fromKubeconfig(file: string, userAgent?: string): ApiClient {
    return new ApiClient({ ...loadKubeconfig(file), userAgent });
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    let res: TransportResponse;
    try {
      res = await this.fetch(this.server + path, {
        method,
        headers: body === undefined ? this.headers : { ...this.headers, 'content-type': contentType },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(`${method} ${path}: ${(err as Error).message}`, 0, 'ConnectionError');
    }
    const text = await res.text();
    const parsed = text ? safeParse(text) : undefined;
    if (!res.ok) {
      const st = parsed as { message?: string; reason?: string } | undefined;
      throw new ApiError(st?.message ?? `${method} ${path}: HTTP ${res.status}`, res.status, st?.reason ?? 'Unknown', parsed);
    }
    return parsed as T;
  }

  get<T>(r: ResourceRef, name: string, ns?: string): Promise<T> {
    return this.request('GET', resourcePath(r, ns, name));
  }

  list<T>(r: ResourceRef, opts: ListOptions = {}): Promise<ListResult<T>> {
    return this.request('GET', resourcePath(r, opts.namespace) + query(opts));
  }

  create<T extends KubeObject>(r: ResourceRef, obj: T, ns?: string): Promise<T> {
    const body = { apiVersion: apiVersionOf(r), kind: r.kind, ...obj };
    return this.request('POST', resourcePath(r, ns ?? obj.metadata?.namespace), body);
  }

  update<T extends KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    return this.request('PUT', resourcePath(r, obj.metadata?.namespace, obj.metadata?.name), withType(r, obj));
  }

  updateStatus<T extends KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    return this.request('PUT', resourcePath(r, obj.metadata?.namespace, obj.metadata?.name, 'status'), withType(r, obj));
  }

  patch<T>(r: ResourceRef, name: string, ns: string | undefined, body: unknown, type: PatchType = 'merge', sub?: string): Promise<T> {
    return this.request('PATCH', resourcePath(r, ns, name, sub), body, patchContentType[type]);
  }

  delete(r: ResourceRef, name: string, ns?: string, opts: DeleteOptions = {}): Promise<unknown> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions', ...opts };
    if (opts.uid) { body.preconditions = { uid: opts.uid }; delete body.uid; }
    return this.request('DELETE', resourcePath(r, ns, name), body);
  }

  createSubresource<T>(r: ResourceRef, name: string, ns: string | undefined, sub: string, body: unknown): Promise<T> {
    return this.request('POST', resourcePath(r, ns, name, sub), body);
  }

  /**
   * Streams watch events until the server closes the stream, stop() is called, or an error.
   * `done` resolves when the stream ends (for any reason); callers re-list or re-watch.
   */
  watch<T>(r: ResourceRef, opts: WatchOptions, onEvent: (type: WatchEventType, obj: T) => void): { stop(): void; done: Promise<void> } {
    const ac = new AbortController();
    const path = resourcePath(r, opts.namespace) + query({ ...opts, watch: 'true' });
    const done = (async () => {
      const res = await this.fetch(this.server + path, { headers: this.headers, signal: ac.signal });
      if (!res.ok || !res.body) {
        const st = safeParse(await res.text()) as { message?: string; reason?: string } | undefined;
        throw new ApiError(st?.message ?? `watch ${path}: HTTP ${res.status}`, res.status, st?.reason ?? 'Unknown');
      }
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as { type: WatchEventType; object: T };
          onEvent(ev.type, ev.object);
        }
      }
    })().catch((err: unknown) => {
      if (ac.signal.aborted) return;
      throw err;
    });
    return { stop: () => ac.abort(), done };
  }
}

function withType<T extends KubeObject>(r: ResourceRef, obj: T): T {
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
}

function query(opts: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'namespace' || v === undefined || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function safeParse(text: string): unknown {
  try { return JSON.parse(text); } catch { return { message: text.slice(0, 200) }; }
}
