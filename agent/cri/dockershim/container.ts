// CRI containers on docker: CreateContainer maps the ContainerConfig onto docker's create body
// (command → Entrypoint, args → Cmd, namespaces joined from the sandbox, mounts → Binds,
// resources → HostConfig); StartContainer links docker's json-file log at the kubelet's log path;
// status/list translate docker state (OOMKilled, exit codes, times in ns) back to CRI.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import type * as gen from '../types.js';
import { dockerStatus, isDockerNotFound, notFound, type ShimContext } from './context.js';
import { CONTAINER_TYPE_LABEL, containerName, fromDockerLabels, LOG_PATH_LABEL, matchesSelector, parseName,
  SANDBOX_ID_LABEL, toDockerLabels, toNanos, TYPE_CONTAINER } from './labels.js';
import type { SandboxService } from './sandbox.js';

const mode = (m: unknown) => (typeof m === 'string' ? m : ['POD', 'CONTAINER', 'NODE', 'TARGET'][Number(m ?? 0)] ?? 'POD');
const STATES = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'];
const stateName = (s: unknown) => (typeof s === 'string' ? s : STATES[Number(s ?? 0)]);

/** A CRI mount as a docker bind "host:container[:ro,rslave]". */
export function bindOf(m: gen.MountIn): string {
  const opts: string[] = [];
  if (m.readonly) opts.push('ro');
  const prop = String(m.propagation ?? 'PROPAGATION_PRIVATE');
  if (prop === 'PROPAGATION_HOST_TO_CONTAINER' || prop === '1') opts.push('rslave');
  else if (prop === 'PROPAGATION_BIDIRECTIONAL' || prop === '2') opts.push('rshared');
  if (m.selinux_relabel) opts.push('Z');
  return `${m.host_path}:${m.container_path}${opts.length ? ':' + opts.join(',') : ''}`;
}

/** The docker create body for a CRI container in sandbox `sandboxId`. */
export function createOptions(sandboxId: string, cfg: gen.ContainerConfigIn, sb: gen.PodSandboxConfigIn, cgroupRoot = ''): Docker.ContainerCreateOptions {
  const meta = { name: cfg.metadata?.name ?? '', attempt: Number(cfg.metadata?.attempt ?? 0) };
  const pm = sb.metadata ?? {};
  const pod = { name: pm.name ?? '', namespace: pm.namespace ?? '', uid: pm.uid ?? '', attempt: Number(pm.attempt ?? 0) };
  const logPath = sb.log_directory && cfg.log_path ? join(sb.log_directory, cfg.log_path) : '';
  const sc = cfg.linux?.security_context;
  const r = cfg.linux?.resources;
  const ns = sc?.namespace_options;
  const num = (v: unknown) => Number(v ?? 0);
  let user = sc?.run_as_username || (sc?.run_as_user ? String(sc.run_as_user.value) : '');
  if (user && sc?.run_as_group) user += `:${sc.run_as_group.value}`;
  const mem = num(r?.memory_limit_in_bytes);
  const hc: Docker.HostConfig = {
    Binds: (cfg.mounts ?? []).map(bindOf),
    NetworkMode: `container:${sandboxId}`,
    IpcMode: mode(ns?.ipc) === 'NODE' ? 'host' : `container:${sandboxId}`,
    ...(mode(ns?.pid) === 'POD' ? { PidMode: `container:${sandboxId}` } : mode(ns?.pid) === 'NODE' ? { PidMode: 'host' } : {}),
    Privileged: !!sc?.privileged,
    ReadonlyRootfs: !!sc?.readonly_rootfs,
    CapAdd: sc?.capabilities?.add_capabilities ?? [],
    CapDrop: sc?.capabilities?.drop_capabilities ?? [],
    GroupAdd: (sc?.supplemental_groups ?? []).map(String),
    SecurityOpt: sc?.no_new_privs ? ['no-new-privileges'] : [],
    CgroupParent: sb.linux?.cgroup_parent || cgroupRoot,
    CpuShares: num(r?.cpu_shares),
    CpuQuota: num(r?.cpu_quota),
    CpuPeriod: num(r?.cpu_period),
    Memory: mem,
    ...(mem > 0 ? { MemorySwap: num(r?.memory_swap_limit_in_bytes) || mem } : {}),
    CpusetCpus: r?.cpuset_cpus ?? '',
    CpusetMems: r?.cpuset_mems ?? '',
    Devices: (cfg.devices ?? []).map((d) => ({ PathOnHost: d.host_path ?? '', PathInContainer: d.container_path ?? '', CgroupPermissions: d.permissions || 'rwm' })),
    LogConfig: { Type: 'json-file', Config: {} },
    RestartPolicy: { Name: '', MaximumRetryCount: 0 },
  };
  return {
    name: containerName(meta, pod),
    Image: cfg.image?.image ?? '',
    ...(cfg.command?.length ? { Entrypoint: cfg.command } : {}),
    ...(cfg.args?.length ? { Cmd: cfg.args } : {}),
    Env: (cfg.envs ?? []).map((e) => `${e.key}=${e.value ?? ''}`),
    WorkingDir: cfg.working_dir ?? '',
    ...(user ? { User: user } : {}),
    Tty: !!cfg.tty,
    OpenStdin: !!cfg.stdin,
    StdinOnce: !!cfg.stdin_once,
    AttachStdin: !!cfg.stdin,
    Labels: toDockerLabels(cfg.labels as Record<string, string>, cfg.annotations as Record<string, string>,
      { [CONTAINER_TYPE_LABEL]: TYPE_CONTAINER, [SANDBOX_ID_LABEL]: sandboxId, [LOG_PATH_LABEL]: logPath }),
    HostConfig: hc,
  };
}

/** CRI state, reason and message from docker's State. */
export function stateOf(s: Docker.ContainerInspectInfo['State']): { state: string; reason: string; message: string } {
  if (s.Running || s.Paused || s.Restarting) return { state: 'CONTAINER_RUNNING', reason: '', message: '' };
  const finished = toNanos(s.FinishedAt) !== '0';
  if (finished || s.ExitCode !== 0 || s.Status === 'exited' || s.Status === 'dead') {
    return { state: 'CONTAINER_EXITED', reason: s.OOMKilled ? 'OOMKilled' : s.ExitCode === 0 ? 'Completed' : 'Error', message: s.Error ?? '' };
  }
  if (s.Status === 'created') return { state: 'CONTAINER_CREATED', reason: '', message: '' };
  return { state: 'CONTAINER_UNKNOWN', reason: '', message: '' };
}

const listState = (s: string) => (s === 'running' || s === 'paused' || s === 'restarting' ? 'CONTAINER_RUNNING' : s === 'created' ? 'CONTAINER_CREATED'
  : s === 'exited' || s === 'dead' ? 'CONTAINER_EXITED' : 'CONTAINER_UNKNOWN');

export class ContainerService {
  constructor(private readonly c: ShimContext, private readonly sandboxes: SandboxService) {}

  async create(sandboxId: string, cfg: gen.ContainerConfigIn, sb: gen.PodSandboxConfigIn): Promise<string> {
    await this.sandboxes.status(sandboxId, false); // NOT_FOUND for an unknown sandbox
    const ctr = await this.sandboxes.createReplacingConflict(createOptions(sandboxId, cfg, sb, this.c.opts.cgroupRoot));
    return ctr.id;
  }

  async inspect(id: string): Promise<Docker.ContainerInspectInfo> {
    try {
      const info = await this.c.docker.getContainer(id).inspect();
      if (info.Config.Labels?.[CONTAINER_TYPE_LABEL] !== TYPE_CONTAINER) throw notFound(`container ${id} not found`);
      return info;
    } catch (err) {
      if (isDockerNotFound(err)) throw notFound(`container ${id} not found`);
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    const info = await this.inspect(id);
    let startErr: unknown;
    try { await this.c.docker.getContainer(info.Id).start(); } catch (err) { startErr = err; }
    // Upstream dockershim's log symlink, made after the start (docker names its json-file log
    // then), for failed starts too: the kubelet reads docker's log at its own log path.
    const kubeLog = info.Config.Labels?.[LOG_PATH_LABEL];
    if (kubeLog) {
      const logPath = (await this.c.docker.getContainer(info.Id).inspect().catch(() => info)).LogPath;
      if (logPath) {
        try {
          mkdirSync(dirname(kubeLog), { recursive: true });
          rmSync(kubeLog, { force: true });
          symlinkSync(logPath, kubeLog);
        } catch (err) { this.c.log.warn({ container: info.Id, err: (err as Error).message }, 'cannot link the container log'); }
      }
    }
    if (startErr) throw startErr;
  }

  async stop(id: string, timeout: number): Promise<void> {
    const info = await this.inspect(id);
    try { await this.c.docker.getContainer(info.Id).stop({ t: Math.max(0, timeout) }); } catch (err) {
      if (dockerStatus(err) !== 304) throw err; // 304: already stopped
    }
  }

  /** Removes the container and its log link; gone already is fine. */
  async remove(id: string): Promise<void> {
    let info: Docker.ContainerInspectInfo;
    try { info = await this.inspect(id); } catch (err) { if ((err as { code?: number }).code === 5) return; throw err; }
    const kubeLog = info.Config.Labels?.[LOG_PATH_LABEL];
    if (kubeLog) rmSync(kubeLog, { force: true });
    await this.c.docker.getContainer(info.Id).remove({ force: true, v: true }).catch((e) => { if (!isDockerNotFound(e)) throw e; });
  }

  async status(id: string): Promise<gen.ContainerStatus> {
    const info = await this.inspect(id);
    const parsed = parseName(info.Name);
    const { labels, annotations } = fromDockerLabels(info.Config.Labels);
    const st = stateOf(info.State);
    return {
      id: info.Id,
      metadata: parsed?.container ?? { name: '', attempt: 0 },
      state: st.state,
      created_at: toNanos(info.Created),
      started_at: toNanos(info.State.StartedAt),
      finished_at: st.state === 'CONTAINER_EXITED' ? toNanos(info.State.FinishedAt) : '0',
      exit_code: info.State.ExitCode,
      image: { image: info.Config.Image, annotations: {}, user_specified_image: '' },
      image_ref: info.Image,
      reason: st.reason,
      message: st.message,
      labels, annotations,
      mounts: (info.Mounts ?? []).filter((m) => m.Type === 'bind').map((m) => ({
        container_path: m.Destination, host_path: m.Source, readonly: !m.RW, selinux_relabel: false,
        propagation: m.Propagation === 'rslave' ? 'PROPAGATION_HOST_TO_CONTAINER' : m.Propagation === 'rshared' ? 'PROPAGATION_BIDIRECTIONAL' : 'PROPAGATION_PRIVATE',
      })),
      log_path: info.Config.Labels?.[LOG_PATH_LABEL] ?? '',
      resources: null,
    } as unknown as gen.ContainerStatus;
  }

  async list(filter: gen.ContainerFilterIn | undefined): Promise<gen.Container[]> {
    const labelFilter = [`${CONTAINER_TYPE_LABEL}=${TYPE_CONTAINER}`];
    if (filter?.pod_sandbox_id) labelFilter.push(`${SANDBOX_ID_LABEL}=${filter.pod_sandbox_id}`);
    const list = await this.c.docker.listContainers({ all: true, filters: { label: labelFilter } });
    const out: gen.Container[] = [];
    for (const c of list) {
      const meta = parseName(c.Names?.[0] ?? '')?.container;
      if (!meta) continue;
      const state = listState(c.State);
      if (filter?.id && !c.Id.startsWith(filter.id)) continue;
      if (filter?.state && stateName(filter.state.state) !== state) continue;
      const { labels, annotations } = fromDockerLabels(c.Labels);
      if (!matchesSelector(labels, filter?.label_selector as Record<string, string> | undefined)) continue;
      out.push({
        id: c.Id, pod_sandbox_id: c.Labels?.[SANDBOX_ID_LABEL] ?? '', metadata: meta,
        image: { image: c.Image, annotations: {}, user_specified_image: '' }, image_ref: c.ImageID, state,
        created_at: toNanos(c.Created), labels, annotations,
      } as unknown as gen.Container);
    }
    return out;
  }
}
