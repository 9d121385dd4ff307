import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl verify` (being built). */
export const verifyCommand = defineCommand({
  name: 'verify',
  description: 'verify a signed evidence bundle offline (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl verify is not built yet')),
});
