// SPDY/3.1 framing, the multiplexing under Kubernetes' streaming protocols (remotecommand's
// exec/attach and portforward.k8s.io): control frames (SYN_STREAM, SYN_REPLY, RST_STREAM,
// SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE) and data frames over any byte transport —
// an upgraded socket, or WebSocket binary messages (kubectl's "SPDY/3.1+portforward.k8s.io").
// Header blocks: zlib with the SPDY dictionary; we send them as stored deflate blocks (valid for
// any inflater) and inflate what we receive with one continuing stream. Streams are Duplexes.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants, inflateSync } from 'node:zlib';
import { SPDY_DICTIONARY } from './spdy-dictionary.js';

const VERSION = 3;
const T = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
const FLAG_FIN = 0x01;
const MAX_DATA = 32 * 1024;

export type Headers = Record<string, string>;
export interface ByteSink { write(b: Buffer): void; end(): void }

function adler32(b: Buffer): number {
  let a = 1, s = 0;
  for (const x of b) { a = (a + x) % 65521; s = (s + a) % 65521; }
  return ((s << 16) | a) >>> 0;
}

/** Outgoing header blocks: one zlib stream (FDICT) of stored blocks, each block sync-flushed. */
class HeaderEncoder {
  private started = false;
  encode(h: Headers): Buffer {
    const pairs = Object.entries(h);
    const parts: Buffer[] = [u32(pairs.length)];
    for (const [k, v] of pairs) { const kb = Buffer.from(k.toLowerCase()), vb = Buffer.from(v); parts.push(u32(kb.length), kb, u32(vb.length), vb); }
    const nv = Buffer.concat(parts);
    const out: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      const cmf = 0x78, flg0 = 0x20; // deflate, 32K window; FDICT
      const flg = flg0 + (31 - ((cmf * 256 + flg0) % 31)) % 31;
      out.push(Buffer.from([cmf, flg]), u32(adler32(SPDY_DICTIONARY)));
    }
    for (let i = 0; i < nv.length || i === 0; i += 65535) {
      const chunk = nv.subarray(i, i + 65535);
      const hdr = Buffer.alloc(5);
      hdr[0] = 0; // BFINAL=0, BTYPE=00 (stored), padded to the byte
      hdr.writeUInt16LE(chunk.length, 1);
      hdr.writeUInt16LE(~chunk.length & 0xffff, 3);
      out.push(hdr, chunk);
      if (nv.length === 0) break;
    }
    // An empty stored block (the sync-flush marker): inflaters hand out the data at this point
    // instead of reading ahead into the next frame.
    out.push(Buffer.from([0, 0, 0, 0xff, 0xff]));
    return Buffer.concat(out);
  }
}

/** Incoming header blocks: the peer's single zlib stream, re-inflated from the start (blocks are few). */
class HeaderDecoder {
  private blocks: Buffer[] = [];
  private seen = 0;
  decode(block: Buffer): Headers {
    this.blocks.push(block);
    const all = inflateSync(Buffer.concat(this.blocks), { dictionary: SPDY_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    const nv = all.subarray(this.seen);
    this.seen = all.length;
    const out: Headers = {};
    let off = 4;
    const n = nv.readUInt32BE(0);
    const take = () => { const l = nv.readUInt32BE(off); off += 4; const s = nv.subarray(off, off + l).toString(); off += l; return s; };
    for (let i = 0; i < n; i++) { const k = take(); out[k.toLowerCase()] = take(); }
    return out;
  }
}

/** Ends a stream without losing data already pushed: destroy() would drop what is still buffered
 *  (a fresh stream emits its first chunks on nextTick), so it runs once they flowed (setImmediate). */
function endAfterBuffered(s: SpdyStream): void {
  s.push(null);
  setImmediate(() => s.destroy());
}

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };

export class SpdyStream extends Duplex {
  replied = false;
  constructor(private readonly conn: SpdyConnection, readonly id: number, readonly headers: Headers) {
    super({ allowHalfOpen: true });
  }
  /** Accept a stream the peer opened (SYN_REPLY). */
  reply(headers: Headers = {}, fin = false): void {
    if (this.replied) return;
    this.replied = true;
    this.conn.sendControl(T.SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([u32(this.id), this.conn.encodeHeaders(headers)]));
  }
  reset(status = 5 /* CANCEL */): void {
    this.conn.sendControl(T.RST_STREAM, 0, Buffer.concat([u32(this.id), u32(status)]));
    this.destroy();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    for (let i = 0; i < chunk.length; i += MAX_DATA) this.conn.sendData(this.id, chunk.subarray(i, i + MAX_DATA), 0);
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void { this.conn.sendData(this.id, Buffer.alloc(0), FLAG_FIN); cb(); }
  override _read(): void { /* data is pushed as frames arrive */ }
}

export class SpdyConnection extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private streams = new Map<number, SpdyStream>();
  private nextId: number;
  private enc = new HeaderEncoder();
  private dec = new HeaderDecoder();
  private closed = false;

  constructor(private readonly sink: ByteSink, isServer: boolean) {
    super();
    this.nextId = isServer ? 2 : 1;
  }

  encodeHeaders(h: Headers): Buffer { return this.enc.encode(h); }

  /** Opens a stream (SYN_STREAM); resolves when the peer replies. */
  openStream(headers: Headers, fin = false): Promise<SpdyStream> {
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(this, id, headers);
    this.streams.set(id, s);
    const payload = Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), this.enc.encode(headers)]);
    this.sendControl(T.SYN_STREAM, fin ? FLAG_FIN : 0, payload);
    return new Promise((resolve, reject) => {
      if (s.replied) return resolve(s);
      s.once('spdy-reply', () => resolve(s));
      s.once('close', () => { if (!s.replied) reject(new Error(`stream ${id} reset by peer`)); });
    });
  }

  /** Feeds bytes received from the transport. */
  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) break;
      const head = this.buf.subarray(0, 8);
      const body = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      try { this.frame(head, body); } catch (err) { this.emit('error', err); this.close(); return; }
    }
  }

  private frame(head: Buffer, body: Buffer): void {
    const flags = head[4]!;
    if (!(head[0]! & 0x80)) {
      const id = head.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) return;
      if (body.length) {
        s.push(Buffer.from(body));
        this.sendControl(T.WINDOW_UPDATE, 0, Buffer.concat([u32(id), u32(body.length)]));
      }
      if (flags & FLAG_FIN) s.push(null);
      return;
    }
    const type = head.readUInt16BE(2);
    switch (type) {
      case T.SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const s = new SpdyStream(this, id, this.dec.decode(body.subarray(10)));
        this.streams.set(id, s);
        s.once('close', () => this.streams.delete(id));
        if (flags & FLAG_FIN) s.push(null);
        this.emit('stream', s);
        return;
      }
      case T.SYN_REPLY: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        this.dec.decode(body.subarray(4));
        const s = this.streams.get(id);
        if (s) { s.replied = true; s.emit('spdy-reply'); if (flags & FLAG_FIN) s.push(null); }
        return;
      }
      case T.HEADERS: this.dec.decode(body.subarray(4)); return;
      case T.RST_STREAM: {
        // containerd resets a stream right after its last data (the exec status on "error"):
        // what arrived before the reset still reaches the reader.
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (s) endAfterBuffered(s);
        return;
      }
      case T.PING: this.sendControl(T.PING, 0, body); return;
      case T.GOAWAY: this.close(); return;
      default: return; // SETTINGS, WINDOW_UPDATE: no flow control on our side
    }
  }

  sendControl(type: number, flags: number, payload: Buffer): void {
    if (this.closed) return;
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8000 | VERSION, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE(payload.length, 4);
    h[4] = flags;
    this.sink.write(Buffer.concat([h, payload]));
  }

  sendData(id: number, data: Buffer, flags: number): void {
    if (this.closed) return;
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id & 0x7fffffff, 0);
    h.writeUInt32BE(data.length, 4);
    h[4] = flags;
    this.sink.write(data.length ? Buffer.concat([h, data]) : h);
  }

  /** Transport gone or closing: every stream ends. */
  close(): void {
    if (this.closed) return;
    this.sendControl(T.GOAWAY, 0, Buffer.concat([u32(0), u32(0)]));
    this.closed = true;
    for (const s of this.streams.values()) endAfterBuffered(s);
    this.streams.clear();
    this.sink.end();
    this.emit('close');
  }
}
