import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl stats` (being built). */
export const statsCommand = defineCommand({
  name: 'stats',
  description: 'agreement between machine verdicts and analyst decisions (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl stats is not built yet')),
});
