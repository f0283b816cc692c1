// The CRI streaming servers as the kubelet's client (agent/cri/streaming) dials them, on both
// runtimes: Exec (remotecommand v4: stdin to EOF, stdout, stderr, the exit Status on the error
// stream) and PortForward (portforward.k8s.io: a data stream to a port inside the pod). Needs root.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dialSpdy } from '../../agent/cri/streaming/dial.js';
import type { SpdyStream } from '../../agent/cri/streaming/spdy.js';
import type { PodSandboxConfigIn } from '../../agent/cri/types.js';
import { startTestContainerd, type TestContainerd } from './cri-containerd.js';
import { startTestDocker } from './cri-docker.js';
import { waitFor } from './cri-kubelet-stack.js';

const collect = (s: SpdyStream | undefined) => new Promise<string>((resolve) => {
  if (!s) return resolve('');
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.once('end', () => resolve(Buffer.concat(chunks).toString()));
  s.once('close', () => resolve(Buffer.concat(chunks).toString()));
});

function suite(runtime: string, start: () => Promise<TestContainerd>, subnet: string): void {
  describe(`CRI streaming on ${runtime}`, () => {
    let ctr: TestContainerd;
    let sandboxId = '', containerId = '';
    before(async () => {
      ctr = await start();
      const uid = `5e7ea000-0000-4000-8000-${runtime === 'docker' ? '000000000002' : '000000000001'}`;
      const sb: PodSandboxConfigIn = {
        metadata: { name: 'stream', namespace: 'default', uid, attempt: 0 }, hostname: 'stream',
        log_directory: `${ctr.dir}/logs/pods/default_stream_${uid}`, dns_config: { servers: ['10.96.0.10'] },
        labels: { 'io.kubernetes.pod.uid': uid }, linux: { cgroup_parent: `${ctr.cgroupRoot}/pod${uid}` },
      };
      await ctr.cri.pullImage({ image: 'busybox' });
      sandboxId = await ctr.cri.runPodSandbox(sb);
      containerId = await ctr.cri.createContainer(sandboxId, {
        metadata: { name: 'web', attempt: 0 }, image: { image: 'busybox' }, log_path: 'web/0.log',
        command: ['sh', '-c', 'mkdir -p /www && echo hello-through-port-forward > /www/index.html && exec httpd -f -p 8080 -h /www'],
      }, sb);
      await ctr.cri.startContainer(containerId);
    });
    after(async () => { await ctr?.stop(); });

    test('Exec: stdin until EOF, stdout, stderr and the exit status', async () => {
      const url = await ctr.cri.exec({ container_id: containerId, cmd: ['sh', '-c', 'cat; echo to-err >&2; exit 7'], stdin: true, stdout: true, stderr: true, tty: false });
      const { conn, protocol } = await dialSpdy(url, ['v4.channel.k8s.io']);
      assert.equal(protocol, 'v4.channel.k8s.io');
      const errS = await conn.openStream({ streamtype: 'error' });
      const [stdin, stdout, stderr] = await Promise.all(['stdin', 'stdout', 'stderr'].map((t) => conn.openStream({ streamtype: t })));
      const outP = collect(stdout), errP = collect(stderr), statusP = collect(errS);
      stdin!.end('typed input\n');
      const status = JSON.parse(await statusP) as { status: string; reason: string; details: { causes: { reason: string; message: string }[] } };
      assert.equal(status.status, 'Failure');
      assert.equal(status.reason, 'NonZeroExitCode');
      assert.deepEqual(status.details.causes.find((c) => c.reason === 'ExitCode')?.message, '7');
      assert.equal(await outP, 'typed input\n');
      assert.equal(await errP, 'to-err\n');
      conn.close();
    });

    test('PortForward: a data stream reaches the pod\'s port', async () => {
      assert.match((await ctr.cri.podSandboxStatus(sandboxId)).status?.network?.ip ?? '', new RegExp(`^${subnet}`));
      const body = await waitFor('answer through port-forward', async () => {
        const url = await ctr.cri.portForward(sandboxId, [8080]);
        const { conn } = await dialSpdy(url, ['portforward.k8s.io']);
        try {
          await conn.openStream({ streamtype: 'error', port: '8080', requestid: '0' });
          const data = await conn.openStream({ streamtype: 'data', port: '8080', requestid: '0' });
          const got = collect(data);
          data.write('GET / HTTP/1.0\r\n\r\n');
          return await Promise.race([got, new Promise<string>((r) => setTimeout(() => r(''), 3000))]);
        } finally { conn.close(); }
      });
      assert.match(body, /^HTTP\/1\.[01] 200/);
      assert.match(body, /hello-through-port-forward/);
    });
  });
}

suite('containerd', () => startTestContainerd({ hostLink: true, subnet: '10.244.247.0/24' }), '10.244.247.');
suite('docker', () => startTestDocker({ hostLink: true, subnet: '10.244.246.0/24' }), '10.244.246.');
