/**
 * Split Docker's multiplexed log stream (8-byte frame headers when the
 * container has no TTY) into plain text. Unframed input is returned as is.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const kind = buf[offset];
    const isHeader =
      (kind === 0 || kind === 1 || kind === 2) && buf[offset + 1] === 0 && buf[offset + 2] === 0;
    if (!isHeader) return offset === 0 ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
    const size = buf.readUInt32BE(offset + 4);
    parts.push(buf.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  if (offset === 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(-count).join('\n');
}
