// `tskube pki init`: writes the cluster PKI and per-component kubeconfigs into --dir
// (see layout.ts). Example: tskube pki init --dir /etc/tskube/pki --master-ip 192.168.56.10
//   --node master=192.168.56.10 --node worker-1=192.168.56.11
import { parseArgs } from 'node:util';
import { initPki } from './layout.js';

const USAGE = 'usage: tskube pki init --dir <d> --master-ip <ip> [--master-ip …] [--node <name>=<ip> …] [--server https://<ip>:6443] [--reuse]';

export async function main(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'init') throw new Error(USAGE);
  const { values } = parseArgs({ args: rest, options: {
    dir: { type: 'string' }, 'master-ip': { type: 'string', multiple: true }, node: { type: 'string', multiple: true },
    server: { type: 'string' }, reuse: { type: 'boolean', default: false },
  } });
  const masterIps = values['master-ip'] ?? [];
  if (!values.dir || masterIps.length === 0) throw new Error(USAGE);
  const nodes = (values.node ?? []).map((s) => {
    const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=(\S+)$/.exec(s);
    if (!m) throw new Error(`--node ${JSON.stringify(s)}: want <name>=<ip>`);
    return { name: m[1]!, ip: m[3]! };
  });
  const f = await initPki({ dir: values.dir, server: values.server ?? `https://${masterIps[0]}:6443`, masterIps, nodes, reuse: values.reuse });
  process.stdout.write(`PKI written to ${f.dir} (admin kubeconfig: ${f.kubeconfig('admin')})\n`);
}
