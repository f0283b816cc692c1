// The API client's HTTP(S) transport: node:http / node:https with one keep-alive agent per
// client (CA, client certificate and key for TLS). Node's native HTTP parser, unlike fetch's
// (undici compiles a WebAssembly parser), costs every component ~20 MiB less resident memory.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';

export interface TransportInit { method?: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }
export interface TransportResponse {
  status: number;
  ok: boolean;
  /** The whole body as text (call at most once, and not after iterating body). */
  text(): Promise<string>;
  body: AsyncIterable<Buffer>;
}
export type Transport = (url: string, init: TransportInit) => Promise<TransportResponse>;
export interface TransportTls { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean }

/** maxIdle: keep-alive connections kept open once idle (node's default is 256). Watches hold
 *  their own connection; a burst of requests opens more, and each idle TLS connection keeps
 *  OpenSSL buffers and socket state, so the node agent keeps only a few. */
export function makeTransport(server: string, tls: TransportTls = {}, maxIdle?: number): Transport {
  const secure = server.startsWith('https:');
  const pool = { keepAlive: true, ...(maxIdle === undefined ? {} : { maxFreeSockets: maxIdle }) };
  // One TLS context (CA, certificate, key parsed once) shared by every connection: without it
  // each new connection builds its own OpenSSL context.
  const secureContext = secure ? createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key }) : undefined;
  const agent = secure ? new https.Agent({ ...pool, secureContext, rejectUnauthorized: tls.rejectUnauthorized }) : new http.Agent(pool);
  const request = secure ? https.request : http.request;
  return (url, init) => new Promise<TransportResponse>((resolve, reject) => {
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = request(url, { method: init.method ?? 'GET', headers, agent, signal: init.signal }, (res) => {
      const status = res.statusCode ?? 0;
      resolve({
        status, ok: status >= 200 && status < 300, body: res,
        text: () => new Promise<string>((done, fail) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c)).once('end', () => done(Buffer.concat(chunks).toString('utf8'))).once('error', fail);
        }),
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
