// etcd's KV service (Range, Txn, Compact) as unary gRPC calls over one node:http2 session.
// etcd3 (through grpc-js) spends about 0.18 ms of CPU per call, this 0.09 ms (test/bench/store.ts),
// and that cost decided the API server's create rate on etcd. Messages are encoded from etcd3's
// own rpc.proto, so requests and answers have the shapes etcd3's types describe.
import http2, { type ClientHttp2Session } from 'node:http2';
import { createRequire } from 'node:module';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import type { ICompactionRequest, ICompactionResponse, IRangeRequest, IRangeResponse, ITxnRequest, ITxnResponse } from 'etcd3';

const require = createRequire(import.meta.url);
// etcd3's loader options: keys and values as Buffers, int64 as strings, enums as names.
const defs = loadSync(require.resolve('etcd3/proto/rpc.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const kvService = defs['etcdserverpb.KV'] as Record<string, MethodDefinition<unknown, unknown>>;
const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL } = http2.constants;

/** A call etcd answered with a gRPC status other than OK, or one that never got an answer (code 14, Unavailable). */
export class EtcdCallError extends Error {
  constructor(readonly code: number, message: string, readonly retryable = false) { super(message); }
}

export interface EtcdKvOptions {
  /** http://host:port or https://host:port, one per member. */
  hosts: string[];
  tls?: { ca: string; cert?: string; key?: string };
  /** A call not answered in this long is cancelled (etcd gives up on a request after about 7 s itself). */
  callTimeoutMs?: number;
}

export class EtcdKv {
  private session?: ClientHttp2Session;
  private connected = new WeakSet<ClientHttp2Session>();
  private nextHost = 0;
  private closed = false;

  constructor(private readonly opts: EtcdKvOptions) {}

  range(req: IRangeRequest): Promise<IRangeResponse> { return this.call('Range', req); }
  txn(req: ITxnRequest): Promise<ITxnResponse> { return this.call('Txn', req); }
  compact(req: ICompactionRequest): Promise<ICompactionResponse> { return this.call('Compact', req); }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  /** A call that was never sent (no connection yet, or refused by a member going away) goes to the next member. */
  private async call<T>(method: string, req: object): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, req);
      } catch (err) {
        if (!(err instanceof EtcdCallError && err.retryable) || attempt >= this.opts.hosts.length + 1) throw err;
      }
    }
  }

  /** The open session, or a new one to the next member (round robin, so a dead member is skipped). */
  private sessionNow(): ClientHttp2Session {
    if (this.closed) throw new EtcdCallError(1, 'etcd client closed');
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return s;
    const host = this.opts.hosts[this.nextHost++ % this.opts.hosts.length];
    const tls = this.opts.tls;
    // maxSessionMemory: node's 10 MB default would refuse streams while large list pages are in flight.
    const fresh = http2.connect(host, { maxSessionMemory: 1024, ...(tls ? { ca: tls.ca, ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}) } : {}) });
    fresh.on('connect', () => this.connected.add(fresh));
    fresh.on('error', () => {}); // each open stream reports it
    const forget = () => { if (this.session === fresh) this.session = undefined; };
    fresh.on('close', forget);
    fresh.on('goaway', forget);
    this.session = fresh;
    return fresh;
  }

  private once<T>(method: string, req: object): Promise<T> {
    const m = kvService[method];
    const msg = m.requestSerialize(req);
    const frame = Buffer.allocUnsafe(5 + msg.length);
    frame[0] = 0; // not compressed
    frame.writeUInt32BE(msg.length, 1);
    msg.copy(frame, 5);
    return new Promise<T>((resolve, reject) => {
      let s: ClientHttp2Session;
      let stream: http2.ClientHttp2Stream;
      try {
        s = this.sessionNow();
        stream = s.request({ ':method': 'POST', ':path': m.path, 'content-type': 'application/grpc', te: 'trailers' });
      } catch (err) {
        if (err instanceof EtcdCallError) return reject(err);
        this.session = undefined;
        return reject(new EtcdCallError(14, `etcd ${method}: ${(err as Error).message}`, true));
      }
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      let cause = '';
      const readStatus = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] === undefined) return;
        status = String(h['grpc-status']);
        message = decodeURIComponent(String(h['grpc-message'] ?? ''));
      };
      stream.on('response', readStatus); // a trailers-only answer carries the status in its headers
      stream.on('trailers', readStatus);
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('error', (err) => { cause = err.message; });
      stream.setTimeout(this.opts.callTimeoutMs ?? 30_000, () => {
        cause = 'timed out';
        stream.close(NGHTTP2_CANCEL);
        // A member that stopped answering: later calls go to a new session (the next member).
        if (this.session === s) { this.session = undefined; s.close(); }
      });
      stream.on('close', () => {
        if (status === '0') {
          const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
          if (body.length < 5 || body[0] !== 0) return reject(new EtcdCallError(13, `etcd ${method}: malformed answer`));
          try { resolve(m.responseDeserialize(body.subarray(5, 5 + body.readUInt32BE(1))) as T); } catch (err) { reject(new EtcdCallError(13, `etcd ${method}: ${(err as Error).message}`)); }
        } else if (status !== undefined) {
          reject(new EtcdCallError(Number(status), message || `etcd ${method}: gRPC status ${status}`));
        } else {
          const neverSent = !this.connected.has(s) || stream.rstCode === NGHTTP2_REFUSED_STREAM;
          reject(new EtcdCallError(14, `etcd ${method}: no answer (${cause || `stream reset ${stream.rstCode}`})`, neverSent));
        }
      });
      stream.end(frame);
    });
  }
}
