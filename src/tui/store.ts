import type { PipelineEvent } from "../engine/events.js";
import type { GatePrompt } from "../engine/runner.js";
import { emptyModel, reduce, type TuiModel } from "./model.js";

export interface PendingPrompt extends GatePrompt {
  answer(accepted: boolean): void;
}

export interface TuiSnapshot {
  model: TuiModel;
  prompt?: PendingPrompt;
  /** Bumped on every publish: lets tests count repaints. */
  version: number;
}

/** Events that change what the user must see now: published at once instead of at the next frame. */
const URGENT = new Set<PipelineEvent["type"]>([
  "pipeline-start",
  "step-end",
  "pipeline-end",
  "compensation",
  "step-start",
  "step-probed",
]);

/**
 * Holds the model and publishes snapshots to React at most once per frame: a flood of output/progress
 * events only updates the model, so rsync never waits on the terminal and the screen does not flicker.
 */
export class TuiStore {
  private model: TuiModel;
  private prompt: PendingPrompt | undefined;
  private snapshot: TuiSnapshot;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly frameMs = 100,
    private readonly clock: () => number = Date.now,
  ) {
    this.model = emptyModel(clock());
    this.snapshot = { model: this.model, version: 0 };
  }

  apply(event: PipelineEvent): void {
    this.model = reduce(this.model, event, this.clock());
    this.dirty = true;
    if (URGENT.has(event.type)) this.flush();
    else this.schedule();
  }

  /** A line shown above the key hints (why a gate was answered no, and the like). */
  setNotice(text: string): void {
    this.model = { ...this.model, notice: text };
    this.dirty = true;
    this.flush();
  }

  setAborting(): void {
    this.model = { ...this.model, aborting: true };
    this.dirty = true;
    this.flush();
  }

  setPrompt(prompt: PendingPrompt | undefined): void {
    this.prompt = prompt;
    this.dirty = true;
    this.flush();
  }

  get pendingPrompt(): PendingPrompt | undefined {
    return this.prompt;
  }

  getSnapshot = (): TuiSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Publishes pending changes now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.snapshot = { model: this.model, prompt: this.prompt, version: this.snapshot.version + 1 };
    for (const listener of this.listeners) listener();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.frameMs);
    this.timer.unref?.();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
