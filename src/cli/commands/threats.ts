import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl threats` (being built). */
export const threatsCommand = defineCommand({
  name: 'threats',
  description: 'list threats by priority, or show one (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl threats is not built yet')),
});
