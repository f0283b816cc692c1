// The API server's connections to kubelets: pods/log, pods/exec, pods/attach and pods/portforward proxied to
// the kubelet of the pod's node (kubelet-proxy.ts), nodes/proxy (`kubectl get --raw
// /api/v1/nodes/<node>/proxy/stats/summary`), and metrics.k8s.io served from the kubelets'
// /stats/summary (metrics.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext, ApiExtension, SubresourceHandler } from '../extension.js';
import { containerOf, kubeletOf, podOf, proxyToKubelet, proxyVerbatim } from './kubelet-proxy.js';
import { metricsGroup, metricsRoutes } from './metrics.js';

const query = (url: string) => new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
const enc = encodeURIComponent;

const logs: SubresourceHandler = async (req, reply, t, ctx) => {
  const pod = await podOf(ctx, t.namespace, t.name);
  const q = query(req.url);
  const c = containerOf(pod, q);
  q.delete('container');
  const qs = q.toString();
  return proxyToKubelet(req, reply, await kubeletOf(ctx, pod.spec!.nodeName!), `/containerLogs/${enc(t.namespace!)}/${enc(t.name!)}/${enc(c)}${qs ? `?${qs}` : ''}`);
};

/** pods/exec and pods/attach: the same remotecommand stream, to /exec/… or /attach/… on the kubelet. */
const remoteCommand = (path: 'exec' | 'attach'): SubresourceHandler => async (req, reply, t, ctx) => {
  const pod = await podOf(ctx, t.namespace, t.name);
  const q = query(req.url);
  const c = containerOf(pod, q);
  q.delete('container');
  return proxyToKubelet(req, reply, await kubeletOf(ctx, pod.spec!.nodeName!), `/${path}/${enc(t.namespace!)}/${enc(t.name!)}/${enc(c)}?${q}`);
};

const portforward: SubresourceHandler = async (req, reply, t, ctx) => {
  const pod = await podOf(ctx, t.namespace, t.name);
  const q = query(req.url).toString();
  return proxyToKubelet(req, reply, await kubeletOf(ctx, pod.spec!.nodeName!), `/portForward/${enc(t.namespace!)}/${enc(t.name!)}${q ? `?${q}` : ''}`);
};

/** GET /api/v1/nodes/<node>/proxy/<path>: <path> on that node's kubelet (authorized as nodes/proxy). */
function nodeProxyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = req.params as { name: string; '*'?: string };
    const qs = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    const path = (p['*'] ?? '').split('/').map(enc).join('/');
    return proxyVerbatim(req, reply, await kubeletOf(ctx, p.name), `/${path}${qs}`);
  };
  app.get('/api/v1/nodes/:name/proxy', handler);
  app.get('/api/v1/nodes/:name/proxy/*', handler);
}

export function kubeletProxyExtension(): ApiExtension {
  return {
    subresources: { 'pods/log': logs, 'pods/exec': remoteCommand('exec'), 'pods/attach': remoteCommand('attach'), 'pods/portforward': portforward },
    groups: [metricsGroup],
    routes: (app, ctx) => { metricsRoutes(app, ctx); nodeProxyRoutes(app, ctx); },
  };
}
