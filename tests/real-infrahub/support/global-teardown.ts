import { stopSharedStack } from "./shared-stack";

export default async function globalTeardown(): Promise<void> {
  await stopSharedStack();
}
