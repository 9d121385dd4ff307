import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl keys` (being built). */
export const keysCommand = defineCommand({
  name: 'keys',
  description: 'manage the case signing key (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl keys is not built yet')),
});
