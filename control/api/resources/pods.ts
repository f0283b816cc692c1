// Pods: upstream defaulting (restartPolicy, dnsPolicy, imagePullPolicy, …), validation of
// the fields a pod cannot run without, and the READY/STATUS/RESTARTS columns kubectl shows.
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import type { Obj, ResourceDef } from '../resource-def.js';
import { validateObjectMeta, validateName, requireString } from '../validation.js';
import { fieldInvalid, fieldRequired, fieldForbidden } from '../status.js';
import { age, col, ageCol } from '../table.js';

export function defaultPodSpec(spec: Obj | undefined): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
    if (typeof c.image === 'string') {
      const tag = /:([^/:@]+)$/.exec(c.image)?.[1];
      c.imagePullPolicy ??= !c.image.includes('@') && (!tag || tag === 'latest') ? 'Always' : 'IfNotPresent';
    }
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of (c.ports ?? []) as Obj[]) p.protocol ??= 'TCP';
  }
}

export function validatePodSpec(spec: Obj | undefined, path: string): StatusCause[] {
  if (!spec) return [fieldRequired(path)];
  const causes: StatusCause[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) causes.push(fieldRequired(`${path}.containers`));
  const names = new Set<string>();
  (Array.isArray(containers) ? containers : []).forEach((c: Obj, i: number) => {
    const p = `${path}.containers[${i}]`;
    causes.push(...validateName(c?.name, `${p}.name`, true), ...requireString(c?.image, `${p}.image`));
    if (names.has(c?.name)) causes.push({ reason: 'FieldValueDuplicate', field: `${p}.name`, message: `Duplicate value: "${c.name}"` });
    names.add(c?.name);
    (c?.ports ?? []).forEach((port: Obj, j: number) => {
      const n = port?.containerPort;
      if (!Number.isInteger(n) || n < 1 || n > 65535) causes.push(fieldInvalid(`${p}.ports[${j}].containerPort`, n, 'must be between 1 and 65535, inclusive'));
      if (!['TCP', 'UDP', 'SCTP'].includes(port?.protocol)) causes.push({ reason: 'FieldValueNotSupported', field: `${p}.ports[${j}].protocol`, message: `Unsupported value: "${port?.protocol}": supported values: "SCTP", "TCP", "UDP"` });
    });
  });
  if (!['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    causes.push({ reason: 'FieldValueNotSupported', field: `${path}.restartPolicy`, message: `Unsupported value: "${spec.restartPolicy}": supported values: "Always", "OnFailure", "Never"` });
  }
  return causes;
}

/** What the STATUS column shows, as kubectl's printPod does. */
export function podStatusReason(pod: Obj): { reason: string; ready: number; total: number; restarts: number } {
  const st = pod.status ?? {};
  let reason: string = st.reason ?? st.phase ?? 'Pending';
  const total = pod.spec?.containers?.length ?? 0;
  let ready = 0, restarts = 0;
  for (const cs of (st.containerStatuses ?? []) as Obj[]) {
    restarts += cs.restartCount ?? 0;
    if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state?.terminated) reason = cs.state.terminated.reason ?? (cs.state.terminated.signal ? `Signal:${cs.state.terminated.signal}` : `ExitCode:${cs.state.terminated.exitCode}`);
    else if (cs.ready && cs.state?.running) ready++;
  }
  if (reason === 'Running' && ready < total && !(st.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True')) reason = 'Running';
  if (pod.metadata?.deletionTimestamp) reason = st.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { reason, ready, total, restarts };
}

export const pods: ResourceDef = {
  group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true,
  shortNames: ['po'], categories: ['all'], statusSubresource: true, subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'eviction', 'proxy'],
  defaults(obj) { defaultPodSpec(obj.spec); },
  validate(obj, old) {
    const causes = [...validateObjectMeta(obj.metadata, false), ...validatePodSpec(obj.spec, 'spec')];
    if (old) {
      const strip = (s: Obj) => JSON.stringify({ ...s, containers: (s.containers ?? []).map((c: Obj) => ({ ...c, image: undefined })), activeDeadlineSeconds: undefined, tolerations: undefined, terminationGracePeriodSeconds: undefined });
      if (strip(obj.spec) !== strip(old.spec)) causes.push(fieldForbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
    }
    return causes;
  },
  beforeCreate(obj) {
    obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
  table: {
    columns: [col('Ready'), col('Status'), col('Restarts', 0, 'string'), ageCol, col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1)],
    cells(pod) {
      const s = podStatusReason(pod);
      return [`${s.ready}/${s.total}`, s.reason, String(s.restarts), age(pod.metadata?.creationTimestamp),
        pod.status?.podIP ?? '<none>', pod.spec?.nodeName ?? '<none>', pod.status?.nominatedNodeName ?? '<none>', '<none>'];
    },
  },
};
