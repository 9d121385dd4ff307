/**
 * The Azure provider: Activity Log entries, Entra ID sign-ins and directory audits (each in its API and
 * diagnostic-settings shapes), Graph / ARM list pages (`value[]`), and everything irctl knows about Azure principals,
 * privilege and logging, and the Resource Graph context records of `irctl collect azure --context` (collection
 * clients: src/collect/azure/).
 */
import { asObject } from '../../normalize/event.js';
import { azureContainment } from '../../respond/azure/plan.js';
import type { ContainerFormat, Provider } from '../types.js';
import { azureActivity } from './activity-log.js';
import { azureAudit } from './directory-audit.js';
import {
  ARM_GRANT_ACTIONS,
  AZURE_PSEUDONYM_PATTERNS,
  AZURE_TAMPER_ACTIONS,
  AZURE_TAMPER_STARTS,
  AZURE_TAMPER_STOPS,
  azureAdminGrants,
  azureJewelForms,
  ENTRA_GRANT_ACTIONS,
  isAzurePlatformValue,
} from './knowledge.js';
import { azureContextAdapters } from './resource-context.js';
import { azureSignIn } from './signin.js';
import { azureResourceLogAdapters } from './resource-log-adapters.js';
import { AZURE_RESOURCE_LOG_PSEUDONYMS } from './resource-logs.js';
import { azurePim } from './pim.js';
import { azureRiskDetection, azureRiskyUser } from './risk.js';

/**
 * A Microsoft Graph or ARM list response (`{"@odata.context": ..., "value": [...], "@odata.nextLink": ...}`,
 * `{"value": [...], "nextLink": ...}`): each element of `value` is a record, as is.
 */
export const valueListContainer: ContainerFormat = {
  format: 'value',
  description: 'an object with a "value" array of records (Microsoft Graph and Azure Resource Manager list responses, one page per file)',
  keys: ['value'],
  unwrap: (bytes, parsed) => (asObject(parsed) ? { bytes, parsed } : { error: 'element of "value" is not a JSON object' }),
};

/** Azure and Entra ID. */
export const azureProvider: Provider = {
  name: 'azure',
  description: 'Microsoft Azure and Entra ID: Activity Log, sign-ins, directory audits (ARM / Graph pages, diagnostic-settings exports)',
  adapters: [azureActivity, azureSignIn, azureAudit, ...azureContextAdapters, ...azureResourceLogAdapters, azureRiskDetection, azureRiskyUser, azurePim],
  containers: [valueListContainer],
  isServicePrincipal: isAzurePlatformValue,
  privilege: {
    // Azure has no all-powerful account principal; admin rights come from role assignments (grants below).
    isRoot: () => false,
    adminNamedRole: () => undefined,
    grantActions: [
      { service: 'microsoft.authorization', actions: ARM_GRANT_ACTIONS },
      { service: 'entra', actions: ENTRA_GRANT_ACTIONS },
    ],
    adminGrants: azureAdminGrants,
  },
  tampering: { actions: AZURE_TAMPER_ACTIONS, stops: AZURE_TAMPER_STOPS, starts: AZURE_TAMPER_STARTS },
  jewelForms: azureJewelForms,
  pseudonymPatterns: [...AZURE_PSEUDONYM_PATTERNS, ...AZURE_RESOURCE_LOG_PSEUDONYMS],
  containment: azureContainment,
};
