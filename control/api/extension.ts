// Extension points of the API server, so features live in their own folders: handlers for
// connect-style subresources (pods/log, pods/exec, pods/portforward, pods/eviction, …),
// extra API groups (metrics.k8s.io), and extra routes — registered through ApiServerOptions.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Rest, Target } from './rest.js';
import type { Store } from './storage.js';

export interface ApiContext { store: Store; rest: Rest }

/** Handles one subresource, e.g. 'pods/log'; may hijack the reply (streams, upgrades). */
export type SubresourceHandler = (req: FastifyRequest, reply: FastifyReply, t: Target, ctx: ApiContext) => Promise<unknown>;

export interface ExtraGroup {
  name: string;
  version: string;
  /** APIResourceList entries for discovery. */
  resources: Array<Record<string, unknown>>;
}

export interface ApiExtension {
  subresources?: Record<string, SubresourceHandler>;
  groups?: ExtraGroup[];
  /** Registers routes of its own (e.g. /apis/metrics.k8s.io/v1beta1/...). */
  routes?(app: FastifyInstance, ctx: ApiContext): void;
}
