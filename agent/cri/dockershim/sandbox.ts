// Pod sandboxes on docker, as upstream dockershim: a pause container (NetworkMode none, or host)
// whose network namespace we give to the CNI plugins ourselves; its resolv.conf is rewritten from
// dns_config and shared by the pod's containers (they join its net/ipc namespaces). The CNI ADD
// result is kept in <rootDir>/sandboxes/<id>.json for PodSandboxStatus and the DEL.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type * as gen from '../types.js';
import { resultIp, type CniResult, type PortMap } from './cni.js';
import { dockerStatus, isDockerNotFound, notFound, type ShimContext } from './context.js';
import type { ImageService } from './image.js';
import { CONTAINER_TYPE_LABEL, fromDockerLabels, LOG_PATH_LABEL, matchesSelector, parseName, sandboxName, SANDBOX_ID_LABEL,
  toDockerLabels, toNanos, TYPE_SANDBOX } from './labels.js';

const SANDBOX_GRACE_SECONDS = 10;
interface NetState { result?: CniResult; ip: string; hostNetwork: boolean }

/** resolv.conf text from a CRI DNSConfig. */
export function resolvConf(dns: gen.PodSandboxConfigIn['dns_config']): string {
  const lines = [...(dns?.servers ?? []).map((s) => `nameserver ${s}`)];
  if (dns?.searches?.length) lines.push(`search ${dns.searches.join(' ')}`);
  if (dns?.options?.length) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

const nsMode = (m: unknown) => (typeof m === 'string' ? m : ['POD', 'CONTAINER', 'NODE', 'TARGET'][Number(m ?? 0)] ?? 'POD');

export class SandboxService {
  constructor(private readonly c: ShimContext, private readonly images: ImageService) {}

  private stateFile(id: string) { return join(this.c.opts.rootDir, 'sandboxes', `${id}.json`); }
  private readState(id: string): NetState | undefined {
    try { return JSON.parse(readFileSync(this.stateFile(id), 'utf8')) as NetState; } catch { return undefined; }
  }
  private writeState(id: string, s: NetState): void {
    mkdirSync(join(this.c.opts.rootDir, 'sandboxes'), { recursive: true });
    writeFileSync(this.stateFile(id), JSON.stringify(s));
  }

  async run(config: gen.PodSandboxConfigIn): Promise<string> {
    const m = config.metadata ?? {};
    const meta = { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt: Number(m.attempt ?? 0) };
    if (!meta.name || !meta.uid) throw new Error('sandbox config needs metadata.name and metadata.uid');
    const t0 = Date.now();
    if (!(await this.images.inspect(this.c.opts.podSandboxImage))) await this.images.pullImage(this.c.opts.podSandboxImage);
    const ns = config.linux?.security_context?.namespace_options;
    const hostNetwork = nsMode(ns?.network) === 'NODE';
    const sc = config.linux?.security_context;
    const hostConfig: Docker.HostConfig = {
      NetworkMode: hostNetwork ? 'host' : 'none',
      IpcMode: nsMode(ns?.ipc) === 'NODE' ? 'host' : 'shareable',
      ...(nsMode(ns?.pid) === 'NODE' ? { PidMode: 'host' } : {}),
      CgroupParent: config.linux?.cgroup_parent || this.c.opts.cgroupRoot || '',
      Privileged: !!sc?.privileged,
      ReadonlyRootfs: !!sc?.readonly_rootfs,
      SecurityOpt: ['no-new-privileges'],
      ...(Object.keys(config.linux?.sysctls ?? {}).length ? { Sysctls: config.linux!.sysctls } : {}),
    };
    const user = sc?.run_as_user ? String(sc.run_as_user.value) + (sc.run_as_group ? `:${sc.run_as_group.value}` : '') : undefined;
    const create: Docker.ContainerCreateOptions = {
      name: sandboxName(meta),
      Image: this.c.opts.podSandboxImage,
      ...(hostNetwork ? {} : { Hostname: config.hostname || meta.name }),
      ...(user ? { User: user } : {}),
      Labels: toDockerLabels(config.labels as Record<string, string>, config.annotations as Record<string, string>, { [CONTAINER_TYPE_LABEL]: TYPE_SANDBOX }),
      HostConfig: hostConfig,
    };
    const steps: Record<string, number> = {};
    const mark = (k: string, since: number) => { steps[k] = Date.now() - since; return Date.now(); };
    let t = mark('image', t0);
    const ctr = await this.createReplacingConflict(create);
    t = mark('create', t);
    const id = ctr.id;
    try {
      await ctr.start();
      t = mark('start', t);
      const info = await ctr.inspect();
      if (config.dns_config && (config.dns_config.servers?.length || config.dns_config.searches?.length || config.dns_config.options?.length) && info.ResolvConfPath) {
        writeFileSync(info.ResolvConfPath, resolvConf(config.dns_config));
      }
      if (hostNetwork) {
        this.writeState(id, { ip: '', hostNetwork: true });
      } else {
        const ports: PortMap[] = (config.port_mappings ?? []).filter((p) => p.host_port).map((p) => ({
          hostPort: Number(p.host_port), containerPort: Number(p.container_port),
          protocol: String(p.protocol ?? 'TCP').toLowerCase(),
          ...(p.host_ip ? { hostIP: p.host_ip } : {}),
        }));
        const result = await this.c.cni.add(this.attachment(id, meta, info.State.Pid, ports));
        this.writeState(id, { result, ip: resultIp(result), hostNetwork: false });
        mark('cni', t);
      }
    } catch (err) {
      this.c.log.warn({ sandbox: id, err: (err as Error).message }, 'sandbox setup failed; removing it');
      await this.remove(id).catch(() => {});
      throw err;
    }
    this.c.log.info({ sandbox: id, pod: `${meta.namespace}/${meta.name}`, ms: Date.now() - t0, steps }, 'sandbox running');
    return id;
  }

  /** Creates a container; a name conflict with a leftover of an earlier attempt removes it and retries once. */
  async createReplacingConflict(create: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    try {
      return await this.c.docker.createContainer(create);
    } catch (err) {
      if (dockerStatus(err) !== 409 || !create.name) throw err;
      this.c.log.warn({ name: create.name }, 'name in use by a leftover container; removing it');
      await this.c.docker.getContainer(create.name).remove({ force: true, v: true }).catch(() => {});
      return this.c.docker.createContainer(create);
    }
  }

  private attachment(id: string, meta: { name: string; namespace: string; uid: string }, pid: number, portMappings: PortMap[] = []) {
    return {
      containerId: id, netns: pid > 0 ? `/proc/${pid}/ns/net` : '', portMappings,
      args: { K8S_POD_NAMESPACE: meta.namespace, K8S_POD_NAME: meta.name, K8S_POD_INFRA_CONTAINER_ID: id, K8S_POD_UID: meta.uid },
    };
  }

  private async inspectSandbox(id: string): Promise<Docker.ContainerInspectInfo> {
    try {
      const info = await this.c.docker.getContainer(id).inspect();
      if (info.Config.Labels?.[CONTAINER_TYPE_LABEL] !== TYPE_SANDBOX) throw notFound(`pod sandbox ${id} not found`);
      return info;
    } catch (err) {
      if (isDockerNotFound(err)) throw notFound(`pod sandbox ${id} not found`);
      throw err;
    }
  }

  /** Containers of a sandbox (by label). */
  async containersOf(id: string): Promise<Docker.ContainerInfo[]> {
    return this.c.docker.listContainers({ all: true, filters: { label: [`${SANDBOX_ID_LABEL}=${id}`] } });
  }

  /** Stops the pod's containers, tears the network down (CNI DEL, before the pause stops), stops the pause. Idempotent. */
  async stop(id: string): Promise<void> {
    let info: Docker.ContainerInspectInfo;
    try { info = await this.inspectSandbox(id); } catch (err) { if ((err as { code?: number }).code === 5) return; throw err; }
    id = info.Id;
    for (const c of await this.containersOf(id)) {
      if (c.State === 'running') await this.c.docker.getContainer(c.Id).stop({ t: SANDBOX_GRACE_SECONDS }).catch((e) => { if (![304, 404].includes(dockerStatus(e) ?? 0)) throw e; });
    }
    const st = this.readState(id);
    if (st && !st.hostNetwork) {
      const p = parseName(info.Name)?.pod ?? { name: '', namespace: '', uid: '' };
      await this.c.cni.del(this.attachment(id, p, info.State.Running ? info.State.Pid : 0), st.result);
      this.writeState(id, { ip: '', hostNetwork: false }); // torn down: a second stop does not DEL again
    }
    if (info.State.Running) {
      await this.c.docker.getContainer(id).stop({ t: SANDBOX_GRACE_SECONDS }).catch((e) => { if (![304, 404].includes(dockerStatus(e) ?? 0)) throw e; });
    }
  }

  /** Removes the pod's containers and the pause container (stopping first if needed). Idempotent. */
  async remove(id: string): Promise<void> {
    let info: Docker.ContainerInspectInfo;
    try { info = await this.inspectSandbox(id); } catch (err) { if ((err as { code?: number }).code === 5) return; throw err; }
    id = info.Id;
    if (info.State.Running || this.readState(id)?.ip) await this.stop(id);
    for (const c of await this.containersOf(id)) {
      const kubeLog = c.Labels?.[LOG_PATH_LABEL];
      if (kubeLog) rmSync(kubeLog, { force: true });
      await this.c.docker.getContainer(c.Id).remove({ force: true, v: true }).catch((e) => { if (!isDockerNotFound(e)) throw e; });
    }
    await this.c.docker.getContainer(id).remove({ force: true, v: true }).catch((e) => { if (!isDockerNotFound(e)) throw e; });
    rmSync(this.stateFile(id), { force: true });
  }

  async status(id: string, verbose: boolean): Promise<{ status: gen.PodSandboxStatus; info: Record<string, string> }> {
    const info = await this.inspectSandbox(id);
    const meta = parseName(info.Name)?.pod ?? { name: '', namespace: '', uid: '', attempt: 0 };
    const ready = info.State.Running;
    const st = this.readState(info.Id);
    const { labels, annotations } = fromDockerLabels(info.Config.Labels);
    const hc = info.HostConfig;
    const mode = (v: string | undefined) => (v === 'host' ? 'NODE' : v?.startsWith('container:') || v === 'shareable' || v === 'none' ? 'POD' : 'CONTAINER');
    const status = {
      id: info.Id,
      metadata: meta,
      state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      created_at: toNanos(info.Created),
      network: { ip: ready && st ? st.ip : '', additional_ips: [] },
      linux: { namespaces: { options: { network: mode(hc.NetworkMode), pid: hc.PidMode === 'host' ? 'NODE' : 'CONTAINER', ipc: mode(hc.IpcMode), target_id: '' } } },
      labels, annotations, runtime_handler: '',
    } as unknown as gen.PodSandboxStatus;
    const extra: Record<string, string> = verbose ? { info: JSON.stringify({ pid: info.State.Pid, image: info.Config.Image, cgroupParent: hc.CgroupParent, resolvConfPath: info.ResolvConfPath, cniResult: st?.result }) } : {};
    return { status, info: extra };
  }

  async list(filter: gen.PodSandboxFilterIn | undefined): Promise<gen.PodSandbox[]> {
    const list = await this.c.docker.listContainers({ all: true, filters: { label: [`${CONTAINER_TYPE_LABEL}=${TYPE_SANDBOX}`] } });
    const out: gen.PodSandbox[] = [];
    for (const c of list) {
      const meta = parseName(c.Names?.[0] ?? '')?.pod;
      if (!meta) continue;
      const state = c.State === 'running' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
      if (filter?.id && !c.Id.startsWith(filter.id)) continue;
      if (filter?.state && nsState(filter.state.state) !== state) continue;
      const { labels, annotations } = fromDockerLabels(c.Labels);
      if (!matchesSelector(labels, filter?.label_selector as Record<string, string> | undefined)) continue;
      out.push({ id: c.Id, metadata: meta, state, created_at: toNanos(c.Created), labels, annotations, runtime_handler: '' } as unknown as gen.PodSandbox);
    }
    return out;
  }

  /** The running pause container's pid (for port-forward and stats), or 0. */
  async pid(id: string): Promise<number> {
    const info = await this.inspectSandbox(id);
    return info.State.Running ? info.State.Pid : 0;
  }
}

const nsState = (s: unknown) => (typeof s === 'string' ? s : ['SANDBOX_READY', 'SANDBOX_NOTREADY'][Number(s ?? 0)]);
