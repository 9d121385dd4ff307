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
  planned('okta', 'Okta (planned)', [['okta', 'okta:system:entry', 'Okta System Log']]),
];
