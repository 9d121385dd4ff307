/**
 * The Google Cloud provider: Cloud Audit Logs entries in every export shape (gcloud / Logs Explorer arrays, Cloud
 * Storage sink JSON Lines, `entries:list` pages, Pub/Sub push envelopes and pull responses), and everything irctl
 * knows about Google Cloud principals, privilege and logging. Collection clients live in `src/collect/gcp/`.
 */
import type { Provider } from '../types.js';
import { gcpAudit } from './audit-log.js';
import { entriesPageContainer, pubsubPullContainer, pubsubPushEnvelope } from './containers.js';
import {
  gcpAdminGrants,
  GCP_GRANT_METHODS,
  GCP_PSEUDONYM_PATTERNS,
  GCP_TAMPER_ACTIONS,
  GCP_TAMPER_STARTS,
  GCP_TAMPER_STOPS,
  gcpAdminNamed,
  gcpExtraEntities,
  gcpJewelForms,
  gcpRolesAssumed,
  gcpShortName,
  isGcpServiceValue,
} from './knowledge.js';

/** Google Cloud. */
export const gcpProvider: Provider = {
  name: 'gcp',
  description: 'Google Cloud: Cloud Audit Logs (Admin Activity, Data Access, System Event, Policy Denied) in gcloud, sink, entries:list and Pub/Sub shapes',
  adapters: [gcpAudit],
  containers: [entriesPageContainer, pubsubPullContainer],
  envelopes: [pubsubPushEnvelope],
  isServicePrincipal: isGcpServiceValue,
  extraEntities: gcpExtraEntities,
  shortName: gcpShortName,
  privilege: {
    // Google Cloud has no all-powerful account principal; owner comes from IAM bindings (grants below).
    isRoot: () => false,
    adminNamedRole: gcpAdminNamed,
    grantActions: [{ service: 'cloudresourcemanager', actions: GCP_GRANT_METHODS }],
    adminGrants: gcpAdminGrants,
  },
  tampering: { actions: GCP_TAMPER_ACTIONS, stops: GCP_TAMPER_STOPS, starts: GCP_TAMPER_STARTS },
  rolesAssumed: gcpRolesAssumed,
  jewelForms: gcpJewelForms,
  pseudonymPatterns: GCP_PSEUDONYM_PATTERNS,
};
