// The cluster on top of the lab's nodes: `tskube server` in the master's netns, `tskube agent`
// in every node's holder namespaces (master tainted control-plane, as kubeadm does), then the
// admin kubeconfig. Tolerates an unbuilt control plane with a clear warning.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { logger } from '../../control/client/log.js';
import { agentJs, API_URL, checkout, kubeconfigFile, labDir, serverJs, tskubeJs, type LabNode } from './config.js';
import { stateNode } from './state.js';
import { assertRunning, readPid, startDaemon } from './procs.js';
import { httpGet, waitFor } from './wait.js';
import { agentSecurityArgs, labIsSecure, makePki, pkiDir, serverSecurityArgs } from './secure.js';
import { ApiClient } from '../../control/client/api-client.js';
import { pkiFiles, type PkiFiles } from '../../control/pki/layout.js';

const log = logger('lab');
const node = process.execPath;

let pki: PkiFiles | undefined;

/** GET on the API as the admin (over HTTPS with the lab's CA and admin certificate when secure). */
async function apiGet(p: string): Promise<string | undefined> {
  if (!pki) return httpGet(`${API_URL}${p}`);
  try { return JSON.stringify(await ApiClient.fromKubeconfig(kubeconfigFile, 'tskube-lab').request('GET', p)); } catch { return undefined; }
}

export async function startCluster(nodes: LabNode[], storageUrl?: string): Promise<void> {
  if (labIsSecure()) pki = await makePki(nodes);
  else writeKubeconfig();
  if (!existsSync(serverJs)) {
    warn(`${path.relative(checkout, serverJs)} is not built: the lab is up WITHOUT control plane and agents`);
    printKubeconfig();
    return;
  }
  const t = performance.now();
  const master = nodes[0]!;
  startDaemon('server', 'nsenter', [`--net=/run/netns/${master.ns}`, `--wd=${checkout}`, node, tskubeJs, 'server',
    '--listen', '0.0.0.0:6443', '--data-dir', path.join(labDir, 'master/server'), ...(storageUrl ? ['--storage', storageUrl] : []),
    ...(pki ? serverSecurityArgs(pki) : [])]);
  await waitFor(`API server at ${API_URL}/version (log .lab/logs/server.log)`, () => { assertRunning('server'); return apiGet('/version'); }, 30_000, 100);
  console.log(`  ${'api server'.padEnd(12)} ${Math.round(performance.now() - t)} ms`);

  if (!existsSync(agentJs)) {
    warn(`${path.relative(checkout, agentJs)} is not built: no agents started`);
  } else {
    const t2 = performance.now();
    for (const n of nodes) startAgent(n);
    const want = nodes.map((n) => n.name);
    await waitFor(`nodes ${want.join(', ')} to register (logs .lab/logs/agent-*.log)`, async () => {
      for (const n of nodes) assertRunning(`agent-${n.name}`);
      const body = await apiGet('/api/v1/nodes');
      if (!body) return undefined;
      const have = new Set((JSON.parse(body) as { items?: { metadata?: { name?: string } }[] }).items?.map((i) => i.metadata?.name));
      return want.every((w) => have.has(w)) || undefined;
    }, 60_000, 200);
    if (pki) await ApiClient.fromKubeconfig(kubeconfigFile, 'tskube-lab').request('PATCH', `/api/v1/nodes/${master.name}`, { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }, 'application/merge-patch+json');
    console.log(`  ${'agents'.padEnd(12)} ${Math.round(performance.now() - t2)} ms (${want.length} nodes registered)`);
  }
  printKubeconfig();
}

/** Starts one node's agent again, as after a crash (used by the kubelet restart-safety e2e). */
export function restartAgent(name: string): void {
  if (labIsSecure() && !pki) pki = pkiFiles(pkiDir);
  startAgent(stateNode(name));
}

function startAgent(n: LabNode): void {
  const holder = readPid(`holder-${n.name}`);
  const args = ['-t', String(holder), '-m', '-n', `--wd=${checkout}`, node, ...agentNodeFlags(), tskubeJs, 'agent',
    '--node-name', n.name,
    '--node-ip', n.ip,
    '--server', API_URL,
    '--container-runtime-endpoint', `unix://${n.criSocket}`,
    '--root-dir', n.kubeletDir,
    '--cni-conf-dir', n.cniConfDir,
    '--cgroup-root', n.cgroupRoot,
    ...(pki ? agentSecurityArgs(pki, n) : [])];
  if (n.name === 'master') {
    args.push('--register-with-taints', 'node-role.kubernetes.io/control-plane=:NoSchedule');
    // NodeRestriction forbids a kubelet its node-role label: the admin sets it (labelMaster), as kubeadm does.
    if (!pki) args.push('--node-labels', 'node-role.kubernetes.io/control-plane=');
  }
  startDaemon(`agent-${n.name}`, 'nsenter', args, agentEnv());
}

/**
 * The agent's V8 flags (docs/agent-memory.md): a 1 MiB young generation and V8's lite mode
 * (interpreter only, size-optimized heap), and gc() for the agent's own full collections after
 * pod churn (agent/kubelet/util/heap.ts), keep it under 64 MB with 30 pods.
 * TSKUBE_AGENT_NODE_FLAGS replaces them for experiments.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--expose-gc'];

/** AGENT_NODE_FLAGS, or TSKUBE_AGENT_NODE_FLAGS (space-separated) when set. */
export function agentNodeFlags(): string[] {
  const env = process.env.TSKUBE_AGENT_NODE_FLAGS;
  return env !== undefined ? env.split(/\s+/).filter(Boolean) : AGENT_NODE_FLAGS;
}

/** glibc malloc for the agent: 2 arenas instead of 8 per core for V8's and libuv's threads, and
 *  blocks of 32 KiB and up (socket read buffers) mapped on their own, so they go back to the
 *  kernel when freed instead of fragmenting the heap (docs/agent-memory.md). */
const AGENT_MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=32768:glibc.malloc.trim_threshold=65536';

/** TSKUBE_AGENT_MALLOC_ARENA_MAX and TSKUBE_AGENT_GLIBC_TUNABLES override, for experiments. */
function agentEnv(): Record<string, string> {
  return {
    MALLOC_ARENA_MAX: process.env.TSKUBE_AGENT_MALLOC_ARENA_MAX ?? '2',
    GLIBC_TUNABLES: process.env.TSKUBE_AGENT_GLIBC_TUNABLES ?? AGENT_MALLOC_TUNABLES,
  };
}

function warn(msg: string): void {
  log.debug({ warning: msg }, 'lab warning');
  console.error(`tskube lab: WARNING: ${msg}`);
}

function writeKubeconfig(): void {
  writeFileSync(kubeconfigFile, `apiVersion: v1
kind: Config
clusters:
- name: tskube-lab
  cluster:
    server: ${API_URL}
users:
- name: admin
  user: {}
contexts:
- name: admin@tskube-lab
  context:
    cluster: tskube-lab
    user: admin
current-context: admin@tskube-lab
`);
}

function printKubeconfig(): void {
  const rel = path.relative(process.cwd(), kubeconfigFile) || kubeconfigFile;
  console.log(`\n# ${kubeconfigFile}\n${readFileSync(kubeconfigFile, 'utf8')}`);
  console.log(`try: kubectl --kubeconfig ${rel} get nodes`);
}
