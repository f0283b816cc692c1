// Computed, create-only resources: authentication.k8s.io/v1 TokenReview and SelfSubjectReview,
// authorization.k8s.io/v1 SubjectAccessReview, SelfSubjectAccessReview and
// LocalSubjectAccessReview. Nothing is stored and nothing is listed, so they are discovery
// entries of their own groups (verbs: create), answered by control/api/auth/review-handlers.ts.
import type { ExtraGroup } from '../extension.js';

const entry = (name: string, kind: string, namespaced = false) => ({ name, singularName: name.replace(/s$/, ''), namespaced, kind, verbs: ['create'] });

export const reviewGroups: ExtraGroup[] = [
  { name: 'authentication.k8s.io', version: 'v1', resources: [entry('selfsubjectreviews', 'SelfSubjectReview'), entry('tokenreviews', 'TokenReview')] },
  { name: 'authorization.k8s.io', version: 'v1', resources: [
    entry('localsubjectaccessreviews', 'LocalSubjectAccessReview', true), entry('selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
    entry('selfsubjectrulesreviews', 'SelfSubjectRulesReview'), entry('subjectaccessreviews', 'SubjectAccessReview'),
  ] },
];
