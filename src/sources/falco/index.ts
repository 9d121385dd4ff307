/**
 * The Falco provider: runtime security alerts from Falco (syscall, Kubernetes audit and plugin sources) as Falco and
 * falcosidekick write them. Import only: Falco pushes alerts (stdout, files, http, falcosidekick outputs); there is
 * no API to pull them from.
 */
import type { Provider } from '../types.js';
import { falcoAlert } from './alert.js';

/** Falco. */
export const falcoProvider: Provider = {
  name: 'falco',
  description: 'Falco runtime security alerts (json_output lines, falcosidekick payloads)',
  adapters: [falcoAlert],
};
