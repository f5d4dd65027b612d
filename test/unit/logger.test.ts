import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { streamLogger } from '../../src/core/logger.js';

function capture(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done): void {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

describe('streamLogger', () => {
  test('on a terminal, progress rewrites one line and the next message starts a new one', () => {
    const c = capture();
    const log = streamLogger({ stream: c.stream, debug: false, isTTY: true });
    log.progress('pulling 1/3');
    log.progress('pulling 2/3');
    log.info('pulled');
    expect(c.text()).toBe('\r\x1b[Kpulling 1/3\r\x1b[Kpulling 2/3\npulled\n');
  });

  test('off a terminal, progress is plain lines, thinned', () => {
    const c = capture();
    const log = streamLogger({ stream: c.stream, debug: false, isTTY: false });
    log.progress('a');
    log.progress('b');
    log.warn('w');
    expect(c.text()).toBe('a\nwarning: w\n');
  });

  test('debug lines only with debug on', () => {
    const quiet = capture();
    streamLogger({ stream: quiet.stream, debug: false, isTTY: false }).debug('x');
    const loud = capture();
    streamLogger({ stream: loud.stream, debug: true, isTTY: false }).debug('x');
    expect(quiet.text()).toBe('');
    expect(loud.text()).toBe('debug: x\n');
  });
});
