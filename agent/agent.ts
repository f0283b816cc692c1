// `tskube agent`: the node agent, k3s-style in three thin layers: flags → KubeletConfig →
// daemons (the kubelet, plus kube-proxy and the node network from agent/proxy and
// agent/network when present). Runs until SIGTERM/SIGINT, then stops what it started.
import type { Taint } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../control/client/api-client.js';
import { loadKubeconfig } from '../control/client/kubeconfig.js';
import { configureKubeletAuth } from './kubelet/server/auth.js';
import { logger } from '../control/client/log.js';
import { defaultConfig, type KubeletConfig } from './kubelet/config.js';
import { startKubelet } from './kubelet/kubelet.js';
import { startNodeNetwork } from './network/index.js';
import { startKubeProxy } from './proxy/index.js';
import { reclaimHeapPeriodically } from './kubelet/util/heap.js';
import { parseQuantity } from '../control/client/quantity.js';

const USAGE = `usage: tskube agent --node-name <n> --node-ip <ip> --server http://host:6443
  --container-runtime-endpoint unix:///run/containerd/containerd.sock [--root-dir <dir>]
  [--cni-conf-dir <dir>] [--cgroup-root /tskube/<node>] [--register-with-taints k=v:Effect,…]
  [--node-labels k=v,…] [--kubelet-port 10250] [--cluster-dns 10.96.0.10] [--cluster-domain cluster.local]
  [--max-pods 110] [--container-log-max-size 10Mi] [--container-log-max-files 5] [--disable kube-proxy,network]
  [--kubeconfig <file> (server, CA, client cert/key or token; replaces --server)] [--proxy-kubeconfig <file> (kube-proxy's own)]
  [--tls-cert-file <pem> --tls-private-key-file <pem> --client-ca-file <pem> (HTTPS :10250, authn + authz)]
  [--anonymous-auth false]`;

/** --flag value and --flag=value; repeated flags keep the last value. */
export function parseFlags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${USAGE}`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) out.set(a.slice(2), args[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

/** "k=v:NoSchedule,k2:NoExecute" → taints. */
export function parseTaints(s: string | undefined): Taint[] {
  if (!s) return [];
  return s.split(',').filter(Boolean).map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t.trim());
    if (!m) throw new Error(`bad taint ${JSON.stringify(t)} (want key[=value]:Effect)`);
    return { key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3]! };
  });
}

/** "k=v,k2=v2" → labels ("k" alone means an empty value). */
export function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (s ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    out[i < 0 ? kv.trim() : kv.slice(0, i).trim()] = i < 0 ? '' : kv.slice(i + 1).trim();
  }
  return out;
}

export function configFromFlags(args: string[]): KubeletConfig {
  const f = parseFlags(args);
  const need = (k: string) => { const v = f.get(k); if (!v) throw new Error(`--${k} is required\n${USAGE}`); return v; };
  const nodeName = need('node-name');
  return defaultConfig({
    nodeName,
    nodeIp: need('node-ip'),
    server: f.get('server') ?? (f.has('kubeconfig') ? loadKubeconfig(f.get('kubeconfig')!).server : need('server')),
    runtimeEndpoint: f.get('container-runtime-endpoint') ?? 'unix:///run/containerd/containerd.sock',
    ...(f.has('root-dir') ? { rootDir: f.get('root-dir')! } : {}),
    ...(f.has('cni-conf-dir') ? { cniConfDir: f.get('cni-conf-dir')! } : {}),
    cgroupRoot: f.get('cgroup-root') ?? `/tskube/${nodeName}`,
    taints: parseTaints(f.get('register-with-taints')),
    nodeLabels: parseLabels(f.get('node-labels')),
    ...(f.has('kubelet-port') ? { port: Number(f.get('kubelet-port')) } : {}),
    ...(f.has('cluster-dns') ? { clusterDNS: f.get('cluster-dns')!.split(',') } : {}),
    ...(f.has('cluster-domain') ? { clusterDomain: f.get('cluster-domain')! } : {}),
    ...(f.has('max-pods') ? { maxPods: Number(f.get('max-pods')) } : {}),
    ...(f.has('container-log-max-size') ? { containerLogMaxSize: parseQuantity(f.get('container-log-max-size')) } : {}),
    ...(f.has('container-log-max-files') ? { containerLogMaxFiles: Number(f.get('container-log-max-files')) } : {}),
  });
}

export async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) { process.stdout.write(USAGE + '\n'); return; }
  const disabled = new Set((parseFlags(args).get('disable') ?? '').split(',').filter(Boolean));
  const cfg = configFromFlags(args);
  const log = logger('agent', { node: cfg.nodeName });
  const flags = parseFlags(args);
  const kubeconfig = flags.get('kubeconfig');
  // Two idle connections per client: a burst of pod starts opens a dozen, then they close.
  const pool = { maxIdleConnections: 2 };
  const client = kubeconfig
    ? new ApiClient({ ...loadKubeconfig(kubeconfig), server: cfg.server, userAgent: `tskube-agent/${cfg.nodeName}`, ...pool })
    : new ApiClient({ server: cfg.server, userAgent: `tskube-agent/${cfg.nodeName}`, ...pool });
  if (flags.has('tls-cert-file')) {
    configureKubeletAuth({
      nodeName: cfg.nodeName, client, anonymous: flags.get('anonymous-auth') === 'true',
      tlsCertFile: flags.get('tls-cert-file'), tlsKeyFile: flags.get('tls-private-key-file'), clientCAFile: flags.get('client-ca-file'),
    });
  }
  const stops: Array<() => unknown> = [reclaimHeapPeriodically()];

  const kubelet = await startKubelet(cfg, client);
  stops.push(() => kubelet.stop());

  if (!disabled.has('network')) {
    const n = await startNodeNetwork(client, { nodeName: cfg.nodeName, nodeIp: cfg.nodeIp, cniConfDir: cfg.cniConfDir });
    stops.push(() => n.stop());
  }
  if (!disabled.has('kube-proxy')) {
    // kube-proxy has an identity of its own (system:kube-proxy), as upstream's DaemonSet does.
    const proxyKubeconfig = flags.get('proxy-kubeconfig');
    const proxyClient = proxyKubeconfig
      ? new ApiClient({ ...loadKubeconfig(proxyKubeconfig), server: cfg.server, userAgent: `tskube-proxy/${cfg.nodeName}`, ...pool })
      : client;
    const p = await startKubeProxy(proxyClient, { nodeName: cfg.nodeName, nodeIp: cfg.nodeIp });
    stops.push(() => p.stop());
  }
  log.info('agent running');

  await new Promise<void>((resolve) => {
    const shutdown = (sig: string) => {
      log.info({ signal: sig }, 'shutting down');
      Promise.allSettled(stops.reverse().map((s) => s())).then(() => resolve());
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
