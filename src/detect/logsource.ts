/**
 * Sigma `logsource` to irctl data type (the `data_type` stored with each event by its source adapter). A rule runs on
 * the events of its data type only. Data types without an importer yet are listed so their rules load and validate
 * now and run as soon as events of that type exist. The mappings come from the provider modules. Pure.
 */
import { logSources } from '../sources/index.js';

/** One supported log source. */
export interface LogSourceMapping {
  product: string;
  service: string;
  dataType: string;
  /** Whether irctl imports events of this data type today. */
  importer: boolean;
  description: string;
}

/** Supported Sigma log sources (product/service, case-insensitive), as the providers declare them. */
export function supportedLogSources(): readonly LogSourceMapping[] {
  return logSources();
}

/** Data type of a Sigma logsource, or an error message naming what is not supported. */
export function dataTypeOf(ls: { product?: unknown; service?: unknown; category?: unknown } | undefined): { dataType: string } | { error: string } {
  if (!ls) return { error: 'rule has no logsource' };
  const product = typeof ls.product === 'string' ? ls.product.toLowerCase() : undefined;
  const service = typeof ls.service === 'string' ? ls.service.toLowerCase() : undefined;
  const category = typeof ls.category === 'string' ? ls.category : undefined;
  const all = supportedLogSources();
  const hit = all.find((m) => m.product === product && m.service === service);
  if (hit && category === undefined) return { dataType: hit.dataType };
  const desc = [product && `product: ${product}`, service && `service: ${service}`, category && `category: ${category}`].filter(Boolean).join(', ');
  return {
    error: `logsource (${desc || 'empty'}) is not one irctl evaluates; supported: ${all.map((m) => `${m.product}/${m.service}`).join(', ')}`,
  };
}
