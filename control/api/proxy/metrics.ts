// metrics.k8s.io/v1beta1 (placeholder until the kubelet summary is wired).
import type { FastifyInstance } from 'fastify';
import type { ApiContext, ExtraGroup } from '../extension.js';

export const metricsGroup: ExtraGroup = { name: 'metrics.k8s.io', version: 'v1beta1', resources: [] };
export function metricsRoutes(_app: FastifyInstance, _ctx: ApiContext): void {}
