import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl report` (being built). */
export const reportCommand = defineCommand({
  name: 'report',
  description: 'write the incident report of a threat (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl report is not built yet')),
});
