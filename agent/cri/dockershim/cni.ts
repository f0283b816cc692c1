// A small libcni: loads the first network config in --cni-conf-dir (.conflist, or a single
// .conf/.json plugin) and runs its plugins from --cni-bin-dir on a network namespace, ADD in
// order chaining prevResult, DEL in reverse order with the ADD result, as the CNI spec says.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NetworkConfig { name: string; cniVersion: string; plugins: Record<string, unknown>[] }
export interface PortMap { hostPort: number; containerPort: number; protocol: string; hostIP?: string }
export interface Attachment { containerId: string; netns: string; ifName?: string; args?: Record<string, string>; portMappings?: PortMap[] }
export interface CniResult { cniVersion?: string; ips?: { address: string; version?: string }[]; ip4?: { ip: string }; [k: string]: unknown }

export function loadNetwork(confDir: string): NetworkConfig | undefined {
  let files: string[];
  try { files = readdirSync(confDir).filter((f) => /\.(conflist|conf|json)$/.test(f) && !f.startsWith('.')).sort(); } catch { return undefined; }
  for (const f of files) {
    try {
      const c = JSON.parse(readFileSync(join(confDir, f), 'utf8')) as Record<string, unknown>;
      if (Array.isArray(c.plugins)) return { name: String(c.name), cniVersion: String(c.cniVersion ?? '0.4.0'), plugins: c.plugins as Record<string, unknown>[] };
      if (typeof c.type === 'string') return { name: String(c.name), cniVersion: String(c.cniVersion ?? '0.4.0'), plugins: [c] };
    } catch { /* not a config: next */ }
  }
  return undefined;
}

/** The pod's first IPv4 address (without prefix length) from a CNI result of any version. */
export function resultIp(r: CniResult | undefined): string {
  const a = r?.ips?.find((i) => !i.address.includes(':'))?.address ?? r?.ip4?.ip ?? '';
  return a.split('/')[0]!;
}

export class CniRunner {
  constructor(private readonly confDir: string, private readonly binDirs: string[]) {}

  ready(): boolean { return this.network() !== undefined; }
  network(): NetworkConfig | undefined { return loadNetwork(this.confDir); }

  /** Runs loopback, then the network's plugins; returns the last plugin's result. */
  async add(a: Attachment): Promise<CniResult> {
    const net = this.network();
    if (!net) throw new Error(`no CNI network config in ${this.confDir}`);
    if (this.find('loopback')) await this.invoke('ADD', { cniVersion: net.cniVersion, name: 'cni-loopback', type: 'loopback' }, { ...a, ifName: 'lo' });
    let prev: CniResult | undefined;
    for (const p of net.plugins) prev = await this.invoke('ADD', this.pluginConf(net, p, a, prev), a);
    return prev ?? {};
  }

  /** DEL in reverse order; the first error is thrown after every plugin has been tried. */
  async del(a: Attachment, prev: CniResult | undefined): Promise<void> {
    const net = this.network();
    if (!net) return;
    let first: unknown;
    for (const p of [...net.plugins].reverse()) {
      try { await this.invoke('DEL', this.pluginConf(net, p, a, prev), a); } catch (err) { first ??= err; }
    }
    if (first) throw first;
  }

  private pluginConf(net: NetworkConfig, p: Record<string, unknown>, a: Attachment, prev: CniResult | undefined): Record<string, unknown> {
    const conf: Record<string, unknown> = { ...p, name: net.name, cniVersion: net.cniVersion };
    const caps = (p.capabilities ?? {}) as Record<string, boolean>;
    if (caps.portMappings && a.portMappings?.length) conf.runtimeConfig = { portMappings: a.portMappings };
    if (prev) conf.prevResult = prev;
    return conf;
  }

  private find(type: string): string | undefined {
    return this.binDirs.map((d) => join(d, type)).find((p) => existsSync(p));
  }

  private invoke(cmd: 'ADD' | 'DEL', conf: Record<string, unknown>, a: Attachment): Promise<CniResult> {
    const type = String(conf.type);
    const bin = this.find(type);
    if (!bin) return Promise.reject(new Error(`CNI plugin ${type} not found in ${this.binDirs.join(':')}`));
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: cmd, CNI_CONTAINERID: a.containerId, CNI_NETNS: a.netns, CNI_IFNAME: a.ifName ?? 'eth0',
      CNI_PATH: this.binDirs.join(':'),
      CNI_ARGS: Object.entries({ IgnoreUnknown: '1', ...a.args }).map(([k, v]) => `${k}=${v}`).join(';'),
    };
    return new Promise((resolve, reject) => {
      const child = execFile(bin, [], { env, timeout: 60_000, maxBuffer: 4 << 20 }, (err, stdout) => {
        if (err) {
          let msg = err.message;
          try { const e = JSON.parse(stdout) as { msg?: string; details?: string }; if (e.msg) msg = `${e.msg}${e.details ? `: ${e.details}` : ''}`; } catch { /* plain */ }
          return reject(new Error(`CNI ${type} ${cmd}: ${msg}`));
        }
        try { resolve(stdout.trim() ? JSON.parse(stdout) as CniResult : {}); } catch { reject(new Error(`CNI ${type} ${cmd}: bad output ${stdout.slice(0, 200)}`)); }
      });
      child.stdin!.end(JSON.stringify(conf));
    });
  }
}
