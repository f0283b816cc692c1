// Loading a kubeconfig as every tskube component and test does: the current (or named)
// context's server, CA, client certificate and key (inline *-data or files relative to the
// kubeconfig), and bearer token — the options ApiClient needs to speak HTTPS.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface ClientCredentials {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
}

type Named<T> = Array<{ name?: string } & T>;
interface KubeconfigDoc {
  clusters?: Named<{ cluster?: Record<string, unknown> }>;
  users?: Named<{ user?: Record<string, unknown> }>;
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>;
  'current-context'?: string;
}

export function parseKubeconfig(text: string, baseDir = '.', contextName?: string): ClientCredentials {
  let doc: KubeconfigDoc;
  try { doc = (parse(text) ?? {}) as KubeconfigDoc; } catch (err) { throw new Error(`kubeconfig is not valid YAML: ${(err as Error).message}`); }
  const want = contextName ?? doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c) => c.name === want) ?? (want ? undefined : doc.contexts?.[0]);
  if (!ctx?.context) throw new Error(`kubeconfig: context ${JSON.stringify(want ?? '')} not found`);
  const cluster = (doc.clusters ?? []).find((c) => c.name === ctx.context!.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`kubeconfig: cluster ${JSON.stringify(ctx.context.cluster)} has no server`);
  const user = (doc.users ?? []).find((u) => u.name === ctx.context!.user)?.user ?? {};
  // Inline data wins over a file, as client-go does.
  const pick = (data: unknown, file: unknown, what: string): string | undefined => {
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
    if (typeof file === 'string' && file) {
      try { return readFileSync(path.resolve(baseDir, file), 'utf8'); } catch (err) { throw new Error(`kubeconfig: cannot read ${what} ${file}: ${(err as Error).message}`); }
    }
    return undefined;
  };
  const token = typeof user.token === 'string' ? user.token : pick(undefined, user.tokenFile, 'tokenFile')?.trim();
  return {
    server: cluster.server.replace(/\/$/, ''),
    ca: pick(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate-authority'),
    cert: pick(user['client-certificate-data'], user['client-certificate'], 'client-certificate'),
    key: pick(user['client-key-data'], user['client-key'], 'client-key'),
    token: token || undefined,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

export function loadKubeconfig(file: string, contextName?: string): ClientCredentials {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new Error(`cannot read kubeconfig ${file}: ${(err as Error).message}`); }
  return parseKubeconfig(text, path.dirname(path.resolve(file)), contextName);
}
