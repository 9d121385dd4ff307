import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl collect` (being built). */
export const collectCommand = defineCommand({
  name: 'collect',
  description: 'collect logs from cloud APIs into the case (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl collect is not built yet')),
});
