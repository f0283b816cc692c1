// Test helper: a real `tskube server` (scheduler and controllers included) with fake nodes and
// the fake kubelet on them, plus kubectl bound to it — for tests of control-plane behaviour.
import { ApiClient } from '../../control/client/api-client.js';
import { startServer, kubectl, type RunResult, type TestServer } from '../helpers/server.js';
import { FakeKubelet, registerNode } from './controllers-fake-cluster.js';

export interface FakeCluster {
  srv: TestServer;
  client: ApiClient;
  kubelet: FakeKubelet;
  kubectl(args: string[], input?: string): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startFakeCluster(nodes: string[]): Promise<FakeCluster> {
  const srv = await startServer(['--disable', 'dns']);
  const client = new ApiClient({ server: srv.url });
  for (const [i, n] of nodes.entries()) await registerNode(client, { name: n }, i);
  const kubelet = new FakeKubelet(client, nodes).start();
  return {
    srv, client, kubelet,
    kubectl: (args, input) => kubectl(srv.kubeconfig, args, input),
    async stop() { kubelet.stop(); await srv.stop(); },
  };
}
