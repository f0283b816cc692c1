// Discovery: /api, /apis, /api/v1 and /apis/<group>/<version> resource lists with verbs,
// short names and categories, and /version. kubectl learns every resource from these.
import type { ResourceDef } from './resource-def.js';
import { groupVersions } from './resources/index.js';
import type { ExtraGroup } from './extension.js';

let extraGroups: ExtraGroup[] = [];
/** Groups served by extensions (metrics.k8s.io), listed beside the built-in ones. */
export function setExtraGroups(groups: ExtraGroup[]): void { extraGroups = groups; }

const verbsFor = (d: ResourceDef): string[] =>
  d.readOnly ? ['get', 'list'] : ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const subresourceEntries = (d: ResourceDef) => (d.subresources ?? []).map((s) => {
  const base = { name: `${d.resource}/${s}`, singularName: '', namespaced: d.namespaced };
  switch (s) {
    case 'status': return { ...base, kind: d.kind, verbs: ['get', 'patch', 'update'] };
    case 'scale': return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'binding': return { ...base, kind: 'Binding', verbs: ['create'] };
    case 'log': return { ...base, kind: 'Pod', verbs: ['get'] };
    case 'exec': return { ...base, kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach': return { ...base, kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward': return { ...base, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'eviction': return { ...base, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
    case 'proxy': return { ...base, kind: d.resource === 'pods' ? 'PodProxyOptions' : 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    case 'finalize': return { ...base, kind: d.kind, verbs: ['update'] };
  }
});

export function apiResourceList(group: string, version: string): object | undefined {
  const extra = extraGroups.find((g) => g.name === group && g.version === version);
  if (extra) return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: extra.resources };
  const gv = groupVersions().find((g) => g.group === group && g.version === version);
  if (!gv) return undefined;
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version,
    resources: gv.resources.flatMap((d) => [{
      name: d.resource, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: verbsFor(d),
      ...(d.shortNames ? { shortNames: d.shortNames } : {}), ...(d.categories ? { categories: d.categories } : {}),
    }, ...subresourceEntries(d)]),
  };
}

export const coreVersions = (serverAddress: string) => ({
  kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
});

export function apiGroupList(): object {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions()) if (gv.group) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  for (const g of extraGroups) groups.set(g.name, [...(groups.get(g.name) ?? []), g.version]);
  return {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function apiGroup(name: string): object | undefined {
  const g = (apiGroupList() as { groups: Array<{ name: string }> }).groups.find((x) => x.name === name);
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...g };
}

export const versionInfo = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-tskube', gitCommit: 'tskube', gitTreeState: 'clean',
  buildDate: '2026-11-22T00:00:00Z', goVersion: `node${process.versions.node}`, compiler: 'tsc', platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};
