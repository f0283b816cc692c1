// kubectl's everyday verbs on the lab with etcd as the store (see kubectl-suite.ts).
import { kubectlSuite } from './kubectl-suite.js';

kubectlSuite('etcd');
