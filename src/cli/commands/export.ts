import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl export` (being built). */
export const exportCommand = defineCommand({
  name: 'export',
  description: 'export a signed evidence bundle (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl export is not built yet')),
});
