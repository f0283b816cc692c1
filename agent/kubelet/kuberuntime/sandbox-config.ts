// Pod spec → CRI PodSandboxConfig: metadata, hostname, log directory, DNS (always set, so pods
// never inherit the node's resolv.conf), host port mappings, labels, cgroup parent and
// namespace options. Pure; the runtime manager calls it once per sandbox attempt.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { NamespaceOption } from '../../../proto/gen/runtime/v1/NamespaceOption.js';
import type { PodSandboxConfigIn, PortMappingIn } from '../../cri/types.js';
import type { KubeletConfig } from '../config.js';
import { POD_NAME, POD_NAMESPACE, POD_UID } from './labels.js';

export type SandboxEnv = Pick<KubeletConfig, 'rootDir' | 'cgroupRoot' | 'clusterDNS' | 'clusterDomain'>;

export function podLogDir(env: Pick<KubeletConfig, 'rootDir'>, pod: Pod): string {
  const m = pod.metadata!;
  return `${env.rootDir}/logs/pods/${m.namespace}_${m.name}_${m.uid}`;
}

export function podCgroupParent(env: Pick<KubeletConfig, 'cgroupRoot'>, uid: string): string {
  return `${env.cgroupRoot.replace(/\/$/, '')}/pod${uid}`;
}

export function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
}

export function namespaceOptions(pod: Pod): NamespaceOption {
  const s = pod.spec ?? { containers: [] };
  return {
    network: s.hostNetwork ? 'NODE' : 'POD',
    pid: s.hostPID ? 'NODE' : s.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s.hostIPC ? 'NODE' : 'POD',
  };
}

export function dnsConfig(env: SandboxEnv, pod: Pod): { servers: string[]; searches: string[]; options: string[] } {
  const ns = pod.metadata?.namespace ?? 'default';
  const d = env.clusterDomain;
  const custom = pod.spec?.dnsConfig;
  const extraOpts = (custom?.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : String(o.name)));
  if (pod.spec?.dnsPolicy === 'None') {
    return { servers: custom?.nameservers ?? [], searches: custom?.searches ?? [], options: extraOpts };
  }
  // ClusterFirst (the default). "Default" would copy the node's resolver, which pods in the lab
  // cannot reach, so it gets the cluster resolver too.
  return {
    servers: [...env.clusterDNS, ...(custom?.nameservers ?? [])],
    searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...(custom?.searches ?? [])],
    options: ['ndots:5', ...extraOpts.filter((o) => !o.startsWith('ndots'))],
  };
}

export function portMappings(pod: Pod): PortMappingIn[] {
  const out: PortMappingIn[] = [];
  for (const c of allContainers(pod)) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP', container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIP ?? '' });
    }
  }
  return out;
}

export function sandboxConfig(env: SandboxEnv, pod: Pod, attempt: number): PodSandboxConfigIn {
  const m = pod.metadata!;
  const sc = pod.spec?.securityContext;
  const hostname = (pod.spec?.hostname ?? m.name!).slice(0, 63);
  return {
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, attempt },
    hostname: pod.spec?.hostNetwork ? '' : hostname,
    log_directory: podLogDir(env, pod),
    dns_config: dnsConfig(env, pod),
    port_mappings: portMappings(pod),
    labels: { ...(m.labels ?? {}), [POD_NAME]: m.name!, [POD_NAMESPACE]: m.namespace!, [POD_UID]: m.uid! },
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      cgroup_parent: podCgroupParent(env, m.uid!),
      sysctls: Object.fromEntries((sc?.sysctls ?? []).map((s) => [s.name, s.value])),
      security_context: {
        namespace_options: namespaceOptions(pod),
        privileged: allContainers(pod).some((c) => c.securityContext?.privileged),
        run_as_user: sc?.runAsUser !== undefined ? { value: sc.runAsUser } : null,
        run_as_group: sc?.runAsGroup !== undefined ? { value: sc.runAsGroup } : null,
        supplemental_groups: sc?.supplementalGroups ?? [],
      },
    },
  };
}
