// `npm run bench -- [name …]`: runs the named benchmarks under test/bench one after another (all
// of them when none is named), each in its own node process, holding the lab lock so no lab or
// e2e run shares the machine with a measurement. Every bench prints its own table.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each benchmark with the issue it measures; arguments after `--` pass through to all. */
const BENCHES: Record<string, string> = {
  'cri-raw': 'raw CRI timings on a private containerd (issue 4 baseline)',
  'pod-startup': 'kubelet create → Running beside raw CRI (issue 4)',
  'kubelet-rss': 'agent RSS and idle CPU with 30 pods, on the lab (issue 4)',
  apiserver: 'API server writes, throughput, watch latency, RSS per store (issue 3)',
  store: 'storage backends beside raw better-sqlite3 / etcd3 (issue 3)',
  scheduler: 'scheduler binds/s on 1,000 hollow nodes (issue 5)',
  proxy: 'kube-proxy syncs beside raw iptables-restore, nft and legacy (issue 6)',
};

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const names = dash < 0 ? argv : argv.slice(0, dash);
const passThrough = dash < 0 ? [] : argv.slice(dash + 1);

if (names.includes('--help') || names.includes('-h')) {
  for (const [n, what] of Object.entries(BENCHES)) console.log(`${n.padEnd(12)} ${what}`);
  process.exit(0);
}
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length) {
  console.error(`tskube bench: unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`);
  process.exit(2);
}

let failed = 0;
for (const name of names.length ? names : Object.keys(BENCHES)) {
  const file = join(here, `${name}.js`);
  if (!existsSync(file)) { console.error(`tskube bench: ${file} missing (build first)`); failed++; continue; }
  console.log(`\n## ${name}: ${BENCHES[name]}`);
  const r = spawnSync('flock', ['/tmp/tskube-lab.lock', process.execPath, file, ...passThrough], { stdio: 'inherit' });
  if (r.status !== 0) { console.error(`tskube bench: ${name} exited with ${r.status ?? r.signal}`); failed++; }
}
process.exit(failed ? 1 : 0);
