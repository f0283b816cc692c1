// Node status from readings (nodestatus/node-status.ts, pure): the pressure conditions flip at
// upstream's default eviction thresholds, ephemeral-storage capacity comes from the filesystem,
// and transition times hold while a condition does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeStatus } from 'kubernetes-types/core/v1.js';
import { defaultConfig } from '../../agent/kubelet/config.js';
import { nodeStatus, type NodeReadings, type RuntimeHealth } from '../../agent/kubelet/nodestatus/node-status.js';
import type { MachineInfo } from '../../agent/kubelet/nodestatus/machine.js';

const cfg = defaultConfig({ nodeName: 'w1', nodeIp: '192.168.56.11', server: 'http://x', runtimeEndpoint: 'unix:///x' });
const machine: MachineInfo = { cpus: 2, memoryBytes: 4 * 2 ** 30, kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', architecture: 'amd64', machineID: 'm', bootID: 'b', hostname: 'h' };
const rt: RuntimeHealth = { runtimeVersion: 'containerd://1.6.20', runtimeReady: true, networkReady: true, message: '' };
const Mi = 2 ** 20, Gi = 2 ** 30;
const healthy: NodeReadings = { memAvailableBytes: 2 * Gi, fsCapacityBytes: 100 * Gi, fsAvailableBytes: 50 * Gi, pids: 300, pidMax: 4_194_304 };
const conds = (s: NodeStatus) => Object.fromEntries(s.conditions!.map((c) => [c.type, [c.status, c.reason]]));
const T0 = Date.parse('2026-01-01T00:00:00Z');

test('healthy readings: no pressure, Ready; capacity = allocatable incl. ephemeral-storage', () => {
  const s = nodeStatus(cfg, machine, rt, undefined, T0, healthy);
  assert.deepEqual(conds(s), {
    MemoryPressure: ['False', 'KubeletHasSufficientMemory'], DiskPressure: ['False', 'KubeletHasNoDiskPressure'],
    PIDPressure: ['False', 'KubeletHasSufficientPID'], Ready: ['True', 'KubeletReady'],
  });
  assert.deepEqual(s.capacity, { cpu: '2', memory: `${4 * 1024 * 1024}Ki`, pods: '110', 'ephemeral-storage': `${100 * 1024 * 1024}Ki` });
  assert.deepEqual(s.allocatable, s.capacity);
  assert.equal(s.nodeInfo!.containerRuntimeVersion, 'containerd://1.6.20');
});

test('each pressure turns True past its threshold, alone', () => {
  const mem = conds(nodeStatus(cfg, machine, rt, undefined, T0, { ...healthy, memAvailableBytes: 99 * Mi }));
  assert.deepEqual(mem.MemoryPressure, ['True', 'KubeletHasInsufficientMemory']);
  assert.deepEqual([mem.DiskPressure![0], mem.PIDPressure![0]], ['False', 'False']);
  assert.equal(conds(nodeStatus(cfg, machine, rt, undefined, T0, { ...healthy, memAvailableBytes: 101 * Mi })).MemoryPressure![0], 'False');
  const disk = conds(nodeStatus(cfg, machine, rt, undefined, T0, { ...healthy, fsAvailableBytes: 9.9 * Gi }));
  assert.deepEqual(disk.DiskPressure, ['True', 'KubeletHasDiskPressure']);
  assert.equal(disk.MemoryPressure![0], 'False');
  assert.equal(conds(nodeStatus(cfg, machine, rt, undefined, T0, { ...healthy, fsAvailableBytes: 10.1 * Gi })).DiskPressure![0], 'False');
  const pid = conds(nodeStatus(cfg, machine, rt, undefined, T0, { ...healthy, pids: 950, pidMax: 1000 }));
  assert.deepEqual(pid.PIDPressure, ['True', 'KubeletHasInsufficientPID']);
  assert.equal(conds(nodeStatus(cfg, machine, rt, undefined, T0, { ...healthy, pids: 900, pidMax: 1000 })).PIDPressure![0], 'False');
});

test('missing readings: no pressure claimed, no ephemeral-storage; runtime down: NotReady with its message', () => {
  const s = nodeStatus(cfg, machine, { ...rt, networkReady: false, message: 'NetworkReady=false reason:NoCNI message:no config' }, undefined, T0, {});
  assert.equal(s.capacity!['ephemeral-storage'], undefined);
  const c = conds(s);
  assert.deepEqual([c.MemoryPressure![0], c.DiskPressure![0], c.PIDPressure![0]], ['False', 'False', 'False']);
  assert.deepEqual(c.Ready, ['False', 'KubeletNotReady']);
  assert.equal(s.conditions!.find((x) => x.type === 'Ready')!.message, 'NetworkReady=false reason:NoCNI message:no config');
});

test('heartbeat moves every update; transition time only when the status flips', () => {
  const a = nodeStatus(cfg, machine, rt, undefined, T0, healthy);
  const b = nodeStatus(cfg, machine, rt, a, T0 + 10_000, healthy);
  const c = nodeStatus(cfg, machine, rt, b, T0 + 20_000, { ...healthy, memAvailableBytes: 10 * Mi });
  const mp = (s: NodeStatus) => s.conditions!.find((x) => x.type === 'MemoryPressure')!;
  assert.equal(mp(b).lastTransitionTime, mp(a).lastTransitionTime);
  assert.notEqual(mp(b).lastHeartbeatTime, mp(a).lastHeartbeatTime);
  assert.notEqual(mp(c).lastTransitionTime, mp(b).lastTransitionTime);
  assert.equal(c.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime, a.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime);
});
