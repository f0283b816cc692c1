// NodeRestriction (upstream's plugin of that name): a kubelet (system:node:<n> in system:nodes)
// may create or change only its own Node — never its taints after registration, nor labels under
// node-restriction.kubernetes.io/ or kubernetes.io / k8s.io labels outside the kubelet's own set —
// only mirror pods bound to itself, status and deletion only of pods bound to it, and only its own
// Lease in kube-node-lease. The Node authorizer decides which objects; this decides which fields.
import { isDeepStrictEqual } from 'node:util';
import type { Obj } from '../resource-def.js';
import { StatusError } from '../status.js';
import { nodeNameOf } from '../auth/node-authorizer.js';
import type { AdmissionPlugin, AdmissionRequest } from './plugin.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const KUBELET_LABELS = new Set(['kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/region', 'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type', 'kubernetes.io/os', 'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch']);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (l: string) => (l.includes('/') ? l.split('/')[0]! : '');
const within = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

/** Labels a kubelet may not set or change (upstream's getForbiddenLabels). */
export function forbiddenNodeLabels(labels: Record<string, string> = {}, old: Record<string, string> = {}): string[] {
  const modified = new Set([...Object.keys(labels).filter((k) => labels[k] !== old[k]), ...Object.keys(old).filter((k) => !(k in labels))]);
  return [...modified].filter((l) => {
    const ns = labelNamespace(l);
    if (within(ns, 'node-restriction.kubernetes.io')) return true;
    const kubernetes = within(ns, 'kubernetes.io') || within(ns, 'k8s.io');
    const kubelet = KUBELET_LABELS.has(l) || KUBELET_LABEL_NAMESPACES.some((d) => within(ns, d));
    return kubernetes && !kubelet;
  }).sort();
}

function forbidden(req: AdmissionRequest, msg: string): StatusError {
  const name = req.obj.metadata?.name as string;
  const resource = req.def.group ? `${req.def.resource}.${req.def.group}` : req.def.resource;
  return new StatusError(403, 'Forbidden', `${resource} ${JSON.stringify(name ?? '')} is forbidden: ${msg}`, { name, group: req.def.group, kind: req.def.resource });
}

function admitNode(req: AdmissionRequest, node: string): void {
  const { op, obj, old } = req;
  const name = obj.metadata?.name;
  if (name !== node) throw forbidden(req, `node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(name)}`);
  if (op === 'CREATE') {
    const bad = forbiddenNodeLabels(obj.metadata?.labels);
    if (bad.length) throw forbidden(req, `node ${JSON.stringify(node)} is not allowed to set the following labels: ${bad.join(', ')}`);
  } else if (op === 'UPDATE' && old) {
    if (!isDeepStrictEqual(obj.spec?.taints ?? [], old.spec?.taints ?? [])) throw forbidden(req, `node ${JSON.stringify(node)} is not allowed to modify taints`);
    const bad = forbiddenNodeLabels(obj.metadata?.labels, old.metadata?.labels);
    if (bad.length) throw forbidden(req, `is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

function admitPod(req: AdmissionRequest, node: string): void {
  const { op, obj, old, sub } = req;
  const q = JSON.stringify(node);
  if (op === 'CREATE' && !sub) {
    if (!(MIRROR_POD_ANNOTATION in (obj.metadata?.annotations ?? {}))) {
      throw forbidden(req, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node ${q} can only create mirror pods`);
    }
    if (obj.spec?.nodeName !== node) throw forbidden(req, `node ${q} can only create pods with spec.nodeName set to itself`);
    const refs = (obj.spec?.volumes ?? []).map((v: Obj) => (v.secret ? 'secrets' : v.configMap ? 'configmaps' : v.persistentVolumeClaim ? 'persistentvolumeclaims' : '')).filter(Boolean);
    if (refs.length) throw forbidden(req, `node ${q} can not create pods that reference ${refs[0]}`);
    return;
  }
  const bound = (old ?? obj).spec?.nodeName;
  if (op === 'DELETE' && !sub) {
    if (bound !== node) throw forbidden(req, `node ${q} can only delete pods with spec.nodeName set to itself`);
  } else if (op === 'UPDATE' && sub === 'status') {
    if (bound !== node) throw forbidden(req, `node ${q} can only update pod status for pods with spec.nodeName set to itself`);
  } else throw forbidden(req, `unexpected operation ${op}${sub ? ` on pods/${sub}` : ''}, node ${q} can only create and delete mirror pods and update the status of its pods`);
}

export const nodeRestriction: AdmissionPlugin = {
  name: 'NodeRestriction',
  validate(req) {
    const node = req.user && nodeNameOf(req.user);
    if (!node) return;
    const { def } = req;
    if (def.group === '' && def.resource === 'nodes') return admitNode(req, node);
    if (def.group === '' && def.resource === 'pods') return admitPod(req, node);
    if (def.group === 'coordination.k8s.io' && def.resource === 'leases' && req.obj.metadata?.namespace === 'kube-node-lease' && req.obj.metadata?.name !== node) {
      throw forbidden(req, 'can only access node lease with the same name as the requesting node');
    }
  },
};
