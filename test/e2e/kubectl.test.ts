// kubectl's everyday verbs on the lab with the embedded SQLite store (see kubectl-suite.ts).
import { kubectlSuite } from './kubectl-suite.js';

kubectlSuite('sqlite');
