// kube-proxy's /healthz rule and server: red before the first sync and when a change waits too
// long; green otherwise; /metrics in Prometheus text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHealthy, startProxyServer } from '../../agent/proxy/healthz.js';

test('healthy only after a sync, and while no change waits longer than the timeout', () => {
  assert.equal(isHealthy(0, 0, 1000, 500), false); // never synced
  assert.equal(isHealthy(900, 0, 1000, 500), true); // nothing pending
  assert.equal(isHealthy(900, 800, 1000, 500), true); // pending for 200 ms
  assert.equal(isHealthy(100, 200, 1000, 500), false); // pending for 800 ms: syncs stopped
});

test('/healthz answers 200 or 503 with lastUpdated; /metrics is served; unknown paths 404', async () => {
  let healthy = true;
  const s = await startProxyServer({ healthz: '127.0.0.1:0', metrics: '', health: () => ({ healthy, lastUpdated: 'a', currentTime: 'b', nodeName: 'n' }) });
  try {
    const url = `http://127.0.0.1:${s.ports[0]}`;
    let r = await fetch(`${url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { lastUpdated: 'a', currentTime: 'b', nodeEligible: true });
    healthy = false;
    r = await fetch(`${url}/healthz`);
    assert.equal(r.status, 503);
    await r.body?.cancel();
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  } finally {
    await s.close();
  }
});
