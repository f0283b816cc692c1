// Short names for the generated runtime.v1 message types: `X` is a message as received
// (all fields present, defaults filled), `XIn` the same message as sent (every field optional).
export type { VersionResponse__Output as VersionResponse } from '../../proto/gen/runtime/v1/VersionResponse.js';
export type { StatusResponse__Output as StatusResponse } from '../../proto/gen/runtime/v1/StatusResponse.js';
export type { PodSandboxConfig as PodSandboxConfigIn } from '../../proto/gen/runtime/v1/PodSandboxConfig.js';
export type { PodSandboxStatusResponse__Output as PodSandboxStatusResponse } from '../../proto/gen/runtime/v1/PodSandboxStatusResponse.js';
export type { PodSandboxStatus__Output as PodSandboxStatus } from '../../proto/gen/runtime/v1/PodSandboxStatus.js';
export type { PodSandboxFilter as PodSandboxFilterIn } from '../../proto/gen/runtime/v1/PodSandboxFilter.js';
export type { PodSandbox__Output as PodSandbox } from '../../proto/gen/runtime/v1/PodSandbox.js';
export type { ContainerConfig as ContainerConfigIn } from '../../proto/gen/runtime/v1/ContainerConfig.js';
export type { ContainerFilter as ContainerFilterIn } from '../../proto/gen/runtime/v1/ContainerFilter.js';
export type { Container__Output as Container } from '../../proto/gen/runtime/v1/Container.js';
export type { ContainerStatusResponse__Output as ContainerStatusResponse } from '../../proto/gen/runtime/v1/ContainerStatusResponse.js';
export type { ContainerStatus__Output as ContainerStatus } from '../../proto/gen/runtime/v1/ContainerStatus.js';
export type { ContainerState__Output as ContainerState } from '../../proto/gen/runtime/v1/ContainerState.js';
export type { PodSandboxState__Output as PodSandboxState } from '../../proto/gen/runtime/v1/PodSandboxState.js';
export type { ExecSyncResponse__Output as ExecSyncResponse } from '../../proto/gen/runtime/v1/ExecSyncResponse.js';
export type { ExecRequest as ExecRequestIn } from '../../proto/gen/runtime/v1/ExecRequest.js';
export type { AttachRequest as AttachRequestIn } from '../../proto/gen/runtime/v1/AttachRequest.js';
export type { ContainerStats__Output as ContainerStats } from '../../proto/gen/runtime/v1/ContainerStats.js';
export type { ContainerStatsFilter as ContainerStatsFilterIn } from '../../proto/gen/runtime/v1/ContainerStatsFilter.js';
export type { ImageSpec as ImageSpecIn } from '../../proto/gen/runtime/v1/ImageSpec.js';
export type { Image__Output as Image } from '../../proto/gen/runtime/v1/Image.js';
export type { AuthConfig as AuthConfigIn } from '../../proto/gen/runtime/v1/AuthConfig.js';
export type { ImageFsInfoResponse__Output as ImageFsInfoResponse } from '../../proto/gen/runtime/v1/ImageFsInfoResponse.js';
export type { PortMapping as PortMappingIn } from '../../proto/gen/runtime/v1/PortMapping.js';
export type { Mount as MountIn } from '../../proto/gen/runtime/v1/Mount.js';
export type { KeyValue as KeyValueIn } from '../../proto/gen/runtime/v1/KeyValue.js';
