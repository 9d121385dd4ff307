/**
 * SQL for record details that live only in the raw record (request parameters, response elements, error message):
 * each data type's adapter names the JSON paths (`detailPaths`), and the column reads the first one present.
 */
import { detailPaths } from '../sources/index.js';

/** SQL string literal (the values come from provider modules, not from evidence, but are quoted all the same). */
const lit = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/**
 * A column read from the raw record at the JSON paths each data type's adapter names (request parameters, error
 * message), the first path present winning; NULL for data types without such paths.
 */
export function detailColumn(pick: (p: ReturnType<typeof detailPaths>[number]) => readonly string[], max: number, name: string): string {
  const whens = detailPaths()
    .filter((p) => pick(p).length > 0)
    .map((p) => `WHEN ${lit(p.dataType)} THEN COALESCE(${pick(p).map((path) => `json_extract(r.raw, ${lit(path)})`).join(', ')}, NULL)`);
  if (whens.length === 0) return `NULL AS ${name}`;
  return `substr(CASE WHEN json_valid(r.raw) THEN CASE e.data_type ${whens.join(' ')} END END, 1, ${max}) AS ${name}`;
}
