/**
 * Sigma `logsource` to irctl data type (the `data_type` stored with each event by its source adapter). A rule runs on
 * the events of its data type only. Data types without an importer yet are listed so their rules load and validate
 * now and run as soon as events of that type exist. Pure.
 */

/** One supported log source. */
export interface LogSourceMapping {
  product: string;
  service: string;
  dataType: string;
  /** Whether irctl imports events of this data type today. */
  importer: boolean;
  description: string;
}

/** Supported Sigma log sources (product/service, case-insensitive). */
export const LOG_SOURCES: readonly LogSourceMapping[] = [
  { product: 'aws', service: 'cloudtrail', dataType: 'aws:cloudtrail:entry', importer: true, description: 'AWS CloudTrail records (inside any EventBridge envelope)' },
  { product: 'azure', service: 'activitylogs', dataType: 'azure:activity:entry', importer: false, description: 'Azure Activity Log' },
  { product: 'azure', service: 'signinlogs', dataType: 'azure:signin:entry', importer: false, description: 'Entra ID sign-in logs' },
  { product: 'azure', service: 'auditlogs', dataType: 'azure:audit:entry', importer: false, description: 'Entra ID audit logs' },
  { product: 'azure', service: 'riskdetection', dataType: 'azure:riskdetection:entry', importer: false, description: 'Entra ID Identity Protection risk detections' },
  { product: 'azure', service: 'pim', dataType: 'azure:pim:entry', importer: false, description: 'Entra ID Privileged Identity Management alerts' },
  { product: 'gcp', service: 'gcp.audit', dataType: 'gcp:audit:entry', importer: false, description: 'GCP Cloud Audit Logs (LogEntry JSON)' },
  { product: 'okta', service: 'okta', dataType: 'okta:system:entry', importer: false, description: 'Okta System Log' },
];

/** Data type of a Sigma logsource, or an error message naming what is not supported. */
export function dataTypeOf(ls: { product?: unknown; service?: unknown; category?: unknown } | undefined): { dataType: string } | { error: string } {
  if (!ls) return { error: 'rule has no logsource' };
  const product = typeof ls.product === 'string' ? ls.product.toLowerCase() : undefined;
  const service = typeof ls.service === 'string' ? ls.service.toLowerCase() : undefined;
  const category = typeof ls.category === 'string' ? ls.category : undefined;
  const hit = LOG_SOURCES.find((m) => m.product === product && m.service === service);
  if (hit && category === undefined) return { dataType: hit.dataType };
  const desc = [product && `product: ${product}`, service && `service: ${service}`, category && `category: ${category}`].filter(Boolean).join(', ');
  return {
    error: `logsource (${desc || 'empty'}) is not one irctl evaluates; supported: ${LOG_SOURCES.map((m) => `${m.product}/${m.service}`).join(', ')}`,
  };
}
