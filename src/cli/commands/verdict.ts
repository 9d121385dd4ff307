import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl verdict` (being built). */
export const verdictCommand = defineCommand({
  name: 'verdict',
  description: 'record the analyst decision on a threat (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl verdict is not built yet')),
});
