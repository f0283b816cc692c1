// metrics.k8s.io/v1beta1, the Metrics API `kubectl top` reads, served from the kubelets' own
// /stats/summary (what metrics-server scrapes upstream): NodeMetrics from each node's summary,
// PodMetrics per pod with its containers. Summaries are fetched on demand, at most every 5 s
// per node, with a short timeout so one dead node does not stall the answer.
import { kubeletRequest } from './kubelet-proxy.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiContext, ExtraGroup } from '../extension.js';
import { notFound } from '../status.js';

const GV = 'metrics.k8s.io/v1beta1';
const NODES = { resource: 'nodes', namespaced: false };
const CACHE_MS = 5_000;
const TIMEOUT_MS = 3_000;

export const metricsGroup: ExtraGroup = {
  name: 'metrics.k8s.io', version: 'v1beta1', resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

interface Usage { time?: string; usageNanoCores?: number; workingSetBytes?: number }
interface Summary {
  node: { nodeName: string; cpu?: Usage; memory?: Usage };
  pods: Array<{ podRef: { name: string; namespace: string }; cpu?: Usage; memory?: Usage;
    containers: Array<{ name: string; cpu?: Usage; memory?: Usage }> }>;
}

const cpuQ = (u?: Usage) => `${Math.round(u?.usageNanoCores ?? 0)}n`;
const memQ = (u?: Usage) => `${Math.round((u?.workingSetBytes ?? 0) / 1024)}Ki`;

function fetchSummary(host: string, port: number): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const req = kubeletRequest({ host, port, path: '/stats/summary', timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => { try { if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`); resolve(JSON.parse(body) as Summary); } catch (e) { reject(e); } });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** "a=b,c!=d" (equality-based selectors; what kubectl top -l sends). */
function selectorMatches(sel: string | undefined, labels: Record<string, string> | undefined): boolean {
  for (const term of (sel ?? '').split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) { if (!(labels && term in labels)) return false; continue; }
    const has = labels?.[m[1]!.trim()] === m[3]!.trim();
    if (m[2] === '!=' ? has : !has) return false;
  }
  return true;
}

export function metricsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const cache = new Map<string, { at: number; s?: Summary }>();
  const summaries = async (): Promise<Array<{ node: Node; s: Summary }>> => {
    const nodes = (await ctx.store.list(NODES)).items as Node[];
    const out = await Promise.all(nodes.map(async (node) => {
      const name = node.metadata!.name!;
      const c = cache.get(name);
      if (c && Date.now() - c.at < CACHE_MS) return c.s && { node, s: c.s };
      const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || 10250;
      const s = host ? await fetchSummary(host, port).catch(() => undefined) : undefined;
      cache.set(name, { at: Date.now(), s });
      return s && { node, s };
    }));
    return out.filter((x): x is { node: Node; s: Summary } => !!x);
  };
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const nodeMetrics = ({ node, s }: { node: Node; s: Summary }) => ({
    kind: 'NodeMetrics', apiVersion: GV,
    metadata: { name: node.metadata!.name, creationTimestamp: now(), labels: node.metadata?.labels ?? {} },
    timestamp: s.node.cpu?.time ?? now(), window: '10s',
    usage: { cpu: cpuQ(s.node.cpu), memory: memQ(s.node.memory) },
  });
  const podMetrics = (p: Summary['pods'][number], labels: Record<string, string> | undefined) => ({
    kind: 'PodMetrics', apiVersion: GV,
    metadata: { name: p.podRef.name, namespace: p.podRef.namespace, creationTimestamp: now(), labels: labels ?? {} },
    timestamp: p.cpu?.time ?? now(), window: '10s',
    containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQ(c.cpu), memory: memQ(c.memory) } })),
  });
  const allPods = async (ns?: string, selector?: string) => {
    const out = [];
    for (const { s } of await summaries()) {
      for (const p of s.pods) {
        if (ns && p.podRef.namespace !== ns) continue;
        const pod = await ctx.store.get({ resource: 'pods', namespaced: true }, p.podRef.namespace, p.podRef.name) as { metadata?: { labels?: Record<string, string> } } | undefined;
        if (!pod || !selectorMatches(selector, pod.metadata?.labels)) continue;
        out.push(podMetrics(p, pod.metadata?.labels));
      }
    }
    return out;
  };
  const list = (kind: string, items: unknown[]) => ({ kind, apiVersion: GV, metadata: {}, items });
  type Q = { labelSelector?: string };
  const P = '/apis/metrics.k8s.io/v1beta1';

  app.get(`${P}/nodes`, async (req: FastifyRequest) => {
    const sel = (req.query as Q).labelSelector;
    return list('NodeMetricsList', (await summaries()).filter((x) => selectorMatches(sel, x.node.metadata?.labels)).map(nodeMetrics));
  });
  app.get(`${P}/nodes/:name`, async (req: FastifyRequest) => {
    const name = (req.params as { name: string }).name;
    const x = (await summaries()).find((y) => y.node.metadata?.name === name);
    if (!x) throw notFound('nodes.metrics.k8s.io', 'metrics.k8s.io', name);
    return nodeMetrics(x);
  });
  app.get(`${P}/pods`, async (req: FastifyRequest) => list('PodMetricsList', await allPods(undefined, (req.query as Q).labelSelector)));
  app.get(`${P}/namespaces/:ns/pods`, async (req: FastifyRequest) =>
    list('PodMetricsList', await allPods((req.params as { ns: string }).ns, (req.query as Q).labelSelector)));
  app.get(`${P}/namespaces/:ns/pods/:name`, async (req: FastifyRequest, _reply: FastifyReply) => {
    const { ns, name } = req.params as { ns: string; name: string };
    const x = (await allPods(ns)).find((p) => p.metadata.name === name);
    if (!x) throw notFound('pods.metrics.k8s.io', 'metrics.k8s.io', name);
    return x;
  });
}
