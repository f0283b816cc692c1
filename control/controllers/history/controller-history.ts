// Controller history (upstream pkg/controller/history): the ControllerRevisions a DaemonSet or
// StatefulSet owns, one per distinct pod template, named <parent>-<hash>, numbered 1, 2, …; the
// current template's revision always carries the highest number (a rollback renumbers the old
// one), and revisions beyond revisionHistoryLimit that no live pod uses are deleted, oldest first.
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { ApiClient, isConflict, isNotFound, type KubeObject } from '../../client/api-client.js';
import { R } from '../../client/resources.js';
import { SharedInformers } from '../informers.js';
import { newControllerRef } from '../util/owners.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

type CR = ControllerRevision & KubeObject;

export interface HistoryParent extends KubeObject {
  metadata?: KubeObject['metadata'] & { annotations?: Record<string, string> };
  spec?: { template?: PodTemplateSpec; revisionHistoryLimit?: number };
}

/** What a revision stores: a strategic-merge patch that puts this template back (upstream getPatch). */
export function revisionData(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

export class ControllerHistory {
  private readonly inf;

  constructor(private readonly client: ApiClient, informers: SharedInformers) {
    this.inf = informers.for<ControllerRevision>(R.controllerrevisions);
  }

  /** The parent's revisions, lowest number first. */
  owned(parent: HistoryParent): CR[] {
    return this.inf.list()
      .filter((r) => r.metadata?.namespace === parent.metadata?.namespace && r.metadata?.ownerReferences?.some((o) => o.controller && o.uid === parent.metadata?.uid))
      .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  }

  /**
   * Makes the revision for the parent's current template (hash) the newest, then trims the
   * history, keeping revisions whose hash or name is in `inUse`. Returns the current revision.
   */
  async sync(parent: HistoryParent, apiVersion: string, kind: string, hash: string, inUse: Set<string>): Promise<CR> {
    const ns = parent.metadata!.namespace!;
    const name = `${parent.metadata!.name}-${hash}`;
    const revisions = this.owned(parent);
    const max = revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    let cur = revisions.find((r) => r.metadata?.name === name);
    if (cur && (cur.revision ?? 0) < max) {
      cur = await this.client.update<CR>(R.controllerrevisions, { ...cur, revision: max + 1 });
    } else if (!cur) {
      const template = parent.spec?.template;
      const want: CR = {
        apiVersion: 'apps/v1', kind: 'ControllerRevision',
        metadata: { name, namespace: ns, labels: { ...(template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
          ...(parent.metadata?.annotations ? { annotations: { ...parent.metadata.annotations } } : {}),
          ownerReferences: [newControllerRef(parent as never, apiVersion, kind)] },
        data: revisionData(template), revision: max + 1,
      };
      try {
        cur = await this.client.create<CR>(R.controllerrevisions, want);
      } catch (err) {
        if (!isConflict(err)) throw err; // ours already, our cache is behind: the next sync sees it
        cur = want;
      }
    }
    await this.truncate(parent, revisions.filter((r) => r.metadata?.name !== name), inUse);
    return cur;
  }

  private async truncate(parent: HistoryParent, old: CR[], inUse: Set<string>): Promise<void> {
    const limit = parent.spec?.revisionHistoryLimit ?? 10;
    const idle = old.filter((r) => !inUse.has(r.metadata?.name ?? '') && !inUse.has(r.metadata?.labels?.[REVISION_HASH_LABEL] ?? ''));
    for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.client.delete(R.controllerrevisions, r.metadata!.name!, r.metadata!.namespace, { uid: r.metadata?.uid as string | undefined });
      } catch (err) { if (!isNotFound(err)) throw err; }
    }
  }
}
