// Test/bench harness: one node's worth of the real thing — a `tskube server` child process,
// a private containerd (cri-containerd.ts) or dockerd behind our dockershim (cri-docker.ts), and
// the kubelet running in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ApiClient } from '../../control/client/api-client.js';
import { R } from '../../control/client/resources.js';
import { defaultConfig, type KubeletConfig } from '../../agent/kubelet/config.js';
import { startKubelet, type Kubelet } from '../../agent/kubelet/kubelet.js';
import { startTestContainerd, type TestContainerd } from './cri-containerd.js';
import { startTestDocker } from './cri-docker.js';

export type TestRuntimeName = 'containerd' | 'docker';

export interface KubeletStack {
  ctr: TestContainerd;
  client: ApiClient;
  kubelet: Kubelet;
  kubeletPort: number;
  nodeName: string;
  /** Stops the kubelet (pods keep running, as when the agent dies) and starts a fresh one. */
  restartKubelet(whileDown?: () => Promise<void>): Promise<Kubelet>;
  stop(): Promise<void>;
}

export const freePort = () => new Promise<number>((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
});

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function startKubeletStack(opts: { nodeName: string; subnet: string; hostLink?: boolean; kubelet?: Partial<KubeletConfig>; runtime?: TestRuntimeName }): Promise<KubeletStack> {
  // TSKUBE_CRI_RUNTIME=docker runs a whole test file that does not choose on dockershim.
  const runtime = opts.runtime ?? (process.env.TSKUBE_CRI_RUNTIME as TestRuntimeName | undefined) ?? 'containerd';
  const start = runtime === 'docker' ? startTestDocker : startTestContainerd;
  const ctr = await start({ subnet: opts.subnet, hostLink: opts.hostLink ?? false });
  const dataDir = mkdtempSync('/tmp/tskube-kl-srv-');
  let server: ChildProcess | undefined;
  let kubelet: Kubelet | undefined;
  const stop = async () => {
    await kubelet?.stop();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await ctr.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const bin = join(process.cwd(), 'dist', 'bin', 'tskube.js');
    server = spawn(process.execPath, [bin, 'server', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const client = new ApiClient({ server: `http://127.0.0.1:${port}` });
    await waitFor('API server', () => client.list(R.namespaces).then(() => true));
    const kubeletPort = await freePort();
    const cfg = defaultConfig({
      nodeName: opts.nodeName, nodeIp: '192.168.56.99', server: client.server, runtimeEndpoint: ctr.endpoint,
      rootDir: join(ctr.dir, 'kubelet'), cgroupRoot: `${ctr.cgroupRoot}/${opts.nodeName}`, port: kubeletPort,
      nodeLabels: { 'node-role.kubernetes.io/worker': '' }, ...opts.kubelet,
    });
    kubelet = await startKubelet(cfg, client);
    const stack: KubeletStack = {
      ctr, client, kubelet, kubeletPort, nodeName: opts.nodeName, stop,
      async restartKubelet(whileDown) {
        await kubelet?.stop();
        kubelet = undefined;
        await whileDown?.();
        kubelet = await startKubelet(cfg, new ApiClient({ server: client.server }));
        stack.kubelet = kubelet;
        return kubelet;
      },
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}
