/** One line of a log-log plot. */
export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: { x: number; y: number }[];
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A hand-written SVG log-log line plot (no dependency). */
export function logLogPlot(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines, e.g. targets. */
  marks?: { y: number; label: string }[];
  xFormat: (x: number) => string;
  yFormat: (y: number) => string;
}): string {
  const width = 760;
  const height = 460;
  const margin = { left: 70, right: 200, top: 40, bottom: 50 };
  const points = options.series.flatMap((s) => s.points);
  const ys = [...points.map((p) => p.y), ...(options.marks ?? []).map((m) => m.y)];
  const xs = points.map((p) => p.x);
  const decade = (value: number, up: boolean) =>
    10 ** (up ? Math.ceil(Math.log10(value)) : Math.floor(Math.log10(value)));
  const x0 = decade(Math.min(...xs), false);
  const x1 = decade(Math.max(...xs), true);
  const y0 = decade(Math.min(...ys), false);
  const y1 = decade(Math.max(...ys), true);
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (x: number) =>
    margin.left + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * plotW;
  const sy = (y: number) =>
    margin.top +
    plotH -
    ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="22" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  for (let x = x0; x <= x1 * 1.0001; x *= 10) {
    parts.push(
      `<line x1="${sx(x)}" y1="${margin.top}" x2="${sx(x)}" y2="${margin.top + plotH}" stroke="#ddd"/>`,
      `<text x="${sx(x)}" y="${margin.top + plotH + 16}" text-anchor="middle">${escapeXml(options.xFormat(x))}</text>`,
    );
  }
  for (let y = y0; y <= y1 * 1.0001; y *= 10) {
    parts.push(
      `<line x1="${margin.left}" y1="${sy(y)}" x2="${margin.left + plotW}" y2="${sy(y)}" stroke="#ddd"/>`,
      `<text x="${margin.left - 6}" y="${sy(y) + 4}" text-anchor="end">${escapeXml(options.yFormat(y))}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  for (const mark of options.marks ?? []) {
    parts.push(
      `<line x1="${margin.left}" y1="${sy(mark.y)}" x2="${margin.left + plotW}" y2="${sy(mark.y)}" stroke="#c00" stroke-dasharray="2 3"/>`,
      `<text x="${margin.left + plotW - 4}" y="${sy(mark.y) - 4}" text-anchor="end" fill="#c00">${escapeXml(mark.label)}</text>`,
    );
  }
  options.series.forEach((series, i) => {
    const path = series.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      ...series.points.map(
        (p) =>
          `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${series.color}"/>`,
      ),
    );
    const ly = margin.top + 10 + i * 20;
    const lx = margin.left + plotW + 14;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escapeXml(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
