// Makes a container's image present before it is created, honouring imagePullPolicy
// (Always / IfNotPresent / Never; default Always for :latest or no tag) with a per-image
// back-off after failures: the first failure is ErrImagePull, retries inside the back-off
// window are ImagePullBackOff, as upstream's image manager reports them.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ImageService } from '../../cri/runtime.js';
import type { PodSandboxConfigIn } from '../../cri/types.js';
import { Backoff } from '../util/backoff.js';

export class ImagePullError extends Error {
  constructor(readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName', message: string, readonly retryAfterMs = 0) {
    super(message);
  }
}

export interface PullEvents {
  pulling(image: string): void;
  pulled(image: string, ms: number, alreadyPresent: boolean): void;
  failed(image: string, err: ImagePullError): void;
}

export function pullPolicy(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy) return c.imagePullPolicy as 'Always' | 'IfNotPresent' | 'Never';
  const image = c.image ?? '';
  const tagged = /:[^/]+$/.test(image.replace(/@.*$/, ''));
  return image.includes('@') || (tagged && !image.endsWith(':latest')) ? 'IfNotPresent' : 'Always';
}

export class ImageManager {
  /** Keyed by pod uid + image, so one pod's bad image does not slow another's. */
  readonly backoff = new Backoff(10_000, 300_000);
  private failedAt = new Map<string, number>();

  constructor(private readonly images: ImageService) {}

  /** Returns the image reference to create the container from; throws ImagePullError. */
  async ensure(pod: Pod, c: Container, sandbox: PodSandboxConfigIn, ev: PullEvents): Promise<string> {
    const image = c.image ?? '';
    if (!image.trim()) throw new ImagePullError('InvalidImageName', 'container has no image');
    const policy = pullPolicy(c);
    if (policy !== 'Always') {
      const present = await this.images.imageStatus({ image });
      if (present) {
        if (policy === 'IfNotPresent') ev.pulled(image, 0, true);
        return present.id;
      }
      if (policy === 'Never') {
        const err = new ImagePullError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
        ev.failed(image, err);
        throw err;
      }
    }
    const key = `${pod.metadata?.uid}/${image}`;
    const last = this.failedAt.get(key);
    if (last !== undefined && this.backoff.inBackoffSince(key, last)) {
      throw new ImagePullError('ImagePullBackOff', `Back-off pulling image "${image}"`, this.backoff.remaining(key, last));
    }
    ev.pulling(image);
    const t0 = Date.now();
    try {
      const ref = await this.images.pullImage({ image }, undefined, sandbox);
      this.backoff.reset(key);
      this.failedAt.delete(key);
      ev.pulled(image, Date.now() - t0, false);
      return ref;
    } catch (e) {
      const delay = this.backoff.next(key);
      this.failedAt.set(key, Date.now());
      const msg = (e as Error).message;
      const err = new ImagePullError('ErrImagePull', `Failed to pull image "${image}": ${msg}`, delay);
      ev.failed(image, err);
      throw err;
    }
  }

  forgetPod(uid: string): void {
    this.backoff.resetPrefix(`${uid}/`);
    for (const k of this.failedAt.keys()) if (k.startsWith(`${uid}/`)) this.failedAt.delete(k);
  }
}
