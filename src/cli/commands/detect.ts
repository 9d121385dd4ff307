import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** `irctl detect` (being built). */
export const detectCommand = defineCommand({
  name: 'detect',
  description: 'run detection rules over the case and group detections into threats (not built yet)',
  handler: () => Promise.reject(new UsageError('irctl detect is not built yet')),
});
