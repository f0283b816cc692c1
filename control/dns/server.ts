// The DNS transport: one UDP socket and one TCP listener on the same address and port. Each
// query is answered from memory at once (answer() never waits on the network), so clients
// never hang; malformed queries get FORMERR, unsupported opcodes NOTIMP.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { Counter, Histogram, register, type Metric } from '../metrics/prom.js';
import { DnsFormatError, encodeResponse, parseQuery, RCODE, type Question, type Response } from './codec.js';

function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}
const requests = once('coredns_dns_requests_total', () => new Counter({ name: 'coredns_dns_requests_total', help: 'DNS queries answered, by transport and rcode', labelNames: ['proto', 'rcode'] }));
const latency = once('coredns_dns_request_duration_seconds', () => new Histogram({
  name: 'coredns_dns_request_duration_seconds', help: 'Time to answer a DNS query', labelNames: ['proto'],
  buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
}));

export type Answerer = (q: Question) => Response;

/** Bytes in → bytes out for one message; undefined when there is nothing sensible to answer. */
export function handleMessage(msg: Buffer, answer: Answerer, udp: boolean): Buffer | undefined {
  let q;
  try {
    q = parseQuery(msg);
  } catch (err) {
    if (!(err instanceof DnsFormatError) || msg.length < 4) return undefined;
    return encodeResponse({ id: msg.readUInt16BE(0), flags: msg.readUInt16BE(2), questions: [] }, { rcode: RCODE.FORMERR, authoritative: false, answers: [], authority: [] });
  }
  const opcode = (q.flags >> 11) & 0xf;
  const res: Response = opcode !== 0 || q.questions.length !== 1
    ? { rcode: opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR, authoritative: false, answers: [], authority: [] }
    : answer(q.questions[0]);
  requests.inc({ proto: udp ? 'udp' : 'tcp', rcode: Object.keys(RCODE).find((k) => RCODE[k as keyof typeof RCODE] === res.rcode) ?? String(res.rcode) });
  return encodeResponse(q, res, udp ? q.udpSize : 65535);
}

export interface DnsServer { close(): Promise<void>; port: number }

export async function startDnsServer(host: string, port: number, answer: Answerer, log: Logger): Promise<DnsServer> {
  // Port 0: UDP picks a free port and TCP must take the same one, which another TCP socket may
  // already hold; then pick again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await bindDns(host, port, answer, log);
    } catch (err) {
      if (port !== 0 || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

async function bindDns(host: string, port: number, answer: Answerer, log: Logger): Promise<DnsServer> {
  const udp = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  udp.on('message', (msg, rinfo) => {
    const end = latency.startTimer({ proto: 'udp' });
    const out = handleMessage(msg, answer, true);
    end();
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  udp.on('error', (err) => log.warn({ err: err.message }, 'dns udp socket error'));
  await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, host, () => { udp.off('error', reject); resolve(); }); });
  const boundPort = udp.address().port;

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    sockets.add(sock);
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const end = latency.startTimer({ proto: 'tcp' });
        const out = handleMessage(msg, answer, false);
        end();
        if (!out) { sock.destroy(); return; }
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len, out]));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
  });
  try {
    await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(boundPort, host, () => { tcp.off('error', reject); resolve(); }); });
  } catch (err) {
    udp.close();
    throw err;
  }
  return {
    port: boundPort,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise((r) => udp.close(() => r(undefined))), new Promise((r) => tcp.close(() => r(undefined)))]);
    },
  };
}
