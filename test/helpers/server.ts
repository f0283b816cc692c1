// Test helper: a real `tskube server` on a free loopback port with its own data dir, a
// kubeconfig for it, and a kubectl runner — used by integration tests.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const kubectlPath = process.env.KUBECTL ?? '/usr/bin/kubectl';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    }).on('error', rej);
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) { lastErr = err; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface TestServer { url: string; kubeconfig: string; dir: string; proc: ChildProcess; stop(): Promise<void> }

export async function startServer(extraArgs: string[] = []): Promise<TestServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tskube-it-'));
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [join(repoRoot, 'dist/bin/tskube.js'), 'server', '--listen', `127.0.0.1:${port}`, '--data-dir', dir, ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += d; });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: t, cluster: {server: "${url}"}}]\nusers: [{name: t, user: {}}]\ncontexts: [{name: t, context: {cluster: t, user: t}}]\ncurrent-context: t\n`);
  await waitFor(`API server at ${url} (${stderr.slice(-300)})`, async () => (await fetch(`${url}/readyz`)).ok, 20_000);
  return {
    url, kubeconfig, dir, proc,
    stop: () => stopServer(proc, dir),
  };
}

/** SIGTERM, SIGKILL after 3 s if it lingers, then the server's data dir goes. */
export async function stopServer(proc: ChildProcess, dir: string): Promise<void> {
  if (proc.exitCode === null) {
    proc.kill('SIGTERM');
    await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface RunResult { code: number; stdout: string; stderr: string }

export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((res) => {
    const child = execFile(kubectlPath, ['--kubeconfig', kubeconfig, '--cache-dir', join(dirname(kubeconfig), '.kcache'), ...args],
      { timeout: 60_000, maxBuffer: 10 << 20 }, (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}
