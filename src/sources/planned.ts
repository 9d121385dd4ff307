/**
 * Vendors irctl has Sigma log sources for but no importer yet: their rules load and validate now, and run as soon as
 * a provider module with adapters for these data types replaces the entry here.
 */
import type { Provider } from './types.js';

const planned = (name: string, description: string, sources: Array<[service: string, dataType: string, description: string]>): Provider => ({
  name,
  description,
  adapters: [],
  plannedLogSources: sources.map(([service, dataType, d]) => ({ product: name, service, dataType, description: d })),
});

/** Planned providers (no adapters). */
export const plannedProviders: readonly Provider[] = [
  planned('azure', 'Microsoft Azure and Entra ID (planned)', [
    ['activitylogs', 'azure:activity:entry', 'Azure Activity Log'],
    ['signinlogs', 'azure:signin:entry', 'Entra ID sign-in logs'],
    ['auditlogs', 'azure:audit:entry', 'Entra ID audit logs'],
    ['riskdetection', 'azure:riskdetection:entry', 'Entra ID Identity Protection risk detections'],
    ['pim', 'azure:pim:entry', 'Entra ID Privileged Identity Management alerts'],
  ]),
  planned('gcp', 'Google Cloud (planned)', [['gcp.audit', 'gcp:audit:entry', 'GCP Cloud Audit Logs (LogEntry JSON)']]),
  planned('okta', 'Okta (planned)', [['okta', 'okta:system:entry', 'Okta System Log']]),
];
