// The lab's fixed layout: node names and addresses on 192.168.56.0/24 (as the Vagrantfile),
// where each node's files live in the checkout (.lab/, git-ignored), and which container
// runtime each node runs (containerd's CRI plugin, or dockerd behind tskube's dockershim).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root (this file runs from <checkout>/dist/scripts/lab/). */
export const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const labDir = path.join(checkout, '.lab');
export const logsDir = path.join(labDir, 'logs');
export const pidsDir = path.join(labDir, 'pids');
export const stateFile = path.join(labDir, 'state.json');
export const kubeconfigFile = path.join(labDir, 'kubeconfig');
export const lockFile = path.join(labDir, 'lock');
export const scriptsDir = path.join(checkout, 'scripts');
export const tskubeJs = path.join(checkout, 'dist/bin/tskube.js');
export const serverJs = path.join(checkout, 'dist/control/server.js');
export const agentJs = path.join(checkout, 'dist/agent/agent.js');

export const LAB_NS = 'tskube-lab';
export const HOST_IF = 'tskube0';
export const HOST_IP = '192.168.56.1';
export const MASTER_IP = '192.168.56.10';
export const REGISTRY = `${MASTER_IP}:5000`;
/** The lab is secure (HTTPS, certificates, RBAC) unless TSKUBE_LAB_INSECURE=1. */
export const LAB_SECURE = process.env.TSKUBE_LAB_INSECURE !== '1';
export const API_URL = `${LAB_SECURE ? 'https' : 'http'}://${MASTER_IP}:6443`;
export const SERVICE_CIDR = '10.96.0.0/12';

export type LabRuntime = 'containerd' | 'docker';

export interface LabNode {
  name: string;
  ip: string;
  index: number;
  runtime: LabRuntime;
  ns: string; // network namespace name
  dir: string; // .lab/nodes/<name>
  criSocket: string; // the agent's --container-runtime-endpoint: containerd's socket or the shim's
  socket: string; // containerd's gRPC socket (containerd nodes), visible from the host too
  config: string; // containerd config.toml
  cniConfDir: string; // containerd reads the conflist here; the agent writes it
  certsD: string; // containerd registry hosts (config_path)
  kubeletDir: string; // agent --root-dir
  cgroupRoot: string; // agent --cgroup-root (cgroupfs, v1 hierarchies)
  docker: DockerPaths; // used on docker nodes only
}

/** A docker node's dockerd (own data/exec roots, socket, pid file) and its dockershim. */
export interface DockerPaths {
  dir: string; // .lab/nodes/<name>/docker
  socket: string; // dockerd's API socket (-H unix://…)
  config: string; // daemon.json
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  shimSocket: string; // the dockershim's CRI socket
}

export function labNode(name: string, index: number, runtime: LabRuntime = 'containerd'): LabNode {
  const dir = path.join(labDir, 'nodes', name);
  const d = path.join(dir, 'docker');
  const docker: DockerPaths = {
    dir: d,
    socket: path.join(d, 'docker.sock'),
    config: path.join(d, 'daemon.json'),
    dataRoot: path.join(d, 'root'),
    execRoot: path.join(d, 'exec'),
    pidfile: path.join(d, 'docker.pid'),
    shimSocket: path.join(dir, 'dockershim.sock'),
  };
  const socket = path.join(dir, 'containerd.sock');
  return {
    name,
    ip: `192.168.56.${10 + index}`,
    index,
    runtime,
    ns: `tskube-${name}`,
    dir,
    criSocket: runtime === 'docker' ? docker.shimSocket : socket,
    socket,
    config: path.join(dir, 'containerd.toml'),
    cniConfDir: path.join(dir, 'cni/net.d'),
    certsD: path.join(dir, 'certs.d'),
    kubeletDir: path.join(dir, 'kubelet'),
    cgroupRoot: `/tskube/${name}`,
    docker,
  };
}

/** master (index 0, .10) then worker-1 … worker-N (.11 …); the last `dockerWorkers` run Docker. */
export function labNodes(workers: number, dockerWorkers = 0): LabNode[] {
  const names = ['master', ...Array.from({ length: workers }, (_, i) => `worker-${i + 1}`)];
  return names.map((n, i) => labNode(n, i, i > workers - dockerWorkers ? 'docker' : 'containerd'));
}

/** What `lab up` records so `down`, `exec` and `status` find the lab again. */
export interface LabState {
  workers: number;
  dockerWorkers?: number; // the last ones run dockerd + dockershim instead of containerd
  nodes: string[];
  createdDirs: string[]; // host mount points the lab had to create (removed by down if empty)
  startedAt: string;
  complete?: boolean; // set when up finished; an incomplete lab is torn down by the next up
}
