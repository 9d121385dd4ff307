/**
 * Vendors irctl has Sigma log sources for but no importer yet: their rules load and validate now, and run as soon as
 * a provider module with adapters for these data types replaces the entry here.
 */
import type { Provider } from './types.js';

/** A provider with Sigma log sources and no adapters yet (its rules load, validate and wait for an importer). */
export const plannedProvider = (name: string, description: string, sources: Array<[service: string, dataType: string, description: string]>): Provider => ({
  name,
  description,
  adapters: [],
  plannedLogSources: sources.map(([service, dataType, d]) => ({ product: name, service, dataType, description: d })),
});

/** Planned providers (no adapters). None today: every vendor with Sigma log sources has a provider module. */
export const plannedProviders: readonly Provider[] = [];
