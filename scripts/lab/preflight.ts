// Checks before `lab up`: root, and every binary the lab runs (dockerd only with Docker
// workers), each mapped to the Debian package that provides it, so a missing one gives one line saying what to install.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const binaries: Record<string, string> = {
  ip: 'iproute2',
  nsenter: 'util-linux',
  containerd: 'containerd',
  'containerd-shim-runc-v2': 'containerd',
  ctr: 'containerd',
  runc: 'runc',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  conntrack: 'conntrack',
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  gcc: 'gcc',
  curl: 'curl',
  ping: 'iputils-ping',
  nginx: 'nginx',
  busybox: 'busybox-static',
};
const files: Record<string, string> = {
  '/usr/lib/cni/bridge': 'containernetworking-plugins',
  '/usr/lib/cni/host-local': 'containernetworking-plugins',
  '/usr/lib/cni/loopback': 'containernetworking-plugins',
  '/usr/lib/x86_64-linux-gnu/libc.a': 'libc6-dev',
};
const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function onPath(bin: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATH_DIRS];
  return dirs.some((d) => {
    try {
      accessSync(path.join(d, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function exists(file: string): boolean {
  try {
    accessSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Docker workers (lab up --docker-workers M) run these too. */
const dockerBinaries: Record<string, string> = { dockerd: 'docker.io' };

/** Returns an error line for the user, or undefined when the lab can start. */
export function preflight(dockerWorkers = 0): string | undefined {
  if (process.getuid?.() !== 0) return 'tskube: run as root (sudo npm run lab -- up)';
  const missing = new Set<string>();
  const bins = { ...binaries, ...(dockerWorkers > 0 ? dockerBinaries : {}) };
  for (const [bin, pkg] of Object.entries(bins)) if (!onPath(bin)) missing.add(pkg);
  for (const [file, pkg] of Object.entries(files)) if (!exists(file)) missing.add(pkg);
  if (missing.size === 0) return undefined;
  return `tskube: missing Debian package(s) ${[...missing].join(' ')}: run scripts/install-deps.sh`;
}
