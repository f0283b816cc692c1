// The audit log (--audit-log-path, --audit-policy-file): one audit.k8s.io/v1 Event per request
// as a JSON line at ResponseComplete — who (user, groups, source IP, user agent), what (verb,
// URI, objectRef), the answer (code) and the authorization decision. The policy's first
// matching rule picks the level: None, Metadata, Request (adds requestObject, the request
// body) or RequestResponse (adds responseObject too). Without a policy every request is Metadata.
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import type { Attributes, UserInfo } from './types.js';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
const LEVELS: Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: Array<{ group?: string; resources?: string[]; resourceNames?: string[] }>;
  namespaces?: string[];
  nonResourceURLs?: string[];
}

export function parsePolicy(text: string, source = 'audit policy'): PolicyRule[] {
  let doc: { kind?: string; rules?: PolicyRule[] };
  try { doc = parse(text) ?? {}; } catch (err) { throw new Error(`${source}: not valid YAML: ${(err as Error).message}`); }
  if (doc.kind !== 'Policy') throw new Error(`${source}: kind must be Policy (audit.k8s.io/v1), got ${JSON.stringify(doc.kind)}`);
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) throw new Error(`${source}: a policy needs at least one rule`);
  doc.rules.forEach((r, i) => { if (!LEVELS.includes(r?.level)) throw new Error(`${source}: rules[${i}].level must be one of ${LEVELS.join(', ')}`); });
  return doc.rules;
}

const inList = (list: string[] | undefined, v: string) => !list || list.length === 0 || list.includes(v);

export function levelFor(rules: PolicyRule[], a: Attributes): Level {
  for (const r of rules) {
    if (!inList(r.users, a.user.username)) continue;
    if (r.userGroups?.length && !r.userGroups.some((g) => a.user.groups.includes(g))) continue;
    if (!inList(r.verbs, a.verb)) continue;
    if (a.resourceRequest) {
      if (r.nonResourceURLs?.length) continue;
      if (r.namespaces?.length && !r.namespaces.includes(a.namespace ?? '')) continue;
      if (r.resources?.length && !r.resources.some((g) => (g.group ?? '') === (a.apiGroup ?? '')
        && inList(g.resources, a.subresource ? `${a.resource}/${a.subresource}` : a.resource!) && inList(g.resourceNames, a.name ?? ''))) continue;
    } else {
      if (r.resources?.length || r.namespaces?.length) continue;
      if (r.nonResourceURLs?.length && !r.nonResourceURLs.some((u) => u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))))) continue;
    }
    return r.level;
  }
  return 'None';
}

export interface AuditRecord {
  attrs: Attributes;
  uri: string;
  sourceIP: string;
  userAgent?: string;
  code: number;
  decision?: string;
  reason?: string;
  received: Date;
  body?: unknown;
  /** The JSON answer (kept only at RequestResponse). */
  response?: unknown;
  /** Who authenticated, when the request impersonated attrs.user (kubectl --as). */
  impersonator?: UserInfo;
}

const userJson = (u: UserInfo) => ({ username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) });

export class AuditLog {
  private readonly out: WriteStream | NodeJS.WriteStream;
  constructor(path: string, private readonly rules: PolicyRule[] = [{ level: 'Metadata' }]) {
    this.out = path === '-' ? process.stdout : createWriteStream(path, { flags: 'a', mode: 0o600 });
  }

  static open(path: string, policyFile?: string): AuditLog {
    return new AuditLog(path, policyFile ? parsePolicy(readFileSync(policyFile, 'utf8'), policyFile) : undefined);
  }

  /** The level for these attributes (None: nothing is written). */
  level(a: Attributes): Level { return levelFor(this.rules, a); }

  write(r: AuditRecord, level = this.level(r.attrs)): void {
    if (level === 'None') return;
    const a = r.attrs;
    const ev: Record<string, unknown> = {
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level, auditID: randomUUID(), stage: 'ResponseComplete',
      requestURI: r.uri, verb: a.verb,
      // As upstream: user is who authenticated; impersonatedUser whom they acted as.
      user: userJson(r.impersonator ?? a.user), ...(r.impersonator ? { impersonatedUser: userJson(a.user) } : {}),
      sourceIPs: [r.sourceIP], ...(r.userAgent ? { userAgent: r.userAgent } : {}),
      ...(a.resourceRequest ? { objectRef: { resource: a.resource, namespace: a.namespace, name: a.name, apiGroup: a.apiGroup || undefined, apiVersion: a.apiVersion, subresource: a.subresource } } : {}),
      responseStatus: { metadata: {}, code: r.code },
      // As upstream: objects only for resource requests; requestObject from Request up,
      // responseObject at RequestResponse.
      ...(a.resourceRequest && level !== 'Metadata' && r.body !== undefined ? { requestObject: r.body } : {}),
      ...(a.resourceRequest && level === 'RequestResponse' && r.response !== undefined ? { responseObject: r.response } : {}),
      requestReceivedTimestamp: r.received.toISOString(), stageTimestamp: new Date().toISOString(),
      annotations: r.decision ? { 'authorization.k8s.io/decision': r.decision, 'authorization.k8s.io/reason': r.reason ?? '' } : undefined,
    };
    this.out.write(JSON.stringify(ev) + '\n');
  }

  close(): void { if (this.out !== process.stdout) (this.out as WriteStream).end(); }
}
