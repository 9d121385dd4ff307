/**
 * Sigma `logsource` to irctl data type (the `data_type` stored with each event by its source adapter). A rule runs on
 * the events of its data type only. Data types without an importer yet are listed so their rules load and validate
 * now and run as soon as events of that type exist. The mappings come from the provider modules. Pure.
 */
import { dataTypesOfCategory, logCategories, logSources } from '../sources/index.js';

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

/** Prefix of the pseudo data type a category rule compiles its fields with (no provider's aliases or derived fields). */
export const CATEGORY_PREFIX = 'category:';

/**
 * Data type of a Sigma logsource, or an error message naming what is not supported. A provider-neutral category
 * without product or service (`category: network_flow`) runs on every data type that answers it (`dataTypes`); its
 * fields are the generic ones (`event.*`, `network.*`), so it compiles against `category:<name>`.
 */
export function dataTypeOf(ls: { product?: unknown; service?: unknown; category?: unknown } | undefined): { dataType: string; dataTypes?: string[] } | { error: string } {
  if (!ls) return { error: 'rule has no logsource' };
  const product = typeof ls.product === 'string' ? ls.product.toLowerCase() : undefined;
  const service = typeof ls.service === 'string' ? ls.service.toLowerCase() : undefined;
  const category = typeof ls.category === 'string' ? ls.category : undefined;
  if (category !== undefined && product === undefined && service === undefined) {
    const types = dataTypesOfCategory(category.toLowerCase());
    if (types.length > 0) return { dataType: `${CATEGORY_PREFIX}${category.toLowerCase()}`, dataTypes: types };
  }
  const all = supportedLogSources();
  const hit = all.find((m) => m.product === product && m.service === service);
  if (hit && category === undefined) return { dataType: hit.dataType };
  const desc = [product && `product: ${product}`, service && `service: ${service}`, category && `category: ${category}`].filter(Boolean).join(', ');
  return {
    error: `logsource (${desc || 'empty'}) is not one irctl evaluates; supported: ${[...all.map((m) => `${m.product}/${m.service}`), ...logCategories().map((c) => `category ${c.category}`)].join(', ')}`,
  };
}
