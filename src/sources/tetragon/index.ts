/**
 * The Tetragon provider: eBPF runtime events from Cilium Tetragon (process execution and exit, kprobe / tracepoint /
 * LSM hook events of tracing policies) as its JSON export writes them. Import only: Tetragon writes its export file
 * or streams over gRPC (`tetra getevents`); irctl reads what those wrote.
 */
import type { Provider } from '../types.js';
import { tetragonExport } from './event.js';

/** Tetragon. */
export const tetragonProvider: Provider = {
  name: 'tetragon',
  description: 'Cilium Tetragon runtime events (JSON export lines: process_exec, process_exit, process_kprobe, ...)',
  adapters: [tetragonExport],
};
