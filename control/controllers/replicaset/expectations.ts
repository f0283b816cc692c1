// Controller expectations (upstream ControllerExpectations): after asking for N creates or
// deletes, a controller waits until its informer has seen them before acting on that owner
// again, so a slow watch never makes it create the same pods twice.
const TTL_MS = 5 * 60_000; // upstream ExpectationsTimeout: give up waiting after 5 minutes

interface Expectation { add: number; del: number; at: number; deleting: Set<string> }

export class Expectations {
  private map = new Map<string, Expectation>();

  constructor(private readonly ttlMs = TTL_MS) {}

  /** Nothing outstanding (or the expectation expired): safe to count pods and act. */
  satisfied(key: string, now = Date.now()): boolean {
    const e = this.map.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.del <= 0) || now - e.at > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    this.map.set(key, { add: n, del: 0, at: Date.now(), deleting: new Set() });
  }

  /** Expect these pods (by key) to disappear or get a deletionTimestamp. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.map.set(key, { add: 0, del: podKeys.length, at: Date.now(), deleting: new Set(podKeys) });
  }

  creationObserved(key: string): void {
    const e = this.map.get(key);
    if (e) e.add--;
  }

  /** A create we asked for failed (or was skipped): stop waiting for it. */
  creationFailed(key: string): void { this.creationObserved(key); }

  deletionObserved(key: string, podKey: string): void {
    const e = this.map.get(key);
    if (e?.deleting.delete(podKey)) e.del--;
  }

  delete(key: string): void { this.map.delete(key); }
}
