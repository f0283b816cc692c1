// The etcd v3 backend (through the etcd3 client): the same model the API server already uses,
// served by a real etcd cluster. Creates, updates and deletes are single transactions that
// compare create_revision / mod_revision; lists are ranges; watches are etcd watches with prevKv.
// Reads and writes go through EtcdKv (./etcd-kv.ts), watches through the etcd3 client.
import { Etcd3, type IKeyValue, type ITxnRequest, type Watcher as EtcdWatcher } from 'etcd3';
import { EtcdKv } from './etcd-kv.js';
import { Backend, failure, KeyValue, ListResult, StoreError, StoreEvent, Watcher, prefixEnd } from './backend.js';

const enc = (s: string) => Buffer.from(s);
const listPage = 500;

/** Parses etcd://host:2379[,host2:2379…][/prefix] (the part after the scheme's //). */
export function parseEtcdUrl(rest: string): { hosts: string[]; prefix: string } {
  const slash = rest.indexOf('/');
  const hostPart = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash).replace(/\/+$/, '');
  const hosts = hostPart.split(',').filter(Boolean);
  if (!hosts.length || hosts.some((h) => !/^[\w.-]+:\d+$|^\[[0-9a-f:]+\]:\d+$/i.test(h))) {
    throw new Error(`bad etcd URL etcd://${rest}: use etcd://host:2379[,host2:2379…][/prefix]`);
  }
  return { hosts: hosts.map((h) => `http://${h}`), prefix };
}

/** Client TLS to etcd (kube-apiserver's --etcd-cafile, --etcd-certfile, --etcd-keyfile), PEM. */
export interface EtcdTls { ca: string; cert?: string; key?: string }

export class EtcdBackend implements Backend {
  private readonly client: Etcd3;
  private readonly kv: EtcdKv;
  private readonly prefix: string;
  private compacted = 0;
  private closed = false;

  constructor(rest: string, tls?: EtcdTls) {
    const parsed = parseEtcdUrl(rest);
    const { prefix } = parsed;
    const hosts = tls ? parsed.hosts.map((h) => h.replace(/^http:/, 'https:')) : parsed.hosts;
    const credentials = tls && { rootCertificate: Buffer.from(tls.ca), ...(tls.cert && tls.key ? { certChain: Buffer.from(tls.cert), privateKey: Buffer.from(tls.key) } : {}) };
    this.prefix = prefix;
    // etcd takes requests up to 1.5 MiB; answers (watch batches) may be larger than gRPC's 4 MiB default.
    this.client = new Etcd3({ hosts, dialTimeout: 5000, grpcOptions: { 'grpc.max_receive_message_length': 64 << 20 }, ...(credentials ? { credentials } : {}) });
    this.kv = new EtcdKv({ hosts, tls });
  }

  private k(key: string): Buffer { return enc(this.prefix + key); }

  private toKv(kv: IKeyValue): KeyValue {
    return {
      key: kv.key.toString().slice(this.prefix.length),
      value: kv.value.toString(),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /** One transaction: if compare holds, run success; otherwise read the key to say why not. */
  private async txn(key: string, compare: ITxnRequest['compare'], success: ITxnRequest['success']) {
    const res = await this.kv.txn({ compare, success, failure: [{ request_range: { key: this.k(key) } }] });
    const current = res.succeeded ? undefined : res.responses[0]?.response_range?.kvs?.[0];
    return { res, current, revision: Number(res.header.revision) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.kv.range({ key: this.k(key) });
    return res.kvs[0] && this.toKv(res.kvs[0]);
  }

  /** One round trip: compare-create + put; the revision is the txn header's. */
  async create(key: string, value: string): Promise<KeyValue> {
    const k = this.k(key);
    const res = await this.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: enc(value) } }],
    });
    if (!res.succeeded) throw new StoreError('KeyExists', key);
    const revision = Number(res.header.revision);
    return { key, value, createRevision: revision, modRevision: revision };
  }

  async update(key: string, value: string, expected: number): Promise<KeyValue> {
    const { res, current, revision } = await this.txn(key,
      [{ key: this.k(key), target: 'Mod', result: 'Equal', mod_revision: expected }],
      [{ request_put: { key: this.k(key), value: enc(value), prev_kv: true } }]);
    if (!res.succeeded) throw new StoreError(current ? 'Conflict' : 'NotFound', key);
    const prev = res.responses[0]?.response_put?.prev_kv;
    // mod_revision == expected held, so the key existed; prev_kv carries its create_revision.
    return { key, value, createRevision: Number(prev?.create_revision ?? expected), modRevision: revision };
  }

  async delete(key: string, expected?: number): Promise<KeyValue> {
    const compare: ITxnRequest['compare'] = expected === undefined
      ? [{ key: this.k(key), target: 'Create', result: 'Greater', create_revision: 0 }]
      : [{ key: this.k(key), target: 'Mod', result: 'Equal', mod_revision: expected }];
    const { res, current, revision } = await this.txn(key, compare,
      [{ request_delete_range: { key: this.k(key), prev_kv: true } }]);
    if (!res.succeeded) throw new StoreError(current ? 'Conflict' : 'NotFound', key);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs?.[0];
    if (!prev) throw new StoreError('NotFound', key);
    return { ...this.toKv(prev), modRevision: revision };
  }

  /** Pages of `listPage` keys, all read at the first page's revision: one consistent snapshot. */
  async list(prefix: string): Promise<ListResult> {
    const end = this.k(prefixEnd(prefix));
    const kvs: KeyValue[] = [];
    let from = this.k(prefix);
    let revision: number | undefined;
    for (;;) {
      const res = await this.kv.range({ key: from, range_end: end, limit: listPage, ...(revision ? { revision } : {}) });
      revision ??= Number(res.header.revision);
      for (const kv of res.kvs) kvs.push(this.toKv(kv));
      if (!res.more || !res.kvs.length) return { kvs, revision };
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  async count(prefix: string): Promise<number> {
    const res = await this.kv.range({ key: this.k(prefix), range_end: this.k(prefixEnd(prefix)), count_only: true });
    return Number(res.count);
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void): Watcher {
    if (fromRevision < this.compacted) throw new StoreError('Compacted', prefix);
    const { failed, fail } = failure();
    let last = fromRevision;
    let w: EtcdWatcher | undefined;
    let cancelled = false;
    const cancel = () => {
      if (cancelled) return;
      cancelled = true;
      if (w) void w.cancel().catch(() => {});
    };
    w = this.client.watch()
      .inRange({ start: this.k(prefix), end: this.k(prefixEnd(prefix)) })
      .startRevision(String(fromRevision + 1))
      .withPreviousKV()
      .watcher();
    w.on('data', (res) => {
      if (cancelled) return;
      for (const e of res.events) {
        const rev = Number(e.kv.mod_revision);
        if (rev <= last) continue; // replays after a reconnect
        last = rev;
        const prev = e.prev_kv ? this.toKv(e.prev_kv) : undefined;
        if (e.type === 'Delete') {
          if (!prev) continue; // nothing known about what was deleted
          onEvent({ type: 'DELETE', kv: { ...prev, modRevision: rev }, prev });
        } else onEvent({ type: 'PUT', kv: this.toKv(e.kv), prev });
      }
    });
    w.on('error', (err: Error) => {
      if (cancelled) return;
      cancelled = true;
      // etcd cancels a watch on a compacted revision with compact_revision set, which the
      // client drops; a read at that revision tells the same thing.
      void this.isCompacted(last + 1).then((yes) => fail(yes ? new StoreError('Compacted', prefix) : err));
    });
    return { cancel, failed };
  }

  private async isCompacted(revision: number): Promise<boolean> {
    try {
      await this.kv.range({ key: this.k('/registry/'), revision, count_only: true });
      return false;
    } catch (err) {
      if (!/compacted/.test((err as Error).message)) return false;
      this.compacted = Math.max(this.compacted, revision);
      return true;
    }
  }

  async currentRevision(): Promise<number> {
    const res = await this.kv.range({ key: this.k('/registry/'), range_end: this.k(prefixEnd('/registry/')), count_only: true });
    return Number(res.header.revision);
  }

  compactedRevision(): number {
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.kv.compact({ revision, physical: false });
    } catch (err) {
      if (!/compacted/.test((err as Error).message)) throw err; // another server got there first
    }
    this.compacted = Math.max(this.compacted, revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.kv.close();
    this.client.close();
  }
}
