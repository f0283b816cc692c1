// Connects API requests to the kubelet of a pod's node, as upstream's API server does for
// connect subresources: plain requests (pods/log) are proxied and streamed back as they come;
// upgrade requests (pods/exec WebSocket, pods/portforward WebSocket or SPDY) are spliced at the
// TCP level after the request is replayed, so the kubelet speaks the streaming protocol itself.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { kubeletScheme, kubeletTlsRequestOptions } from './kubelet-tls.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiContext } from '../extension.js';
import { StatusError, badRequest, notFound } from '../status.js';

const PODS = { resource: 'pods', namespaced: true };
const NODES = { resource: 'nodes', namespaced: false };

export interface KubeletAddress { host: string; port: number }

export async function kubeletOf(ctx: ApiContext, nodeName: string): Promise<KubeletAddress> {
  const node = await ctx.store.get(NODES, undefined, nodeName) as Node | undefined;
  if (!node) throw notFound('nodes', '', nodeName);
  const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? node.status?.addresses?.[0]?.address;
  if (!host) throw new StatusError(503, 'ServiceUnavailable', `node "${nodeName}" has no address`);
  return { host, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || 10250 };
}

export async function podOf(ctx: ApiContext, ns: string | undefined, name: string | undefined): Promise<Pod> {
  const pod = await ctx.store.get(PODS, ns, name ?? '') as Pod | undefined;
  if (!pod) throw notFound('pods', '', name ?? '');
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  return pod;
}

/** The container a request means: ?container=, the default-container annotation, or the only one. */
export function containerOf(pod: Pod, q: URLSearchParams): string {
  const asked = q.get('container');
  if (asked) return asked;
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const def = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (def && names.includes(def)) return def;
  if (names.length === 1) return names[0]!;
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  throw badRequest(`a container name must be specified for pod ${pod.metadata?.name}, choose one of: [${names.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`);
}

const HOP = new Set(['host', 'authorization', 'content-length', 'transfer-encoding']);

/** An HTTP(S) request to a kubelet: HTTPS with the API server's client certificate when set. */
export function kubeletRequest(opts: RequestOptions, onResponse: (res: IncomingMessage) => void): ClientRequest {
  return kubeletScheme() === 'https' ? httpsRequest({ ...opts, ...kubeletTlsRequestOptions() }, onResponse) : httpRequest(opts, onResponse);
}

/** A raw connection to a kubelet for upgrades (TLS when set); resolves on 'ready'. */
function kubeletConnect(k: KubeletAddress): { socket: Socket; ready: string } {
  if (kubeletScheme() === 'https') return { socket: tlsConnect({ host: k.host, port: k.port, ...kubeletTlsRequestOptions() }), ready: 'secureConnect' };
  return { socket: netConnect({ host: k.host, port: k.port }), ready: 'connect' };
}

/** Proxies req to the kubelet path: spliced for upgrades, streamed for plain GETs. */
export function proxyToKubelet(req: FastifyRequest, reply: FastifyReply, k: KubeletAddress, path: string): Promise<void> {
  const upgrade = !!req.headers.upgrade;
  return upgrade ? splice(req, reply, k, path) : stream(req, reply, k, path);
}

/** Streams the kubelet's answer back as it comes. Connect subresources (pods/log) turn a kubelet
 *  error into a Status and answer text; `verbatim` (nodes/proxy) passes the status, content type
 *  and body through as they are. */
function stream(req: FastifyRequest, reply: FastifyReply, k: KubeletAddress, path: string, verbatim = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const method = verbatim ? req.method : 'GET';
    const accept = (verbatim && req.headers.accept) || '*/*';
    const up = kubeletRequest({ host: k.host, port: k.port, path, method, headers: { accept } }, (res) => {
      if (!verbatim && res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => reject(new StatusError(res.statusCode === 404 ? 404 : res.statusCode === 400 ? 400 : 500,
          res.statusCode === 404 ? 'NotFound' : res.statusCode === 400 ? 'BadRequest' : 'InternalError', body.trim() || `kubelet answered ${res.statusCode}`)));
        return;
      }
      reply.hijack();
      const out = reply.raw;
      if (verbatim) {
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'content-encoding']) if (res.headers[h]) headers[h] = String(res.headers[h]);
        out.writeHead(res.statusCode ?? 502, headers);
      } else {
        out.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
        out.flushHeaders();
      }
      res.on('data', (d: Buffer) => out.write(d));
      res.on('end', () => { out.end(); resolve(); });
      res.on('error', () => { out.end(); resolve(); });
      out.on('close', () => { up.destroy(); resolve(); });
    });
    up.on('error', (err) => reject(new StatusError(502, 'InternalError', `error dialing kubelet ${k.host}:${k.port}: ${err.message}`)));
    up.end();
  });
}

/** nodes/proxy: the kubelet's answer as it is (status, content type, body), streamed. */
export function proxyVerbatim(req: FastifyRequest, reply: FastifyReply, k: KubeletAddress, path: string): Promise<void> {
  return stream(req, reply, k, path, true);
}

function splice(req: FastifyRequest, reply: FastifyReply, k: KubeletAddress, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const { socket: up, ready } = kubeletConnect(k);
    let connected = false;
    up.once('error', (err) => {
      if (!connected) return reject(new StatusError(502, 'InternalError', `error dialing kubelet ${k.host}:${k.port}: ${err.message}`));
      up.destroy();
    });
    up.once(ready, () => {
      connected = true;
      reply.hijack();
      const client = req.raw.socket;
      client.setTimeout(0);
      client.setNoDelay(true);
      up.setNoDelay(true);
      const lines = [`${req.method} ${path} HTTP/1.1`, `Host: ${k.host}:${k.port}`];
      for (let i = 0; i < req.raw.rawHeaders.length; i += 2) {
        const name = req.raw.rawHeaders[i]!;
        if (!HOP.has(name.toLowerCase())) lines.push(`${name}: ${req.raw.rawHeaders[i + 1]}`);
      }
      up.write(lines.join('\r\n') + '\r\n\r\n');
      client.pipe(up);
      up.pipe(client);
      const done = () => { client.destroy(); up.destroy(); resolve(); };
      client.once('close', done);
      up.once('close', done);
      client.on('error', done);
      up.on('error', done);
    });
  });
}
