// A real Infrahub on two shared cores answers in seconds, renders an artifact in tens of seconds,
// and starts in minutes: tests wait for outcomes, with deadlines far beyond what they need.
jest.setTimeout(20 * 60_000);
