// Registers this node with the API server and keeps its status fresh: every 10 s (2 s while not
// Ready, so Ready shows up as soon as the runtime and CNI are) it reads the Node and patches its
// status when something but heartbeat times changed, or 5 min after the last patch (upstream's
// nodeStatusReportFrequency; the Lease is the frequent heartbeat). Ready comes from the
// runtime's own RuntimeReady and NetworkReady conditions.
import type { Node, NodeStatus } from 'kubernetes-types/core/v1.js';
import { isConflict, type ApiClient } from '../../../control/client/api-client.js';
import type { Logger } from '../../../control/client/log.js';
import { R } from '../../../control/client/resources.js';
import type { CriRuntime } from '../../cri/runtime.js';
import type { KubeletConfig } from '../config.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { readdirSync, readFileSync } from 'node:fs';
import { readFs, readMachine } from '../stats/cgroups.js';
import { canonical } from '../status/status-manager.js';
import { nodeLabels, nodeStatus, registrationNode, type NodeReadings, type RuntimeHealth } from './node-status.js';

const REPORT_MS = 5 * 60_000;

/** What this kubelet writes, heartbeat times aside: equal means no patch is needed. */
function reported(s: NodeStatus | undefined): string {
  const { capacity, allocatable, addresses, daemonEndpoints, nodeInfo, conditions } = s ?? {};
  return canonical({ capacity, allocatable, addresses, daemonEndpoints, nodeInfo,
    conditions: conditions?.map(({ lastHeartbeatTime: _h, ...c }) => c) });
}

/** Real readings for capacity and the pressure conditions. */
export function nodeReadings(rootDir: string): NodeReadings {
  const fs = readFs(rootDir);
  let pids: number | undefined, pidMax: number | undefined;
  try { pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')); pids = readdirSync('/proc').filter((p) => p.charCodeAt(0) <= 57).length; } catch { /* no /proc */ }
  return { memAvailableBytes: readMachine().memAvailable || undefined, fsCapacityBytes: fs?.capacityBytes, fsAvailableBytes: fs?.availableBytes, pids, pidMax };
}

export class NodeStatusLoop {
  private readonly machine: MachineInfo = machineInfo();
  private last?: NodeStatus;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastPatch = 0;
  nodeUid = '';

  constructor(private readonly client: ApiClient, private readonly cri: CriRuntime, private readonly cfg: KubeletConfig,
    private readonly runtimeVersion: string, private readonly log: Logger) {}

  /** Creates the Node (or adopts an existing one, refreshing our labels), then posts status. */
  async register(): Promise<void> {
    let node: Node;
    try {
      node = await this.client.create(R.nodes, registrationNode(this.cfg, this.machine));
      this.log.info('node registered');
    } catch (err) {
      if (!isConflict(err) && (err as { reason?: string }).reason !== 'AlreadyExists') throw err;
      node = await this.client.patch<Node>(R.nodes, this.cfg.nodeName, undefined, { metadata: { labels: nodeLabels(this.cfg, this.machine) } }, 'merge');
      this.log.info('node already registered; adopted');
    }
    this.nodeUid = node.metadata?.uid ?? '';
    this.last = node.status;
    await this.update(true);
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try { await this.update(); } catch (err) { this.log.warn({ err: (err as Error).message }, 'node status update failed'); }
      const ready = this.last?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (!this.stopped) this.timer = setTimeout(tick, ready ? 10_000 : 2_000);
    };
    this.timer = setTimeout(tick, 2_000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async health(): Promise<RuntimeHealth> {
    try {
      const st = await this.cri.status();
      const c = (t: string) => st.status?.conditions.find((x) => x.type === t);
      const rr = c('RuntimeReady'), nr = c('NetworkReady');
      const bad = [rr, nr].filter((x) => x && !x.status).map((x) => `${x!.type}=false reason:${x!.reason} message:${x!.message}`);
      return { runtimeVersion: this.runtimeVersion, runtimeReady: !!rr?.status, networkReady: !!nr?.status, message: bad.join('; ') || 'runtime not ready' };
    } catch (err) {
      return { runtimeVersion: this.runtimeVersion, runtimeReady: false, networkReady: false, message: `container runtime is down: ${(err as Error).message}` };
    }
  }

  /** Patches the status if it changed (or force, or REPORT_MS passed); returns whether it did. */
  async update(force = false): Promise<boolean> {
    const status = nodeStatus(this.cfg, this.machine, await this.health(), this.last, Date.now(), nodeReadings(this.cfg.rootDir));
    const wasReady = this.last?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (!force && Date.now() - this.lastPatch < REPORT_MS) {
      // Compare with the API's copy, not ours: the node lifecycle controller may have written Unknown.
      const api = await this.client.get<Node>(R.nodes, this.cfg.nodeName);
      if (reported(api.status) === reported(status)) { this.last = status; return false; }
    }
    await this.client.patch(R.nodes, this.cfg.nodeName, undefined, { status }, 'merge', 'status');
    this.lastPatch = Date.now();
    const isReady = status.conditions!.find((c) => c.type === 'Ready')!.status;
    if (isReady !== wasReady) this.log.info({ ready: isReady, message: status.conditions!.find((c) => c.type === 'Ready')!.message }, 'node readiness changed');
    this.last = status;
    return true;
  }
}
