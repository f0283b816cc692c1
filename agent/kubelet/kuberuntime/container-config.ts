// Container spec → CRI ContainerConfig: image, command/args with $(VAR) expansion, env (values,
// envFrom and valueFrom ConfigMap/Secret/fieldRef/resourceFieldRef), mounts, working dir,
// labels, log path, cgroup resources from requests/limits and the security context. Pure.
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerConfigIn, KeyValueIn, MountIn } from '../../cri/types.js';
import { bytes, milliCpu, parseQuantity } from '../../../control/client/quantity.js';
import { secretValue, type ObjectLookup } from '../configmap/object-cache.js';
import { CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID } from './labels.js';
import { namespaceOptions } from './sandbox-config.js';

/** A spec the kubelet cannot turn into a container (status reason CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

const NO_OBJECTS: ObjectLookup = { configMap: () => undefined, secret: () => undefined };

/** What env fieldRefs may read besides the pod object itself. */
export interface RuntimeContext { podIP: string; hostIP: string; nodeName: string }

const CPU_PERIOD = 100_000;

/** Expands $(VAR) from vars; $$(VAR) escapes to a literal $(VAR); unknown refs stay as written. */
export function expandVars(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : all;
  });
}

function fieldRef(pod: Pod, path: string, ctx: RuntimeContext): string {
  const m = pod.metadata ?? {};
  const annot = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annot) return m.annotations?.[annot[1]!] ?? '';
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return m.labels?.[label[1]!] ?? '';
  switch (path) {
    case 'metadata.name': return m.name ?? '';
    case 'metadata.namespace': return m.namespace ?? '';
    case 'metadata.uid': return m.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return ctx.podIP;
    case 'status.podIPs': return ctx.podIP;
    case 'status.hostIP': return ctx.hostIP;
    case 'status.hostIPs': return ctx.hostIP;
    default: throw new ContainerConfigError(`unsupported fieldRef ${path}`);
  }
}

/** resourceFieldRef: limits.cpu / requests.memory … divided by divisor (default 1), rounded up. */
export function resourceField(c: Container, resource: string, divisor?: string): string {
  const [kind, name] = resource.split('.') as [string, string];
  const set = kind === 'limits' ? c.resources?.limits : kind === 'requests' ? c.resources?.requests : undefined;
  if (!name || (kind !== 'limits' && kind !== 'requests')) throw new ContainerConfigError(`unsupported resourceFieldRef ${resource}`);
  const v = set?.[name] ?? (kind === 'requests' ? c.resources?.limits?.[name] : undefined);
  const d = divisor ? parseQuantity(divisor) : 1;
  // Unset limits are the node's allocatable upstream; we report 0 for "unbounded".
  return String(Math.ceil(parseQuantity(v ?? 0) / (d || 1)));
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The container's environment in order (envFrom first, then env); later entries may reference earlier ones. */
export function containerEnv(pod: Pod, c: Container, ctx: RuntimeContext, objs: ObjectLookup = NO_OBJECTS): KeyValueIn[] {
  const ns = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  for (const src of c.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    let data: Record<string, string> = {};
    if (src.configMapRef) {
      const cm = objs.configMap(ns, src.configMapRef.name ?? '');
      if (!cm) { if (src.configMapRef.optional) continue; throw new ContainerConfigError(`configmap "${src.configMapRef.name}" not found`); }
      data = { ...(cm.data ?? {}) };
    } else if (src.secretRef) {
      const s = objs.secret(ns, src.secretRef.name ?? '');
      if (!s) { if (src.secretRef.optional) continue; throw new ContainerConfigError(`secret "${src.secretRef.name}" not found`); }
      for (const k of new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})])) data[k] = secretValue(s, k)!;
    }
    for (const [k, v] of Object.entries(data)) if (ENV_NAME.test(prefix + k)) vars.set(prefix + k, v);
  }
  for (const e of c.env ?? ([] as EnvVar[])) {
    let v: string | undefined = '';
    const from = e.valueFrom;
    if (e.value !== undefined) v = expandVars(e.value, vars);
    else if (from?.fieldRef) v = fieldRef(pod, from.fieldRef.fieldPath, ctx);
    else if (from?.resourceFieldRef) v = resourceField(c, from.resourceFieldRef.resource, from.resourceFieldRef.divisor);
    else if (from?.configMapKeyRef) {
      const r = from.configMapKeyRef;
      const cm = objs.configMap(ns, r.name ?? '');
      v = cm?.data?.[r.key];
      if (v === undefined) {
        if (r.optional) continue;
        throw new ContainerConfigError(cm ? `couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}` : `configmap "${r.name}" not found`);
      }
    } else if (from?.secretKeyRef) {
      const r = from.secretKeyRef;
      const s = objs.secret(ns, r.name ?? '');
      v = s ? secretValue(s, r.key) : undefined;
      if (v === undefined) {
        if (r.optional) continue;
        throw new ContainerConfigError(s ? `couldn't find key ${r.key} in Secret ${ns}/${r.name}` : `secret "${r.name}" not found`);
      }
    } else if (from) throw new ContainerConfigError(`env ${e.name}: unsupported valueFrom`);
    vars.set(e.name, v);
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}

/** Names of the ConfigMaps and Secrets a container's env refers to. */
export function envRefs(c: Container, out = { configMaps: new Set<string>(), secrets: new Set<string>() }) {
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef?.name) out.configMaps.add(f.configMapRef.name);
    if (f.secretRef?.name) out.secrets.add(f.secretRef.name);
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name) out.configMaps.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name) out.secrets.add(e.valueFrom.secretKeyRef.name);
  }
  return out;
}

export interface ConfigExtras { objects?: ObjectLookup; mounts?: MountIn[] }

export function containerConfig(pod: Pod, c: Container, attempt: number, image: string, ctx: RuntimeContext, x: ConfigExtras = {}): ContainerConfigIn {
  const m = pod.metadata!;
  const env = containerEnv(pod, c, ctx, x.objects);
  const vars = new Map(env.map((e) => [e.key!, e.value!]));
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = milliCpu(req.cpu ?? lim.cpu);
  const cpuLim = milliCpu(lim.cpu);
  const sc = c.securityContext;
  const psc = pod.spec?.securityContext;
  const runAsUser = sc?.runAsUser ?? psc?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? psc?.runAsGroup;
  return {
    metadata: { name: c.name, attempt },
    image: { image, user_specified_image: c.image ?? '' },
    command: (c.command ?? []).map((s) => expandVars(s, vars)),
    args: (c.args ?? []).map((s) => expandVars(s, vars)),
    working_dir: c.workingDir ?? '',
    envs: env,
    mounts: x.mounts ?? [],
    labels: { [CONTAINER_NAME]: c.name, [POD_NAME]: m.name!, [POD_NAMESPACE]: m.namespace!, [POD_UID]: m.uid! },
    annotations: {},
    log_path: `${c.name}/${attempt}.log`,
    stdin: c.stdin ?? false,
    stdin_once: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: {
        // Upstream's mapping: shares from requests (min 2), CFS quota from limits.
        cpu_shares: Math.max(2, Math.floor((cpuReq * 1024) / 1000)),
        cpu_period: cpuLim ? CPU_PERIOD : 0,
        cpu_quota: cpuLim ? Math.max(1000, Math.floor((cpuLim * CPU_PERIOD) / 1000)) : 0,
        memory_limit_in_bytes: bytes(lim.memory),
        // No swap (cgroup v1 memsw = mem), so a memory hog is OOM-killed instead of swapping.
        memory_swap_limit_in_bytes: bytes(lim.memory),
      },
      security_context: {
        privileged: sc?.privileged ?? false,
        namespace_options: namespaceOptions(pod),
        run_as_user: runAsUser !== undefined ? { value: runAsUser } : null,
        run_as_group: runAsGroup !== undefined ? { value: runAsGroup } : null,
        readonly_rootfs: sc?.readOnlyRootFilesystem ?? false,
        capabilities: { add_capabilities: sc?.capabilities?.add ?? [], drop_capabilities: sc?.capabilities?.drop ?? [] },
        supplemental_groups: psc?.supplementalGroups ?? [],
        no_new_privs: sc?.allowPrivilegeEscalation === false,
      },
    },
  };
}
