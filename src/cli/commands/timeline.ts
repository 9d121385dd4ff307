import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl timeline` (being built). */
export const timelineCommand = defineCommand({
  name: 'timeline',
  description: 'the attack timeline of a threat with its blast radius (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl timeline is not built yet')),
});
