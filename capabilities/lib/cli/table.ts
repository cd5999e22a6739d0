/** Rows as aligned columns, as kubectl and flux print them (three spaces between columns). */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("   ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** "12s", "4m", "3h", "2d" since an ISO time; "-" when unknown. */
export function age(iso: string | undefined, now: Date): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return "-";
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
