import { WorkQueue } from "./work-queue";

/**
 * For tests of lane choices: a queue with one slot per lane whose runs hold their slot until
 * `finish` releases them (so what started, and what still waits, can be read in between).
 */
export function holdingQueue(partitionOf: (key: string) => string) {
  const started: string[] = [];
  const release: Array<() => void> = [];
  const queue = new WorkQueue(
    key => {
      started.push(key);
      return new Promise<void>(resolve => release.push(resolve));
    },
    { concurrency: 1, partitionOf },
  );
  const finish = async () => {
    for (const r of release.splice(0)) r();
    await queue.shutdown();
  };
  return { queue, started, finish };
}
