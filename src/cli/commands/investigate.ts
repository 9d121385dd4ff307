import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl investigate` (being built). */
export const investigateCommand = defineCommand({
  name: 'investigate',
  description: 'question-and-answer investigation of a threat ending in a verdict (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl investigate is not built yet')),
});
