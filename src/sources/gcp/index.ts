/**
 * The Google Cloud provider: Cloud Audit Logs entries in every export shape (gcloud / Logs Explorer arrays, Cloud
 * Storage sink JSON Lines, `entries:list` pages, Pub/Sub push envelopes and pull responses), and everything irctl
 * knows about Google Cloud principals, privilege and logging. Collection clients live in `src/collect/gcp/`.
 */
import { gcpContainment } from '../../respond/gcp/plan.js';
import type { Provider } from '../types.js';
import { gcpAudit } from './audit-log.js';
import { AUDIT_LOG_KIND_NAMES, auditKindOf } from './common.js';
import { entriesPageContainer, pubsubPullContainer, pubsubPushEnvelope } from './containers.js';
import { dataAccessSettings, gcpIamPolicyContext, IAM_POLICY_DATA_TYPE } from './audit-config.js';
import { gcpAssetContextAdapters } from './context.js';
import { gcpExposureOfRecord } from './exposure.js';
import { gcpVertexRequestResponse } from './vertex-ai.js';
import { gcpVpcFlow } from './vpc-flow.js';
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
  description: 'Google Cloud: Cloud Audit Logs (Admin Activity, Data Access, System Event, Policy Denied) in gcloud, sink, entries:list and Pub/Sub shapes (BigQuery sink NDJSON and Logs Explorer CSV as re-shaped copies); VPC flow logs; Vertex AI request-response logs',
  // Cloud Asset Inventory context records (collect gcp --context) are adapters of this provider too.
  adapters: [gcpAudit, gcpVpcFlow, gcpVertexRequestResponse, ...gcpAssetContextAdapters, gcpIamPolicyContext],
  containers: [entriesPageContainer, pubsubPullContainer],
  envelopes: [pubsubPushEnvelope],
  logKinds: {
    dataType: 'gcp:audit:entry',
    path: '$.logName',
    kindOf: auditKindOf,
    kinds: [
      {
        kind: 'activity',
        name: AUDIT_LOG_KIND_NAMES.activity,
        whenAbsent: 'no Admin Activity audit entries although other audit logs are there: Admin Activity is always on, so the export or collection left them out (add cloudaudit.googleapis.com/activity to the sink filter or the collection)',
      },
      {
        kind: 'data_access',
        name: AUDIT_LOG_KIND_NAMES.data_access,
        whenAbsent:
          'no Data Access audit entries: they are off by default for most services (or were not exported), so reads of data and configuration (storage objects, secrets, IAM policies, BigQuery) are not in evidence: missing evidence, not quiet activity',
      },
      { kind: 'system_event', name: AUDIT_LOG_KIND_NAMES.system_event },
      { kind: 'policy', name: AUDIT_LOG_KIND_NAMES.policy },
    ],
    // The IAM audit configuration `collect gcp` reads says which services write Data Access logs.
    settings: { dataType: IAM_POLICY_DATA_TYPE, describe: dataAccessSettings },
  },
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
  exposure: gcpExposureOfRecord,
  pseudonymPatterns: GCP_PSEUDONYM_PATTERNS,
  containment: gcpContainment,
};
