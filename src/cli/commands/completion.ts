import { Argument } from 'commander';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

const SHELL_NAMES = ['bash', 'zsh', 'fish'];

/** `irctl completion bash|zsh|fish`: a completion script generated from the command tree. */
export const completionCommand = defineCommand({
  name: 'completion',
  description: 'print a shell completion script (commands, subcommands, flags and their choices) for bash, zsh or fish',
  configure: (cmd) => void cmd.addArgument(new Argument('<shell>', 'the shell').choices(SHELL_NAMES)),
  examples: [
    'source <(irctl completion bash)',
    'irctl completion bash > ~/.local/share/bash-completion/completions/irctl',
    'irctl completion zsh > "${fpath[1]}/_irctl"',
    'irctl completion fish > ~/.config/fish/completions/irctl.fish',
  ],
  handler: async (args, _opts, ctx) => {
    const { commandSpec, completionScript, SHELLS } = await import('../completion.js');
    const shell = SHELLS.find((s) => s === args[0]);
    if (!shell) throw new UsageError(`no completion for ${JSON.stringify(args[0] ?? '')}: give bash, zsh or fish`);
    if (!ctx.root) throw new Error('the command tree is not available to `irctl completion`');
    ctx.io.outRaw(completionScript(shell, commandSpec(ctx.root)));
  },
});
