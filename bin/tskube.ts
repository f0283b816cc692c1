#!/usr/bin/env node
// tskube: one binary, k3s-style. `server` runs the control plane, `agent` the node agent,
// `lab` a multi-node lab in network namespaces; single components start alone too.
// This file only dispatches: flags → config → daemons live in the packages named below.

const [cmd, ...args] = process.argv.slice(2);

// Each subcommand is a module exporting main(args); loaded lazily so `agent` never loads the
// control plane and vice versa.
const commands: Record<string, string> = {
  server: '../control/server.js', // apiserver + scheduler + controllers
  agent: '../agent/agent.js', // kubelet + kube-proxy + node network
  lab: '../scripts/lab/cli.js',
  apiserver: '../control/server.js', // with the scheduler and controllers disabled
  scheduler: '../control/scheduler/main.js',
  'controller-manager': '../control/controllers/main.js',
  kubelet: '../agent/agent.js', // with kube-proxy disabled
  proxy: '../agent/proxy/main.js',
  dockershim: '../agent/cri/dockershim/main.js', // CRI server for Docker (dockerode → dockerd)
  pki: '../control/pki/main.js', // pki init: CA, component certificates, kubeconfigs
};
const presetArgs: Record<string, string[]> = {
  apiserver: ['--disable', 'scheduler,controllers'],
  kubelet: ['--disable', 'kube-proxy'],
};

async function run(): Promise<void> {
  const modPath = cmd ? commands[cmd] : undefined;
  if (!modPath) {
    process.stderr.write(`usage: tskube <${Object.keys(commands).join('|')}> [flags]\n`);
    process.exit(cmd ? 2 : 0);
  }
  const mod = (await import(new URL(modPath, import.meta.url).href)) as { main(args: string[]): Promise<void> };
  await mod.main([...(presetArgs[cmd!] ?? []), ...args]);
}

run().catch((err: unknown) => {
  process.stderr.write(`tskube ${cmd}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
