// CRI ImageService on docker: ListImages, ImageStatus (null when absent), PullImage (follows
// docker's progress stream to its end; an error event or a missing image fails the call, which
// the kubelet reports as ErrImagePull), RemoveImage (idempotent), ImageFsInfo.
import type Docker from 'dockerode';
import type * as gen from '../types.js';
import { isDockerNotFound, type ShimContext } from './context.js';

type ImageOut = Omit<gen.Image, 'spec' | 'uid'> & { spec: { image: string } | null; uid: { value: string } | null };

/** "busybox" → "busybox:latest"; references with a tag or digest are left alone. */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const last = image.slice(image.lastIndexOf('/') + 1);
  return last.includes(':') ? image : `${image}:latest`;
}

/** Docker's short names for Docker Hub ("busybox:latest") as fully qualified CRI names and back. */
export function normalizeRef(ref: string): string {
  const first = ref.split('/')[0]!;
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

function uidOf(user: string | undefined): { uid: { value: string } | null; username: string } {
  const u = (user ?? '').split(':')[0] ?? '';
  if (u === '') return { uid: null, username: '' };
  return /^\d+$/.test(u) ? { uid: { value: u }, username: '' } : { uid: null, username: u };
}

function toImage(i: Docker.ImageInspectInfo): ImageOut {
  return {
    id: i.Id,
    repo_tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    repo_digests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')),
    size: String(i.Size ?? 0),
    ...uidOf(i.Config?.User),
    spec: null,
    pinned: false,
  };
}

export class ImageService {
  constructor(private readonly c: ShimContext) {}

  /** The image's inspect data, or undefined when docker does not have it. */
  async inspect(image: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.c.docker.getImage(image.includes('@') || image.startsWith('sha256:') ? image : withDefaultTag(image)).inspect();
    } catch (err) {
      if (isDockerNotFound(err)) return undefined;
      throw err;
    }
  }

  async listImages(filter?: string): Promise<ImageOut[]> {
    const list = await this.c.docker.listImages();
    const out: ImageOut[] = [];
    for (const i of list) {
      const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      if (filter) {
        const want = normalizeRef(withDefaultTag(filter));
        if (i.Id !== filter && !tags.some((t) => normalizeRef(t) === want)) continue;
      }
      out.push({ id: i.Id, repo_tags: tags, repo_digests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')),
        size: String(i.Size ?? 0), uid: null, username: '', spec: null, pinned: false });
    }
    return out;
  }

  async imageStatus(image: string): Promise<ImageOut | null> {
    const i = await this.inspect(image);
    return i ? toImage(i) : null;
  }

  async pullImage(image: string, auth?: gen.AuthConfigIn): Promise<string> {
    const ref = withDefaultTag(image);
    const authconfig = auth && (auth.username || auth.auth || auth.identity_token)
      ? { username: auth.username, password: auth.password, auth: auth.auth, serveraddress: auth.server_address, identitytoken: auth.identity_token }
      : undefined;
    const stream = (await this.c.docker.pull(ref, authconfig ? { authconfig } : {})) as NodeJS.ReadableStream;
    const events = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) => {
      this.c.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => (err ? reject(err) : resolve(out)));
    });
    const failed = events.find((e) => e.error || e.errorDetail);
    if (failed) throw new Error(`pulling ${ref}: ${failed.errorDetail?.message ?? failed.error}`);
    const i = await this.inspect(ref);
    if (!i) throw new Error(`pulling ${ref}: image not present after the pull`);
    this.c.log.info({ image: ref, id: i.Id }, 'image pulled');
    return i.Id;
  }

  async removeImage(image: string): Promise<void> {
    const i = await this.inspect(image);
    if (!i) return;
    // Remove by ID with every tag, as upstream dockershim did.
    try { await this.c.docker.getImage(i.Id).remove({ force: true, noprune: false }); } catch (err) { if (!isDockerNotFound(err)) throw err; }
  }

  async imageFsInfo(): Promise<gen.ImageFsInfoResponse> {
    const [info, list] = await Promise.all([this.c.docker.info() as Promise<{ DockerRootDir: string }>, this.c.docker.listImages()]);
    const used = list.reduce((a, i) => a + (i.Size ?? 0), 0);
    const now = (BigInt(Date.now()) * 1_000_000n).toString();
    return {
      image_filesystems: [{ timestamp: now, fs_id: { mountpoint: info.DockerRootDir }, used_bytes: { value: String(used) }, inodes_used: { value: '0' } }],
      container_filesystems: [],
    };
  }
}
