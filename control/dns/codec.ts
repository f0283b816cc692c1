// A minimal DNS message codec (RFC 1035, SRV from RFC 2782): parses queries (with name
// compression) and writes answers of the types cluster DNS serves — A, SRV, PTR, CNAME, SOA.
// Hand-written because no DNS library is among the project's dependencies (dns-packet would do).

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const CLASS_IN = 1;

export interface Question { name: string; type: number; class: number }
export interface Query { id: number; flags: number; questions: Question[]; hasOpt: boolean; udpSize: number }

export type RecordData =
  | { type: typeof TYPE.A; address: string }
  | { type: typeof TYPE.PTR | typeof TYPE.CNAME; target: string }
  | { type: typeof TYPE.SRV; priority: number; weight: number; port: number; target: string }
  | { type: typeof TYPE.SOA; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
export type ResourceRecord = RecordData & { name: string; ttl: number };

export interface Response { rcode: number; authoritative: boolean; answers: ResourceRecord[]; authority: ResourceRecord[] }

export class DnsFormatError extends Error {}

/** Reads a possibly compressed name at off; returns it (lower case, no trailing dot) and the end offset. */
function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let end = -1;
  for (let jumps = 0; ; ) {
    if (off >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[off];
    if (len === 0) { off++; break; }
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length || ++jumps > 32) throw new DnsFormatError('bad compression pointer');
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | buf[off + 1];
      continue;
    }
    if (len > 63 || off + 1 + len > buf.length) throw new DnsFormatError('bad label');
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: end < 0 ? off : end };
}

/** Parses a query message; throws DnsFormatError on garbage. */
export function parseQuery(buf: Buffer): Query {
  if (buf.length < 12) throw new DnsFormatError('short message');
  const id = buf.readUInt16BE(0), flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4), an = buf.readUInt16BE(6), ns = buf.readUInt16BE(8), ar = buf.readUInt16BE(10);
  let off = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, off);
    if (n.end + 4 > buf.length) throw new DnsFormatError('short question');
    questions.push({ name: n.name, type: buf.readUInt16BE(n.end), class: buf.readUInt16BE(n.end + 2) });
    off = n.end + 4;
  }
  let hasOpt = false, udpSize = 512;
  // Skip answer/authority records; look for an OPT record among the additional ones.
  for (let i = 0; i < an + ns + ar && off < buf.length; i++) {
    const n = readName(buf, off);
    if (n.end + 10 > buf.length) break;
    const type = buf.readUInt16BE(n.end);
    if (type === TYPE.OPT && i >= an + ns) { hasOpt = true; udpSize = Math.max(512, Math.min(buf.readUInt16BE(n.end + 2), 4096)); }
    off = n.end + 10 + buf.readUInt16BE(n.end + 8);
  }
  return { id, flags, questions, hasOpt, udpSize };
}

function nameBytes(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.split('.').filter(Boolean)) {
    const b = Buffer.from(label, 'latin1');
    if (b.length > 63) throw new DnsFormatError(`label too long in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function rdata(r: RecordData): Buffer {
  switch (r.type) {
    case TYPE.A: return Buffer.from(r.address.split('.').map(Number));
    case TYPE.PTR: case TYPE.CNAME: return nameBytes(r.target);
    case TYPE.SRV: {
      const h = Buffer.alloc(6);
      h.writeUInt16BE(r.priority, 0); h.writeUInt16BE(r.weight, 2); h.writeUInt16BE(r.port, 4);
      return Buffer.concat([h, nameBytes(r.target)]);
    }
    case TYPE.SOA: {
      const t = Buffer.alloc(20);
      [r.serial, r.refresh, r.retry, r.expire, r.minimum].forEach((v, i) => t.writeUInt32BE(v >>> 0, i * 4));
      return Buffer.concat([nameBytes(r.mname), nameBytes(r.rname), t]);
    }
  }
}

function record(r: ResourceRecord): Buffer {
  const data = rdata(r);
  const h = Buffer.alloc(10);
  h.writeUInt16BE(r.type, 0); h.writeUInt16BE(CLASS_IN, 2); h.writeUInt32BE(r.ttl, 4); h.writeUInt16BE(data.length, 8);
  return Buffer.concat([nameBytes(r.name), h, data]);
}

/**
 * Encodes a response to q. maxSize (UDP) truncates: answers are dropped and TC set, so the
 * client asks again over TCP.
 */
export function encodeResponse(q: Pick<Query, 'id' | 'flags' | 'questions'>, res: Response, maxSize = 65535): Buffer {
  const question = q.questions.slice(0, 1).map((x) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(x.type, 0); t.writeUInt16BE(x.class, 2);
    return Buffer.concat([nameBytes(x.name), t]);
  });
  const build = (answers: ResourceRecord[], authority: ResourceRecord[], tc: boolean) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(q.id, 0);
    const opcode = q.flags & 0x7800, rd = q.flags & 0x0100;
    h.writeUInt16BE(0x8000 | opcode | (res.authoritative ? 0x0400 : 0) | (tc ? 0x0200 : 0) | rd | (res.rcode & 0xf), 2);
    h.writeUInt16BE(question.length, 4); h.writeUInt16BE(answers.length, 6); h.writeUInt16BE(authority.length, 8);
    return Buffer.concat([h, ...question, ...answers.map(record), ...authority.map(record)]);
  };
  const full = build(res.answers, res.authority, false);
  return full.length <= maxSize ? full : build([], [], true);
}

/** A query message (tests and probes). */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0); h.writeUInt16BE(0x0100, 2); h.writeUInt16BE(1, 4);
  const t = Buffer.alloc(4);
  t.writeUInt16BE(type, 0); t.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([h, nameBytes(name), t]);
}

/** Decodes a response (tests): rcode, flags and the answer records' data as strings. */
export function decodeResponse(buf: Buffer): { id: number; rcode: number; tc: boolean; aa: boolean; answers: Array<{ name: string; type: number; ttl: number; data: string }> } {
  const id = buf.readUInt16BE(0), flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4), an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = readName(buf, off).end + 4;
  const answers = [];
  for (let i = 0; i < an; i++) {
    const n = readName(buf, off);
    const type = buf.readUInt16BE(n.end), ttl = buf.readUInt32BE(n.end + 4), len = buf.readUInt16BE(n.end + 8);
    const start = n.end + 10;
    let data: string;
    if (type === TYPE.A) data = [...buf.subarray(start, start + 4)].join('.');
    else if (type === TYPE.SRV) data = `${buf.readUInt16BE(start)} ${buf.readUInt16BE(start + 2)} ${buf.readUInt16BE(start + 4)} ${readName(buf, start + 6).name}`;
    else if (type === TYPE.PTR || type === TYPE.CNAME) data = readName(buf, start).name;
    else data = buf.subarray(start, start + len).toString('hex');
    answers.push({ name: n.name, type, ttl, data });
    off = start + len;
  }
  return { id, rcode: flags & 0xf, tc: (flags & 0x0200) !== 0, aa: (flags & 0x0400) !== 0, answers };
}
