// Raw Docker baselines for the pod-startup bench on a Docker node: `docker run -d` through the
// docker CLI and the same create + start through the Engine API (dockerode), image present,
// network none (the node's dockerd has no bridge), against the dockerd the shim uses.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { Timings } from './cri-raw.js';

const execFileP = promisify(execFile);

/** n × `docker run -d` (CLI, when installed) and n × createContainer+start (API); all removed after. */
export async function rawDockerRuns(socket: string, n: number, t: Timings): Promise<void> {
  const docker = new Docker({ socketPath: socket });
  const ids: string[] = [];
  try {
    const cli = await execFileP('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Client.Version}}']).then(() => true, () => false);
    for (let i = 0; i < n && cli; i++) {
      const t0 = performance.now();
      const { stdout } = await execFileP('docker', ['-H', `unix://${socket}`, 'run', '-d', '--network', 'none', 'busybox', 'sleep', '3600']);
      (t['docker run -d (CLI)'] ??= []).push(performance.now() - t0);
      ids.push(stdout.trim());
    }
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
      await c.start();
      (t['create+start (API)'] ??= []).push(performance.now() - t0);
      ids.push(c.id);
    }
  } finally {
    await Promise.all(ids.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => {})));
  }
}
