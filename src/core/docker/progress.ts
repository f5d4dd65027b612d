/** One event of Docker's pull progress stream. */
export interface PullEvent {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
}

export interface PullSummary {
  layers: number;
  done: number;
  current: number;
  total: number;
}

/** Folds pull events into one line: "pulling REF: 3/7 layers, 120.4/310.0 MB". */
export class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();

  add(event: PullEvent): void {
    if (!event.id || !event.status || event.id.includes(':')) return;
    const layer = this.layers.get(event.id) ?? { current: 0, total: 0, done: false };
    const detail = event.progressDetail;
    if (event.status === 'Downloading' && detail?.total) {
      layer.current = detail.current ?? 0;
      layer.total = detail.total;
    }
    if (/Pull complete|Already exists|Download complete/.test(event.status)) {
      layer.done = event.status !== 'Download complete' || layer.done;
      if (layer.total) layer.current = layer.total;
    }
    this.layers.set(event.id, layer);
  }

  summary(): PullSummary {
    let done = 0;
    let current = 0;
    let total = 0;
    for (const l of this.layers.values()) {
      if (l.done) done++;
      current += l.current;
      total += l.total;
    }
    return { layers: this.layers.size, done, current, total };
  }

  line(ref: string): string {
    const s = this.summary();
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    const bytes = s.total ? `, ${mb(s.current)}/${mb(s.total)} MB` : '';
    return `pulling ${ref}: ${s.done}/${s.layers} layers${bytes}`;
  }
}
