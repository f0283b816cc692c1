// The kubelet's volume manager: before a pod's containers start, every volume gets a directory
// under <root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name> (emptyDir on disk or tmpfs,
// configMap/secret/downwardAPI/projected files written atomically, hostPath checked or created),
// persistentVolumeClaim through its bound hostPath or local PersistentVolume), and each
// volumeMount becomes a CRI Mount (a bind mount). Re-run on every sync so updated ConfigMaps and
// Secrets reach mounted files; torn down (tmpfs unmounted, files removed) with the pod.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { bytes } from '../../../control/client/quantity.js';
import type { MountIn } from '../../cri/types.js';
import type { ObjectLookup } from '../configmap/object-cache.js';
import { validPath, writeAtomic } from './atomic-writer.js';
import { projectVolume, VolumeError } from './projections.js';
import { hostDirOf } from './claims.js';

export { VolumeError };

export function pluginOf(v: Volume): string {
  if (v.emptyDir) return 'empty-dir';
  if (v.configMap) return 'configmap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downward-api';
  if (v.projected) return 'projected';
  if (v.hostPath) return 'host-path';
  throw new VolumeError(`volume "${v.name}": unsupported volume type (supported: emptyDir, hostPath, configMap, secret, downwardAPI, projected, persistentVolumeClaim)`);
}

function mounted(dir: string): boolean {
  try { return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir); } catch { return false; }
}

function checkHostPath(path: string, type: string): void {
  const st = (() => { try { return statSync(path); } catch { return undefined; } })();
  const fail = (what: string) => { throw new VolumeError(`hostPath type check failed: ${path} is not a ${what}`); };
  switch (type) {
    case 'DirectoryOrCreate': if (!st) mkdirSync(path, { recursive: true, mode: 0o755 }); else if (!st.isDirectory()) fail('directory'); return;
    case 'FileOrCreate': if (!st) writeFileSync(path, '', { mode: 0o644 }); else if (!st.isFile()) fail('file'); return;
    case 'Directory': if (!st?.isDirectory()) fail('directory'); return;
    case 'File': if (!st?.isFile()) fail('file'); return;
    case 'Socket': if (!st?.isSocket()) fail('socket'); return;
    case 'CharDevice': if (!st?.isCharacterDevice()) fail('character device'); return;
    case 'BlockDevice': if (!st?.isBlockDevice()) fail('block device'); return;
    default: return; // "" : no check
  }
}

/** A volume the kubelet cannot even start to mount yet (its claim is missing or unbound). */
class UnprocessedVolume extends Error {}

/** The host directory of a claim's bound volume (hostPath checked as its type says; local must exist). */
function claimDir(claimName: string, objs: ObjectLookup): string {
  const pv = objs.claimVolume?.(claimName) ?? new Error(`error processing PVC ${claimName}: claims are not resolved here`);
  if (pv instanceof Error) throw new UnprocessedVolume(pv.message);
  const dir = hostDirOf(pv);
  if (dir.local && !existsSync(dir.path)) throw new Error(`path "${dir.path}" does not exist`);
  checkHostPath(dir.path, dir.type);
  return dir.path;
}

export class VolumeManager {
  constructor(private readonly rootDir: string) {}

  podDir(uid: string): string { return join(this.rootDir, 'pods', uid); }

  volumeDir(uid: string, v: Volume): string {
    return join(this.podDir(uid), 'volumes', `kubernetes.io~${pluginOf(v)}`, v.name);
  }

  /** Sets every volume up; returns volume name → host path. Throws VolumeError naming the volume. */
  setUp(pod: Pod, objs: ObjectLookup): Map<string, string> {
    const uid = pod.metadata!.uid!;
    const out = new Map<string, string>();
    for (const v of pod.spec?.volumes ?? []) {
      try {
        if (v.hostPath) {
          checkHostPath(v.hostPath.path, v.hostPath.type ?? '');
          out.set(v.name, v.hostPath.path);
          continue;
        }
        if (v.persistentVolumeClaim) {
          out.set(v.name, claimDir(v.persistentVolumeClaim.claimName, objs));
          continue;
        }
        const dir = this.volumeDir(uid, v);
        if (v.emptyDir) {
          mkdirSync(dir, { recursive: true, mode: 0o777 });
          if (v.emptyDir.medium === 'Memory' && !mounted(dir)) {
            const size = v.emptyDir.sizeLimit ? `,size=${bytes(v.emptyDir.sizeLimit)}` : '';
            execFileSync('mount', ['-t', 'tmpfs', '-o', `mode=0777${size}`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
          }
        } else {
          const payload = projectVolume(pod, v, objs);
          if (payload) writeAtomic(dir, payload);
        }
        out.set(v.name, dir);
      } catch (err) {
        if (err instanceof UnprocessedVolume) throw new VolumeError(`Unable to attach or mount volumes: unmounted volumes=[${v.name}], failed to process volumes=[${v.name}]: ${err.message}`);
        const msg = (err as Error).message.replace(/^Command failed: /, '');
        throw new VolumeError(`MountVolume.SetUp failed for volume "${v.name}" : ${msg}`);
      }
    }
    return out;
  }

  /** The container's volumeMounts as CRI mounts (subPath directories created on demand). */
  mountsFor(pod: Pod, c: Container, dirs: Map<string, string>): MountIn[] {
    const vols = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    return (c.volumeMounts ?? []).map((m) => {
      const host = dirs.get(m.name);
      const v = vols.get(m.name);
      if (!host || !v) throw new VolumeError(`volumeMount "${m.name}" of container ${c.name} names no volume of the pod`);
      let hostPath = host;
      if (m.subPath) {
        if (!validPath(m.subPath)) throw new VolumeError(`subPath "${m.subPath}" must be a relative path without ".."`);
        hostPath = join(host, m.subPath);
        if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true, mode: 0o777 });
      }
      const ro = (m.readOnly ?? false) || (v.persistentVolumeClaim?.readOnly ?? false);
      const propagation = m.mountPropagation === 'Bidirectional' ? 'PROPAGATION_BIDIRECTIONAL'
        : m.mountPropagation === 'HostToContainer' ? 'PROPAGATION_HOST_TO_CONTAINER' : 'PROPAGATION_PRIVATE';
      return { container_path: m.mountPath, host_path: hostPath, readonly: ro, propagation };
    });
  }

  /** Unmounts tmpfs volumes and removes the pod's directory. */
  tearDown(uid: string): void {
    const dir = this.podDir(uid);
    if (!existsSync(dir)) return;
    let lines: string[] = [];
    try { lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n'); } catch { /* no proc */ }
    const mps = lines.map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(dir + '/')).sort((a, b) => b.length - a.length);
    for (const mp of mps) { try { execFileSync('umount', [mp], { stdio: 'ignore' }); } catch { /* busy */ } }
    if (mps.some(mounted)) return; // keep files rather than delete through a live mount
    rmSync(dir, { recursive: true, force: true });
  }

  /** Pods with data volumes need a periodic resync so object changes reach their files. */
  static needsResync(pod: Pod): boolean {
    return (pod.spec?.volumes ?? []).some((v) => v.configMap || v.secret || v.projected);
  }
}
