/**
 * values.yaml with one entry of the top-level `watcher:` section set: `entry` is the entry's lines
 * (the first is `  <key>:…`), put first in the section. An earlier value of `key` (its line and the
 * lines nested under it) is removed from that section only, so another section's key of the same
 * name (`admission.replicas`, say) is left alone wherever the sections come.
 */
export function withWatcherValue(values: string, key: string, entry: string[]): string {
  const lines = values.split("\n");
  const start = lines.indexOf("watcher:");
  if (start < 0) throw new Error("the chart's values.yaml has no watcher: section");
  let end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  if (end < 0) end = lines.length;
  const section: string[] = [];
  for (let i = start + 1; i < end; i++) {
    if (lines[i] === `  ${key}:` || lines[i].startsWith(`  ${key}: `)) {
      while (i + 1 < end && lines[i + 1].startsWith("    ")) i++;
      continue;
    }
    section.push(lines[i]);
  }
  return [...lines.slice(0, start + 1), ...entry, ...section, ...lines.slice(end)].join("\n");
}
