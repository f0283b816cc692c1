// Container log rotation on containerd (agent/kubelet/logs/container-log-manager.ts): a chatty
// container's log is rotated at containerLogMaxSize through CRI ReopenContainerLog, older
// rotations are gzipped, no more than containerLogMaxFiles files stay, and `kubectl logs -f`
// keeps following across rotations. Docker rotates its own logs, so this runs on containerd only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { kubectl, kubectlPath } from '../helpers/server.js';
import { startKubeletStack, waitFor, type KubeletStack } from './cri-kubelet-stack.js';

const NODE = 'kl-logrot';
const skip = process.env.TSKUBE_CRI_RUNTIME === 'docker' && 'Docker rotates its own json-file logs (daemon.json log-opts)';
let stack: KubeletStack;
let client: ApiClient;
const dir = mkdtempSync('/tmp/tskube-kl-logrot-');
const kubeconfig = join(dir, 'kubeconfig');
const MAX_FILES = 3;

before(async () => {
  if (skip) return;
  stack = await startKubeletStack({ nodeName: NODE, subnet: '10.244.243.0/24', hostLink: true,
    kubelet: { nodeIp: '127.0.0.1', containerLogMaxSize: 16 * 1024, containerLogMaxFiles: MAX_FILES, containerLogMonitorIntervalMs: 300 } });
  client = stack.client;
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${client.server}"}}]\nusers: [{name: t, user: {}}]\ncontexts: [{name: t, context: {cluster: t, user: t}}]\ncurrent-context: t\n`);
  const pod: Pod = { metadata: { name: 'chatty', namespace: 'default' }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i ................................................................................"; sleep 0.01; done'] }] } };
  await client.create(R.pods, pod);
  await waitFor('chatty running', async () => (await client.get<Pod>(R.pods, 'chatty', 'default')).status?.containerStatuses?.[0]?.state?.running, 30_000);
});
after(async () => { await stack?.stop(); rmSync(dir, { recursive: true, force: true }); });

/** The container's log directory under the kubelet's root: <root>/logs/pods/<ns>_<name>_<uid>/main. */
function logDir(): string {
  const pods = join(stack.ctr.dir, 'kubelet', 'logs', 'pods');
  const d = readdirSync(pods).find((e) => e.startsWith('default_chatty_'))!;
  return join(pods, d, 'main');
}
const lineNumbers = (text: string) => [...text.matchAll(/line (\d+) /g)].map((m) => Number(m[1]));

test('a chatty container\'s log is rotated, older files gzipped, at most containerLogMaxFiles kept; logs -f follows', { skip }, async () => {
  const follow = spawn(kubectlPath, ['--kubeconfig', kubeconfig, 'logs', '-f', 'chatty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let followed = '';
  follow.stdout.on('data', (d: Buffer) => { followed += d.toString(); });
  try {
    const files = await waitFor('a gzipped rotation', async () => {
      const f = readdirSync(logDir());
      return f.some((n) => /^0\.log\.\d{8}-\d{6}\.gz$/.test(n)) && f;
    }, 30_000, 200) as string[];
    const rotatedAt = Math.max(...lineNumbers(readFileSync(join(logDir(), files.filter((n) => /^0\.log\.\d{8}-\d{6}$/.test(n)).sort().at(-1) ?? '0.log'), 'utf8')));
    // Several more rotations: the count stays bounded.
    await new Promise((r) => setTimeout(r, 4000));
    const now = readdirSync(logDir()).filter((n) => n.startsWith('0.log'));
    assert.ok(now.includes('0.log'), 'the live file is there');
    assert.ok(now.filter((n) => !n.endsWith('.tmp')).length <= MAX_FILES, `at most ${MAX_FILES} files: ${now.join(' ')}`);
    const gz = now.find((n) => n.endsWith('.gz'))!;
    assert.match(gunzipSync(readFileSync(join(logDir(), gz))).toString(), /^\S+ stdout F line \d+ /m, 'a gzipped rotation holds CRI log lines');
    // The follower went on past the rotation, in order and without repeats.
    await waitFor('logs -f past the rotation', async () => Math.max(0, ...lineNumbers(followed)) > rotatedAt + 100, 10_000, 100);
    const seen = lineNumbers(followed);
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]!), 'logs -f lines only increase');
    // A plain kubectl logs reads the live file.
    const plain = await kubectl(kubeconfig, ['logs', 'chatty', '--tail=1']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(lineNumbers(plain.stdout)[0]! > rotatedAt, 'the live file has the newest lines');
  } finally {
    follow.kill();
  }
});
