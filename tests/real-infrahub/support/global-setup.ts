import { startSharedStack } from "./shared-stack";

export default function globalSetup(): void {
  startSharedStack();
}
