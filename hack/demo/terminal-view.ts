/**
 * The demo's live screen. On a terminal it redraws in place (ANSI: cursor home, overwrite, clear the
 * rest), cut to the window's size. When stdout is not a terminal (CI, a pipe, a test) it prints the
 * whole view as plain text whenever something other than the clock changed, and at least every 30 s.
 */
import { errorMessage } from "../../capabilities/lib/errors";
import type { Snapshot } from "./snapshot";
import { renderView, type ViewContext } from "./view-render";

const ESC = "\x1b[";
const PLAIN_REPRINT_MS = 30_000;

export interface TerminalViewOptions {
  out: NodeJS.WriteStream;
  refreshMs: number;
  read: () => Promise<Snapshot>;
  context: ViewContext;
  /** Called with every snapshot, after it is drawn (the demo watches for Ready with it). */
  onSnapshot?: (s: Snapshot) => void;
}

export class TerminalView {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private drawing: Promise<void> = Promise.resolve();
  private lastKey = "";
  private lastPrint = 0;
  private readonly tty: boolean;
  private readonly color: boolean;
  private readonly onResize = (): void => {
    this.opts.out.write(`${ESC}2J`);
  };

  constructor(private readonly opts: TerminalViewOptions) {
    this.tty = opts.out.isTTY === true;
    this.color = this.tty && !process.env.NO_COLOR;
  }

  get interactive(): boolean {
    return this.tty;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.tty) {
      // Scroll what is on screen (the start-up log) into the scrollback instead of erasing it.
      this.opts.out.write(`${"\n".repeat(this.opts.out.rows ?? 40)}${ESC}?25l${ESC}H`);
      this.opts.out.on("resize", this.onResize);
    }
    const tick = (): void => {
      this.drawing = this.refresh()
        .then(() => undefined)
        .catch(err => {
          this.opts.out.write(`the view failed to draw: ${errorMessage(err)}\n`);
        })
        .finally(() => {
          if (this.running) this.timer = setTimeout(tick, this.opts.refreshMs);
        });
    };
    tick();
  }

  /** Draws one frame now (also used for the last frame before exiting). */
  async refresh(): Promise<Snapshot> {
    const snapshot = await this.opts.read();
    const now = new Date();
    if (this.tty) {
      const rows = Math.max(10, (this.opts.out.rows ?? 40) - 1);
      const lines = renderView(snapshot, this.opts.context, {
        color: this.color,
        width: this.opts.out.columns ?? 120,
        height: rows,
        ages: true,
        now,
      });
      const shown =
        lines.length > rows
          ? [
              ...lines.slice(0, rows - 1),
              `… ${lines.length - rows + 1} more lines: enlarge the window`,
            ]
          : lines;
      this.opts.out.write(`${ESC}H${shown.map(l => `${l}${ESC}K`).join("\n")}\n${ESC}J`);
    } else {
      const key = renderView(snapshot, this.opts.context, { color: false, ages: false, now }).join(
        "\n",
      );
      if (key !== this.lastKey || now.getTime() - this.lastPrint >= PLAIN_REPRINT_MS) {
        const lines = renderView(snapshot, this.opts.context, { color: false, ages: true, now });
        this.opts.out.write(`\n----- ${now.toISOString()} -----\n${lines.join("\n")}\n`);
        this.lastKey = key;
        this.lastPrint = now.getTime();
      }
    }
    this.opts.onSnapshot?.(snapshot);
    return snapshot;
  }

  /** Stops refreshing; the last frame stays on screen and the cursor comes back below it. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.drawing.catch(() => undefined);
    if (this.tty) {
      this.opts.out.off("resize", this.onResize);
      this.opts.out.write(`${ESC}?25h`);
    }
  }
}
