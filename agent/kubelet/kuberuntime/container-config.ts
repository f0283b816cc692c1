// Container spec → CRI ContainerConfig: image, command/args with $(VAR) expansion, env (values
// and the downward-API fieldRefs), working dir, labels, log path, cgroup resources from
// requests/limits and the security context. Pure.
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerConfigIn, KeyValueIn } from '../../cri/types.js';
import { bytes, milliCpu } from '../../../control/client/quantity.js';
import { CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID } from './labels.js';
import { namespaceOptions } from './sandbox-config.js';

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
    default: throw new Error(`unsupported fieldRef ${path}`);
  }
}

/** The container's environment in order; later entries may reference earlier ones. */
export function containerEnv(pod: Pod, c: Container, ctx: RuntimeContext): KeyValueIn[] {
  const vars = new Map<string, string>();
  for (const e of c.env ?? ([] as EnvVar[])) {
    let v = '';
    if (e.value !== undefined) v = expandVars(e.value, vars);
    else if (e.valueFrom?.fieldRef) v = fieldRef(pod, e.valueFrom.fieldRef.fieldPath, ctx);
    else if (e.valueFrom) throw new Error(`env ${e.name}: only value and fieldRef are supported yet`);
    vars.set(e.name, v);
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}

export function containerConfig(pod: Pod, c: Container, attempt: number, image: string, ctx: RuntimeContext): ContainerConfigIn {
  const m = pod.metadata!;
  const env = containerEnv(pod, c, ctx);
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
