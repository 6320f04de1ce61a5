/** One measured ratio, with the baseline it was measured against (side by side, in the same run). */
export interface BenchRow {
  benchmark: string;
  case: string;
  unit: string;
  /** median of the measured runs */
  value: number;
  baselineLabel: string;
  baseline: number;
  ratio: number;
  /** the lowest and highest of the rounds' own ratios, when the ratio is the median of paired rounds */
  spread?: [number, number];
  /** the highest acceptable ratio, when the issue sets one */
  target?: number;
  runs: number;
  samples?: { value: number[]; baseline: number[] };
}

export interface BenchContext {
  /** the repository root */
  root: string;
  /** how many measured runs per case */
  runs: number;
  /** a scratch folder, removed after the benchmark */
  scratch: string;
  log: (line: string) => void;
  /** A benchmark that goes on after one of its rows failed says so here: the run prints it and exits 2. */
  failed: (what: string) => void;
  /** --million: the memory benchmark's issue-sized tree (slow to make and copy) */
  million: boolean;
  /** --lab --only: the lab rows asked for (LAB_ROWS); undefined for all */
  labRows?: string[];
}

/** A benchmark lives in its own file and is listed in main.ts. */
export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
