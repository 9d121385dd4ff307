import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl context` (being built). */
export const contextCommand = defineCommand({
  name: 'context',
  description: 'show or edit the operator context (context.yaml) (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl context is not built yet')),
});
