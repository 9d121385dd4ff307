import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliIoHost } from './cli-io-host.js';

/** A host whose stdin is a fake terminal. */
function host(): { io: CliIoHost; stdin: PassThrough } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const sink = new PassThrough();
  sink.resume();
  return { io: new CliIoHost({ json: false, color: false, level: 'info', stdin, stdout: sink, stderr: sink }), stdin };
}

describe('CliIoHost.ask', () => {
  it('returns a question pasted over several lines whole when asked for multiline, and only its first line otherwise', async () => {
    // GIVEN a paste of three lines arriving in one chunk
    const a = host();
    const multi = a.io.ask('> ', '', { multiline: true });
    a.stdin.write('what did alice do\nafter 10:00 from\n203.0.113.7\n');
    // THEN the multiline answer holds all three
    expect(await multi).toBe('what did alice do\nafter 10:00 from\n203.0.113.7');
    // AND a single-line prompt takes the first line only
    const b = host();
    const single = b.io.ask('> ', '');
    b.stdin.write('y\nsomething else\n');
    expect(await single).toBe('y');
  });

  it('does not glue a line typed later onto the answer', async () => {
    const a = host();
    const answer = a.io.ask('> ', '', { multiline: true });
    a.stdin.write('first question\n');
    setTimeout(() => a.stdin.write('second question\n'), 300);
    expect(await answer).toBe('first question');
  });
});
