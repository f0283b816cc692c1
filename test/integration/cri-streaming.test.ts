// The CRI streaming servers as the kubelet's client (agent/cri/streaming) dials them, on both
// runtimes: Exec (remotecommand v4: stdin to EOF, stdout, stderr, the exit Status on the error
// stream, TTY resize), Attach and PortForward (portforward.k8s.io: a data stream to a port inside the pod). Needs root.
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
    let sandboxId = '', containerId = '', catId = '';
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
      catId = await ctr.cri.createContainer(sandboxId, {
        metadata: { name: 'cat', attempt: 0 }, image: { image: 'busybox' }, log_path: 'cat/0.log', command: ['cat'], stdin: true,
      }, sb);
      await ctr.cri.startContainer(catId);
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

    test('Exec with a TTY: resize messages set the terminal size', async () => {
      const url = await ctr.cri.exec({ container_id: containerId, cmd: ['sh', '-c', 'for i in $(seq 50); do s=$(stty size); [ "$s" = "33 101" ] && break; sleep 0.1; done; echo "size $s"'], stdin: true, stdout: true, stderr: false, tty: true });
      const { conn } = await dialSpdy(url, ['v4.channel.k8s.io']);
      const errS = await conn.openStream({ streamtype: 'error' });
      const [stdin, stdout, resize] = await Promise.all(['stdin', 'stdout', 'resize'].map((t) => conn.openStream({ streamtype: t })));
      const outP = collect(stdout), statusP = collect(errS);
      resize!.write(JSON.stringify({ Width: 101, Height: 33 }));
      void stdin; // stays open: EOF on a terminal would hang the session up
      assert.equal((JSON.parse(await statusP) as { status: string }).status, 'Success');
      assert.match(await outP, /size 33 101/);
      conn.close();
    });

    test('Attach: stdin reaches the container\'s main process, its output comes back', async () => {
      const url = await ctr.cri.attach({ container_id: catId, stdin: true, stdout: true, stderr: true, tty: false });
      const { conn } = await dialSpdy(url, ['v4.channel.k8s.io']);
      await conn.openStream({ streamtype: 'error' });
      const [stdin, stdout] = await Promise.all(['stdin', 'stdout', 'stderr'].map((t) => conn.openStream({ streamtype: t })));
      let got = '';
      stdout!.on('data', (d: Buffer) => { got += d.toString(); });
      stdin!.write('ping through attach\n');
      await waitFor('echo from cat', async () => got.includes('ping through attach\n'), 10_000, 20);
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
