// `tskube dockershim`: the CRI server for Docker alone, e.g.
//   tskube dockershim --docker-endpoint unix:///var/run/docker.sock --listen unix:///run/tskube/dockershim.sock
// then point the kubelet at it with --container-runtime-endpoint.
import { parseArgs } from 'node:util';
import { untilSignal } from '../../../control/client/signals.js';
import { startDockershim } from './server.js';

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    'docker-endpoint': { type: 'string', default: 'unix:///var/run/docker.sock' },
    listen: { type: 'string', default: 'unix:///run/tskube/dockershim.sock' },
    'cni-conf-dir': { type: 'string', default: '/etc/cni/net.d' },
    'cni-bin-dir': { type: 'string', default: '/opt/cni/bin:/usr/lib/cni' },
    'cgroup-root': { type: 'string' },
    'root-dir': { type: 'string', default: '/var/lib/tskube/dockershim' },
    'pod-infra-container-image': { type: 'string', default: 'docker.io/library/pause:3.9' },
    'streaming-address': { type: 'string', default: '127.0.0.1:0' },
  } });
  const shim = await startDockershim({
    dockerEndpoint: values['docker-endpoint']!, listen: values.listen!,
    cniConfDir: values['cni-conf-dir']!, cniBinDirs: values['cni-bin-dir']!.split(/[:,]/).filter(Boolean),
    rootDir: values['root-dir']!, podSandboxImage: values['pod-infra-container-image']!,
    streamingAddress: values['streaming-address']!,
    ...(values['cgroup-root'] ? { cgroupRoot: values['cgroup-root'] } : {}),
  });
  await untilSignal();
  await shim.stop();
}
