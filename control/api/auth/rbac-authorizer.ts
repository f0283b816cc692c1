// The RBAC authorizer: roles and bindings from the store, cached and refreshed when a watch
// on them fires (upstream's informer-backed evaluator). ClusterRoles with an aggregationRule
// get the union of the rules of the ClusterRoles their selectors match (transitively).
// A binding to a missing role grants nothing and is logged once.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { Store } from '../storage.js';
import { matchesSelector } from '../../client/labels.js';
import { logger } from '../../client/log.js';
import type { Watcher } from '../../store/index.js';
import { describeSubject, ruleAllows, subjectMatches } from './rbac-rules.js';
import { allow, noOpinion, type Attributes, type Authorizer, type Decision } from './types.js';

const log = logger('rbac');
const kinds = { roles: true, rolebindings: true, clusterroles: false, clusterrolebindings: false } as const;

interface Snapshot {
  roles: Map<string, PolicyRule[]>; // ns/name
  clusterRoles: Map<string, PolicyRule[]>; // effective (aggregated) rules
  roleBindings: RoleBinding[];
  clusterRoleBindings: ClusterRoleBinding[];
}

/** Effective rules of every ClusterRole: aggregation resolved to a fixpoint. */
export function aggregate(roles: ClusterRole[]): Map<string, PolicyRule[]> {
  const eff = new Map(roles.map((r) => [r.metadata!.name!, [...(r.rules ?? [])]]));
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const r of roles) {
      const sels = r.aggregationRule?.clusterRoleSelectors;
      if (!sels?.length) continue;
      const rules: PolicyRule[] = [];
      for (const other of roles) {
        if (other === r || !sels.some((s) => matchesSelector(s, other.metadata?.labels))) continue;
        for (const rule of eff.get(other.metadata!.name!) ?? []) if (!rules.some((x) => JSON.stringify(x) === JSON.stringify(rule))) rules.push(rule);
      }
      const own = r.rules ?? [];
      const next = [...own, ...rules.filter((x) => !own.some((o) => JSON.stringify(o) === JSON.stringify(x)))];
      if (JSON.stringify(next) !== JSON.stringify(eff.get(r.metadata!.name!))) { eff.set(r.metadata!.name!, next); changed = true; }
    }
  }
  return eff;
}

export class RbacAuthorizer implements Authorizer {
  readonly name = 'RBAC';
  private snap?: Snapshot;
  private loading?: Promise<Snapshot>;
  private dirty = true;
  private watchers: Watcher[] = [];
  private warned = new Set<string>();

  constructor(private readonly store: Store) {}

  /** Watches the four kinds; any change marks the cache stale (re-listed on the next check). */
  async start(): Promise<void> {
    const rev = await this.store.backend.currentRevision();
    for (const [resource, namespaced] of Object.entries(kinds)) {
      const w = this.store.watch({ resource, namespaced }, undefined, rev, () => { this.dirty = true; });
      w.failed.catch(() => { this.dirty = true; this.watchers = []; }); // without a watch, re-list every time
      this.watchers.push(w);
    }
  }

  stop(): void { for (const w of this.watchers) w.cancel(); }

  private async snapshot(): Promise<Snapshot> {
    if (this.snap && !this.dirty && this.watchers.length) return this.snap;
    if (this.loading) return this.loading;
    this.dirty = false;
    this.loading = (async () => {
      const list = async <T>(resource: string) => (await this.store.list({ resource, namespaced: kinds[resource as keyof typeof kinds] })).items as T[];
      const [roles, rbs, crs, crbs] = await Promise.all([list<Role>('roles'), list<RoleBinding>('rolebindings'), list<ClusterRole>('clusterroles'), list<ClusterRoleBinding>('clusterrolebindings')]);
      return {
        roles: new Map(roles.map((r) => [`${r.metadata!.namespace}/${r.metadata!.name}`, r.rules ?? []])),
        clusterRoles: aggregate(crs), roleBindings: rbs, clusterRoleBindings: crbs,
      };
    })();
    try { this.snap = await this.loading; } finally { this.loading = undefined; }
    return this.snap;
  }

  private rulesOf(s: Snapshot, ref: { kind: string; name: string }, ns: string | undefined, binding: string): PolicyRule[] {
    const rules = ref.kind === 'ClusterRole' ? s.clusterRoles.get(ref.name) : ref.kind === 'Role' && ns ? s.roles.get(`${ns}/${ref.name}`) : undefined;
    if (!rules && !this.warned.has(binding)) {
      this.warned.add(binding);
      log.warn({ binding, roleRef: ref }, `${binding} refers to ${ref.kind} "${ref.name}", which does not exist: it grants nothing`);
    }
    return rules ?? [];
  }

  async authorize(a: Attributes): Promise<Decision> {
    const s = await this.snapshot();
    for (const b of s.clusterRoleBindings) {
      const subj = (b.subjects ?? []).find((x) => subjectMatches(x, a.user));
      if (!subj) continue;
      const name = `ClusterRoleBinding "${b.metadata!.name}"`;
      if (this.rulesOf(s, b.roleRef, undefined, name).some((r) => ruleAllows(r, a))) {
        return allow(`RBAC: allowed by ${name} of ClusterRole "${b.roleRef.name}" to ${describeSubject(subj)}`);
      }
    }
    if (a.resourceRequest && a.namespace) {
      for (const b of s.roleBindings) {
        const ns = b.metadata!.namespace!;
        if (ns !== a.namespace) continue;
        const subj = (b.subjects ?? []).find((x) => subjectMatches(x, a.user, ns));
        if (!subj) continue;
        const name = `RoleBinding "${b.metadata!.name}/${ns}"`;
        if (this.rulesOf(s, b.roleRef, ns, name).some((r) => ruleAllows(r, a))) {
          return allow(`RBAC: allowed by ${name} of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subj, ns)}`);
        }
      }
    }
    return noOpinion();
  }

  /** The next check re-lists instead of trusting the watch to have caught up (a Role and its binding in one apply). */
  invalidate(): void { this.dirty = true; }

  /** The (aggregated) rules a roleRef names from a binding in ns; undefined when the role is missing. */
  async roleRefRules(ref: { kind: string; name: string }, ns: string | undefined): Promise<PolicyRule[] | undefined> {
    const s = await this.snapshot();
    return ref.kind === 'ClusterRole' ? s.clusterRoles.get(ref.name) : ref.kind === 'Role' && ns ? s.roles.get(`${ns}/${ref.name}`) : undefined;
  }

  /** Every rule that applies to the user in ns (SelfSubjectRulesReview-style, for tests and tools). */
  async rulesFor(user: Attributes['user'], ns?: string): Promise<PolicyRule[]> {
    const s = await this.snapshot();
    const out: PolicyRule[] = [];
    for (const b of s.clusterRoleBindings) if ((b.subjects ?? []).some((x) => subjectMatches(x, user))) out.push(...this.rulesOf(s, b.roleRef, undefined, b.metadata!.name!));
    for (const b of s.roleBindings) {
      if (ns && b.metadata!.namespace === ns && (b.subjects ?? []).some((x) => subjectMatches(x, user, ns))) out.push(...this.rulesOf(s, b.roleRef, ns, b.metadata!.name!));
    }
    return out;
  }
}
