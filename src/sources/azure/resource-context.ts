/**
 * Azure context records: snapshots of resources read through Azure Resource Graph by `irctl collect azure --context`
 * (layer `context`, class `inventory`): virtual machines, network interfaces, public IP addresses, network security
 * groups (their rules are in `properties.securityRules`), storage accounts (`allowBlobPublicAccess`,
 * `publicNetworkAccess`), Key Vaults and role assignments. Blast radius and containment read them like other context
 * (`store/collect-repo.ts` `listAssets`).
 *
 * Record format (data type `azure:resource:<kind>`): `{"contextType","observedAt","subscriptionId","resource":<the
 * element of the Resource Graph answer, byte for byte>}`. A resource carries no time of its own, so the record says
 * when it was observed; the element's bytes sit inside it unchanged, and the page's SHA-256 is on its input row.
 */
import { asObject, asString, normalizeTime, type NormalizeResult } from '../../normalize/event.js';
import type { SourceAdapter } from '../types.js';

/** Kinds of Azure context record, with the Resource Graph table and resource type each is read from. */
export const AZURE_CONTEXT_KINDS = {
  'virtual-machine': { table: 'Resources', type: 'microsoft.compute/virtualmachines' },
  'network-interface': { table: 'Resources', type: 'microsoft.network/networkinterfaces' },
  'public-ip': { table: 'Resources', type: 'microsoft.network/publicipaddresses' },
  'network-security-group': { table: 'Resources', type: 'microsoft.network/networksecuritygroups' },
  'storage-account': { table: 'Resources', type: 'microsoft.storage/storageaccounts' },
  'key-vault': { table: 'Resources', type: 'microsoft.keyvault/vaults' },
  'role-assignment': { table: 'AuthorizationResources', type: 'microsoft.authorization/roleassignments' },
} as const;
/** One kind. */
export type AzureContextKind = keyof typeof AZURE_CONTEXT_KINDS;
const KINDS = Object.keys(AZURE_CONTEXT_KINDS) as AzureContextKind[];

/**
 * The stored text of one record: the element's exact bytes inside an irctl envelope (pure). `subscriptionId` is the
 * element's when it has one, else the subscription queried.
 */
export function azureContextText(kind: AzureContextKind, elementBytes: string, observedAt: string, subscriptionId: string): string {
  return `{"contextType":${JSON.stringify(`azure:resource:${kind}`)},"observedAt":${JSON.stringify(observedAt)},"subscriptionId":${JSON.stringify(subscriptionId)},"resource":${elementBytes}}`;
}

function kindOf(record: unknown): AzureContextKind | undefined {
  const t = asString(asObject(record)?.contextType);
  if (!t?.startsWith('azure:resource:')) return undefined;
  const k = t.slice('azure:resource:'.length);
  return (KINDS as string[]).includes(k) ? (k as AzureContextKind) : undefined;
}

const lower = (s: string | undefined): string | undefined => s?.toLowerCase();

/** Resource ids an item points at (lower case, as the Activity Log adapter stores resource ids). */
function relatedOf(kind: AzureContextKind, r: Record<string, unknown>): string[] {
  const p = asObject(r.properties) ?? {};
  const out = new Set<string>();
  const add = (v: unknown): void => {
    const s = lower(asString(v));
    if (s !== undefined && s.startsWith('/')) out.add(s);
  };
  const ids = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) add(asObject(x)?.id);
  };
  switch (kind) {
    case 'virtual-machine':
      ids(asObject(p.networkProfile)?.networkInterfaces);
      add(asObject(asObject(asObject(p.storageProfile)?.osDisk)?.managedDisk)?.id);
      break;
    case 'network-interface':
      add(asObject(p.networkSecurityGroup)?.id);
      add(asObject(p.virtualMachine)?.id);
      if (Array.isArray(p.ipConfigurations)) for (const c of p.ipConfigurations) add(asObject(asObject(asObject(c)?.properties)?.publicIPAddress)?.id);
      break;
    case 'public-ip':
      add(asObject(p.ipConfiguration)?.id);
      break;
    case 'network-security-group':
      ids(p.networkInterfaces);
      ids(p.subnets);
      break;
    case 'role-assignment':
      add(p.scope);
      add(p.roleDefinitionId);
      break;
    case 'storage-account':
    case 'key-vault':
      break;
  }
  return [...out].sort();
}

function normalizeFor(kind: AzureContextKind): (record: unknown, sha: string) => NormalizeResult {
  return (record) => {
    const r = asObject(record);
    if (!r || kindOf(r) !== kind) return { ok: false, reason: `not an azure:resource:${kind} context record` };
    const resource = asObject(r.resource);
    const id = lower(asString(resource?.id));
    const t = normalizeTime(r.observedAt);
    if (!resource || id === undefined) return { ok: false, reason: `azure:resource:${kind} context record has no resource id` };
    if (!t) return { ok: false, reason: `azure:resource:${kind} context record has no valid observedAt` };
    const principal = kind === 'role-assignment' ? asString(asObject(resource.properties)?.principalId) : undefined;
    return {
      ok: true,
      event: {
        // One event per resource per snapshot: a later snapshot is new evidence, not a copy of the earlier one.
        id: `azure:resource:${kind}:${id}@${t.iso}`,
        dataType: `azure:resource:${kind}`,
        class: 'inventory',
        time: t.iso,
        timeMs: t.ms,
        provider: 'azure',
        layer: 'context',
        account: asString(resource.subscriptionId) ?? asString(r.subscriptionId) ?? '',
        region: asString(resource.location) ?? '',
        service: lower(asString(resource.type))?.split('/')[0] ?? 'azure',
        action: `inventory:${kind}`,
        // Inventory is nobody's action: no actor. A role assignment lists its principal's object id among its resources.
        actor: {},
        outcome: 'unknown',
        readOnly: true,
        resources: [id, ...relatedOf(kind, resource).filter((x) => x !== id), ...(principal !== undefined ? [principal.toLowerCase()] : [])],
      },
    };
  };
}

/** One adapter per context kind. */
export const azureContextAdapters: readonly SourceAdapter[] = KINDS.map((kind) => ({
  id: `azure-resource-${kind}`,
  dataType: `azure:resource:${kind}`,
  provider: 'azure',
  description: `Azure ${kind} snapshots collected by \`irctl collect azure --context\` (Resource Graph; context layer)`,
  version: 1,
  matches: (record: unknown) => kindOf(record) === kind,
  normalize: normalizeFor(kind),
}));
