import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl rules` (being built). */
export const rulesCommand = defineCommand({
  name: 'rules',
  description: 'list and validate detection rules (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl rules is not built yet')),
});
