import { reportDates, type FunnelReport, type FunnelRow } from './funnel';

/**
 * The funnel report as standalone SVG for the console to embed as an image: plain
 * strings, no library, no fonts or scripts to fetch. width and height give the natural
 * size and viewBox lets an <img style="max-width:100%;height:auto"> scale it down to a
 * phone; the funnel is one narrow column (labels above their bars) so its text stays
 * readable there. Every text from the data is escaped.
 */

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const INK = '#1a1a1a';
const MUTED = '#555555';
const GRID = '#e3e7ec';
const BAR = '#1f5fa8';

/** The total funnel, step by step, each with its count and its share of the step it follows. */
export function funnelChartSvg(report: FunnelReport): string {
  const t = report.total;
  const steps: { label: string; count: number; rate: number | null; of: string }[] = [
    { label: 'Calls', count: t.calls, rate: null, of: '' },
    { label: 'Offered', count: t.offered, rate: ratio(t.offered, t.calls), of: 'of calls' },
    { label: 'Accepted', count: t.accepted, rate: t.rates.acceptance, of: 'of offered' },
    { label: 'Texts sent', count: t.textsSent, rate: ratio(t.textsSent, t.accepted), of: 'of accepted' },
    { label: 'Delivered', count: t.textsDelivered, rate: t.rates.delivery, of: 'of sent' },
    { label: 'Clicked', count: t.linksClicked, rate: t.rates.clickThrough, of: 'of sent' },
    // Only where the chat platform reports outcomes (README "Conversation outcomes"):
    // elsewhere two empty bars would read as conversations that never happened.
    ...(t.conversationsStarted > 0
      ? [
          { label: 'Conversations', count: t.conversationsStarted, rate: ratio(t.conversationsStarted, t.linksClicked), of: 'of clicked' },
          { label: 'Resolved', count: t.conversationsResolved, rate: ratio(t.conversationsResolved, t.conversationsStarted), of: 'of conversations' },
        ]
      : []),
  ];
  const width = 480;
  const pad = 16;
  const top = 72;
  const rowHeight = 52;
  const height = top + steps.length * rowHeight + 8;
  const barSpace = width - 2 * pad;
  const title = 'Deflection funnel';
  const headline = `Deflection ${percent(t.rates.deflection)}`;

  const body = steps.map((step, i) => {
    const y = top + i * rowHeight;
    const bar = t.calls === 0 ? 0 : Math.max(step.count > 0 ? 2 : 0, (step.count / t.calls) * barSpace);
    const rate = step.rate === null ? '' : ` · ${percent(step.rate)} ${step.of}`;
    return [
      `<text x="${pad}" y="${y + 15}" font-size="14" fill="${INK}"><tspan font-weight="600">${esc(step.label)}</tspan> ${formatCount(step.count)}${esc(rate)}</text>`,
      `<rect x="${pad}" y="${y + 22}" width="${barSpace}" height="18" rx="3" fill="${GRID}"/>`,
      `<rect x="${pad}" y="${y + 22}" width="${round(bar)}" height="18" rx="3" fill="${BAR}"/>`,
    ].join('');
  });
  const desc = steps.map((s) => `${s.label}: ${formatCount(s.count)}${s.rate === null ? '' : ` (${percent(s.rate)} ${s.of})`}`).join('; ');
  return svgDocument({ width, height, title, subtitle: period(report), headline, desc }, body);
}

interface Series {
  label: string;
  color: string;
  value(row: FunnelRow): number;
}

const SERIES: readonly Series[] = [
  { label: 'Calls', color: '#8fa9c8', value: (r) => r.calls },
  { label: 'Texts sent', color: BAR, value: (r) => r.textsSent },
  { label: 'Clicked', color: '#d9730d', value: (r) => r.linksClicked },
];

/**
 * Calls, texts sent and clicks per row: lines over time (a month of hours is 744
 * points, too many for bars), grouped bars for campaigns and DNIS (categories).
 */
export function seriesChartSvg(report: FunnelReport): string {
  const width = 480;
  const height = 320;
  const plot = { left: 56, right: width - 16, top: 96, bottom: height - 36 };
  const plotWidth = plot.right - plot.left;
  const plotHeight = plot.bottom - plot.top;
  const rows = report.rows;
  const title = `Calls, texts and clicks by ${report.by === 'dnis' ? 'DNIS' : report.by}`;
  const subtitle = period(report);
  // A loop, not Math.max(...values): spreading a long array into arguments overflows the stack.
  const { max, step } = scale(rows.reduce((most, r) => SERIES.reduce((m, s) => Math.max(m, s.value(r)), most), 0));
  const y = (value: number) => round(plot.bottom - (value / max) * plotHeight);
  const band = plotWidth / Math.max(rows.length, 1);
  const x = (i: number) => plot.left + (i + 0.5) * band;

  const body: string[] = [];
  SERIES.forEach((s, i) => {
    const lx = 16 + i * 120;
    body.push(
      `<rect x="${lx}" y="62" width="12" height="12" rx="2" fill="${s.color}"/>`,
      `<text x="${lx + 18}" y="73" font-size="14" fill="${INK}">${esc(s.label)}</text>`,
    );
  });
  for (let v = 0; v <= max; v += step) {
    body.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y(v)}" y2="${y(v)}" stroke="${GRID}"/>`,
      `<text x="${plot.left - 6}" y="${y(v) + 4}" font-size="13" fill="${MUTED}" text-anchor="end">${formatCount(v)}</text>`,
    );
  }
  if (rows.length === 0) {
    body.push(`<text x="${plot.left + plotWidth / 2}" y="${plot.top + plotHeight / 2}" font-size="14" fill="${MUTED}" text-anchor="middle">No calls in this period</text>`);
  }
  const timed = report.by === 'day' || report.by === 'hour';
  for (const mark of timed ? lines(rows, x, y) : groupedBars(rows, band, x, y, plot.bottom)) body.push(mark);

  const labelEvery = labelStep(report, rows.length);
  rows.forEach((row, i) => {
    if (i % labelEvery !== 0) return;
    body.push(
      `<text x="${round(x(i))}" y="${plot.bottom + 20}" font-size="13" fill="${MUTED}" text-anchor="middle">${esc(axisLabel(report, row))}</text>`,
    );
  });
  body.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="${MUTED}"/>`);

  const t = report.total;
  const desc = `${rows.length} ${report.by === 'dnis' ? 'DNIS' : report.by} rows. Total: ${formatCount(t.calls)} calls, ${formatCount(t.textsSent)} texts sent, ${formatCount(t.linksClicked)} clicked.`;
  return svgDocument({ width, height, title, subtitle, desc }, body);
}

function lines(rows: readonly FunnelRow[], x: (i: number) => number, y: (v: number) => number): string[] {
  // Markers (with hover titles) while there is room for them; a lone point needs one to show at all.
  const markers = rows.length <= 62;
  return SERIES.flatMap((s) => {
    const points = rows.map((r, i) => `${round(x(i))},${y(s.value(r))}`).join(' ');
    const out = [`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`];
    if (markers) {
      rows.forEach((r, i) => {
        out.push(
          `<circle cx="${round(x(i))}" cy="${y(s.value(r))}" r="3" fill="${s.color}"><title>${esc(`${r.key}: ${formatCount(s.value(r))} ${s.label.toLowerCase()}`)}</title></circle>`,
        );
      });
    }
    return out;
  });
}

function groupedBars(
  rows: readonly FunnelRow[],
  band: number,
  x: (i: number) => number,
  y: (v: number) => number,
  bottom: number,
): string[] {
  const barWidth = (band * 0.8) / SERIES.length;
  return rows.flatMap((r, i) =>
    SERIES.map((s, j) => {
      const top = y(s.value(r));
      const left = x(i) - (band * 0.8) / 2 + j * barWidth;
      return `<rect x="${round(left)}" y="${top}" width="${round(Math.max(barWidth - 1, 0.5))}" height="${round(bottom - top)}" fill="${s.color}"><title>${esc(`${r.key}: ${formatCount(s.value(r))} ${s.label.toLowerCase()}`)}</title></rect>`;
    }),
  );
}

interface Frame {
  width: number;
  height: number;
  title: string;
  subtitle: string;
  /** The key figure, top right. */
  headline?: string;
  /** What the chart shows, in words, for screen readers. */
  desc: string;
}

function svgDocument(frame: Frame, body: string[]): string {
  const { width, height, title, subtitle, headline, desc } = frame;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" font-family="${esc(FONT)}">`,
    `<title id="chart-title">${esc(`${title}${headline ? ` (${headline})` : ''}, ${subtitle}`)}</title>`,
    `<desc id="chart-desc">${esc(desc)}</desc>`,
    // Opaque: the console may sit on a dark background.
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="17" font-weight="600" fill="${INK}">${esc(title)}</text>`,
    ...(headline ? [`<text x="${width - 16}" y="28" font-size="17" font-weight="600" fill="${BAR}" text-anchor="end">${esc(headline)}</text>`] : []),
    `<text x="16" y="50" font-size="13" fill="${MUTED}">${esc(subtitle)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** A round axis maximum in at most 4 whole-number steps of 1, 2 or 5 times a power of ten. */
function scale(maxValue: number): { max: number; step: number } {
  const raw = Math.max(maxValue, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  return { max: Math.ceil(Math.max(maxValue, 1) / step) * step, step };
}

/**
 * Label every how many rows: at most 4 labels (hours) or 5 (shorter ones) fit a phone.
 * Round steps (6 hours, a week) keep labels on the same hours and weekdays.
 */
function labelStep(report: FunnelReport, count: number): number {
  const fit = report.by === 'hour' ? 4 : 5;
  const steps = report.by === 'hour' ? [1, 2, 3, 6, 12, 24, 48, 72, 168, 336] : report.by === 'day' ? [1, 2, 7, 14, 28, 56, 91] : [];
  return steps.find((s) => count / s <= fit) ?? Math.max(1, Math.ceil(count / fit));
}

function axisLabel(report: FunnelReport, row: FunnelRow): string {
  if (report.by === 'day') return row.key.slice(5);
  if (report.by === 'hour') return row.key.slice(5).replace('T', ' ');
  return row.key.length > 14 ? `${row.key.slice(0, 13)}…` : row.key;
}

function period(report: FunnelReport): string {
  const { first, last } = reportDates(report);
  return `${first === last ? first : `${first} to ${last}`} (${report.timeZone})`;
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function percent(rate: number | null): string {
  return rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

/** 12345 → "12,345", the same on every machine (no locale). */
function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
