// Prober state as pod status sees it: a container with a startupProbe has not started until
// that probe passes, even before its probe worker exists (the sync that starts it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../../agent/kubelet/events/recorder.js';
import { ProberManager } from '../../agent/kubelet/prober/prober-manager.js';
import { logger } from '../../control/client/log.js';

const probes = new ProberManager({ execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit_code: 0 }) },
  { event() {} } as unknown as EventRecorder, () => {}, logger('test'));

test('startup probe without a worker yet: not started, not ready; no probes: started and ready', () => {
  const gated: Container = { name: 'a', startupProbe: { exec: { command: ['true'] } } };
  const plain: Container = { name: 'b' };
  assert.equal(probes.started('id1', gated), false);
  assert.equal(probes.ready('id1', gated), false);
  assert.equal(probes.started('id2', plain), true);
  assert.equal(probes.ready('id2', plain), true);
  assert.equal(probes.failed('id1'), undefined);
});
