// The API server's credentials toward kubelets (--kubelet-client-certificate, --kubelet-client-key,
// --kubelet-certificate-authority): set once at start, used by every proxied call to a
// kubelet's :10250 (pods/log, pods/exec, nodes/proxy, stats) as an undici dispatcher.
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

let agent: Agent | undefined;
let scheme: 'http' | 'https' = 'http';
let pems: { cert?: string; key?: string; ca?: string; rejectUnauthorized: boolean } | undefined;

export function setKubeletClientTls(o: { certFile?: string; keyFile?: string; caFile?: string }): void {
  if (!o.certFile && !o.caFile) return;
  const read = (f?: string) => (f ? readFileSync(f, 'utf8') : undefined);
  pems = { cert: read(o.certFile), key: read(o.keyFile), ca: read(o.caFile), rejectUnauthorized: !!o.caFile };
  agent = new Agent({ connect: pems });
  scheme = 'https';
}

/** "https" once the API server has kubelet client credentials, else "http" (the plain lab). */
export const kubeletScheme = (): 'http' | 'https' => scheme;

/** Options for undici's fetch/request: `{ dispatcher }` with the client certificate, or {}. */
export const kubeletDispatcher = (): { dispatcher?: Agent } => (agent ? { dispatcher: agent } : {});

/** For node:https request() (WebSocket/SPDY upgrades): cert, key, ca; {} on plain HTTP. */
export const kubeletTlsRequestOptions = (): { cert?: string; key?: string; ca?: string; rejectUnauthorized?: boolean } => pems ?? {};
