/**
 * The list of subcommands (style.md §2). Command files are light: handlers import their stage lazily.
 * Order follows the pipeline: sources -> store -> detect -> correlate -> investigate -> export.
 */
import type { CommandDefinition } from './command.js';
import { caseCommand } from './commands/case.js';
import { collectCommand } from './commands/collect.js';
import { completionCommand } from './commands/completion.js';
import { containCommand } from './commands/contain.js';
import { contextCommand } from './commands/context.js';
import { detectCommand } from './commands/detect.js';
import { eventsCommand } from './commands/events.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { investigateCommand } from './commands/investigate.js';
import { keysCommand } from './commands/keys.js';
import { reportCommand } from './commands/report.js';
import { rulesCommand } from './commands/rules.js';
import { showCommand } from './commands/show.js';
import { statsCommand } from './commands/stats.js';
import { threatsCommand } from './commands/threats.js';
import { timelineCommand } from './commands/timeline.js';
import { verdictCommand } from './commands/verdict.js';
import { verifyCommand } from './commands/verify.js';

/** Every top-level subcommand, in help order (pipeline order). */
export const commands: readonly CommandDefinition[] = [
  collectCommand,
  importCommand,
  eventsCommand,
  showCommand,
  caseCommand,
  rulesCommand,
  detectCommand,
  threatsCommand,
  timelineCommand,
  contextCommand,
  investigateCommand,
  verdictCommand,
  containCommand,
  statsCommand,
  keysCommand,
  exportCommand,
  verifyCommand,
  reportCommand,
  completionCommand,
];
