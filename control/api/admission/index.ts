// The admission chain: plugins run in upstream's order, mutating ones after defaulting and
// validating ones after validation. Enabled by default: NamespaceLifecycle, LimitRanger,
// ServiceAccount, ResourceQuota; AlwaysPullImages and NodeRestriction are off unless enabled
// (kubeadm and the secure lab enable NodeRestriction).
import type { Obj, ResourceDef } from '../resource-def.js';
import type { Store } from '../storage.js';
import type { UserInfo } from '../auth/types.js';
import type { AdmissionPlugin, Operation } from './plugin.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import { limitRanger } from './limit-ranger.js';
import { serviceAccount } from './service-account.js';
import { alwaysPullImages } from './always-pull-images.js';
import { resourceQuota } from './resource-quota.js';
import { nodeRestriction } from './node-restriction.js';

export type { AdmissionPlugin, Operation };

/** Every plugin, in the order they run. */
export const allPlugins: AdmissionPlugin[] = [namespaceLifecycle, limitRanger, serviceAccount, nodeRestriction, alwaysPullImages, resourceQuota];
export const defaultPlugins = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'ResourceQuota'];

export class Admission {
  private readonly plugins: AdmissionPlugin[];

  private readonly tokens: boolean;

  /** `builtIn`: always-on checks the server adds after the plugins (RBAC escalation prevention). */
  constructor(private readonly store: Store, opts: { enable?: string[]; disable?: string[]; serviceAccountTokens?: boolean; builtIn?: AdmissionPlugin[] } = {}) {
    this.tokens = !!opts.serviceAccountTokens;
    const names = new Set([...defaultPlugins, ...(opts.enable ?? [])]);
    for (const d of opts.disable ?? []) names.delete(d);
    const unknown = [...names].filter((n) => !allPlugins.some((p) => p.name === n));
    if (unknown.length) throw new Error(`unknown admission plugin(s): ${unknown.join(', ')} (known: ${allPlugins.map((p) => p.name).join(', ')})`);
    this.plugins = [...allPlugins.filter((p) => names.has(p.name)), ...(opts.builtIn ?? [])];
  }

  enabled(): string[] { return this.plugins.map((p) => p.name); }

  async mutate(op: Operation, def: ResourceDef, obj: Obj, old?: Obj, sub?: string, user?: UserInfo): Promise<void> {
    for (const p of this.plugins) await p.mutate?.({ op, def, obj, old, sub, store: this.store, serviceAccountTokens: this.tokens, user });
  }

  async validate(op: Operation, def: ResourceDef, obj: Obj, old?: Obj, sub?: string, user?: UserInfo): Promise<void> {
    for (const p of this.plugins) await p.validate?.({ op, def, obj, old, sub, store: this.store, serviceAccountTokens: this.tokens, user });
  }
}
