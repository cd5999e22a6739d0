/** The operator's keyed work queue, its clocks and its types. */
export { WorkQueue } from "./work-queue";
export type { QueueEvent, QueueEventType, ReconcileResult, WorkQueueOptions } from "./types";
export { systemClock } from "./clock";
export type { Clock, TimerHandle } from "./clock";
export { FakeClock } from "./fake-clock";
